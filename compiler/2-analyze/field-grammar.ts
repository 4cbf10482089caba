/**
 * The shorthand field grammar (yama-format §1.4):
 *
 *   field     := type [modifier ...] [= default]
 *   type      := name [ "(" params ")" ] [ "[]" ] [ "!" | "?" ]     e.g. string(3..50)!  decimal(10,2)  Tag[]
 *              | "enum" ( "(" a, b ")" | "[" a, b "]" ) [ "!" | "?" ]
 *   modifier  := unique | indexed | index | primary | generated | readonly | writeOnly | sensitive
 *              | autoUpdate | cascade | setNull | restrict | noAction | through:<table> | onDelete:<action>
 *              | default:<value> | min:<n> | max:<n> | minLength:<n> | maxLength:<n> | [timestamps]
 *
 * The parser only splits text; meaning is given by types.ts and entities.ts.
 * Offsets are character positions inside the shorthand string, for precise diagnostics.
 */

export interface ShorthandError {
  message: string;
  hint?: string;
  offset: number;
  length: number;
}

export interface Shorthand {
  typeName: string;
  typeOffset: number;
  /** Raw text between the parentheses (or brackets for `enum[...]`). */
  params?: string;
  array: boolean;
  /** `!` → true, `?` → false, neither → undefined. */
  required?: boolean;
  modifiers: { name: string; value?: string; offset: number }[];
  /** Raw default text after ` = `. */
  defaultText?: string;
  /** Where defaultText starts. */
  defaultOffset?: number;
  errors: ShorthandError[];
}

const MODIFIER = /^(?:\[(\w+)\]|([A-Za-z_][\w]*)(?::(.+))?)$/;

/**
 * At `(/` (a pattern parameter such as `string(/^[a-z(]+$/)`), the index of the pattern's closing
 * `/`: the brackets inside a regular expression are not the type's. Otherwise -1.
 */
function patternEnd(text: string, i: number): number {
  if (text[i] !== "(" || text[i + 1] !== "/") return -1;
  const end = text.slice(i + 2).search(/\/\)(?=[\s!?[=]|$)/);
  return end < 0 ? -1 : i + 2 + end;
}

export function parseShorthand(source: string): Shorthand {
  const result: Shorthand = { typeName: "", typeOffset: 0, array: false, modifiers: [], errors: [] };
  let text = source;

  // Default: the first " = " (or "=" preceded by the type) outside parentheses.
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "(" || ch === "[") {
      depth++;
      if (patternEnd(text, i) >= 0) i = patternEnd(text, i); // continue at the ")" after the pattern
    }
    else if (ch === ")" || ch === "]") depth--;
    else if (ch === "=" && depth === 0) {
      result.defaultText = text.slice(i + 1).trim();
      result.defaultOffset = i + 1 + (text.length - i - 1 - text.slice(i + 1).trimStart().length);
      if (result.defaultText === "") result.errors.push({ message: "a default value is missing after \"=\"", offset: i, length: 1, hint: "write e.g. `boolean = false`" });
      text = text.slice(0, i);
      break;
    }
  }

  // Type token: up to the first whitespace outside parentheses.
  let i = 0;
  while (i < text.length && text[i] === " ") i++;
  const start = i;
  depth = 0;
  for (; i < text.length; i++) {
    const ch = text[i];
    if (ch === "(" || ch === "[") {
      depth++;
      if (patternEnd(text, i) >= 0) i = patternEnd(text, i); // continue at the ")" after the pattern
    }
    else if (ch === ")" || ch === "]") depth--;
    else if (/\s/.test(ch!) && depth === 0) break;
  }
  if (depth !== 0) {
    result.errors.push({
      message: "unbalanced parentheses or brackets in the type", offset: start, length: i - start,
      // Inside `{ … }` YAML splits at every comma, so enum(a, b) arrives cut in pieces.
      hint: "close every ( and [; inside a { } mapping, quote a type that holds commas: \"enum(raw, finished)\"",
    });
  }
  let token = text.slice(start, i);
  result.typeOffset = start;

  // Trailing marks: `!`, `?`, `[]` in any order (e.g. `Tag[]!`, `string?`).
  for (;;) {
    if (token.endsWith("!")) {
      result.required = true;
      token = token.slice(0, -1);
    } else if (token.endsWith("?")) {
      result.required = false;
      token = token.slice(0, -1);
    } else if (token.endsWith("[]")) {
      result.array = true;
      token = token.slice(0, -2);
    } else break;
  }
  const paren = token.search(/[([]/);
  if (paren >= 0) {
    const close = token[paren] === "(" ? ")" : "]";
    if (!token.endsWith(close)) {
      result.errors.push({ message: `expected "${close}" at the end of the type parameters`, offset: start + paren, length: token.length - paren });
    }
    result.params = token.slice(paren + 1, token.endsWith(close) ? -1 : undefined);
    token = token.slice(0, paren);
  }
  result.typeName = token;
  if (token === "") result.errors.push({ message: "a field type is missing", offset: start, length: 1, hint: "write e.g. `string!` or `integer = 0`" });

  // Modifiers.
  const rest = text.slice(i);
  const re = /\S+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(rest)) !== null) {
    const word = m[0];
    const offset = i + m.index;
    const parsed = MODIFIER.exec(word);
    if (!parsed) {
      result.errors.push({ message: `"${word}" is not a field modifier`, offset, length: word.length, hint: "modifiers are words like `unique`, `indexed`, `cascade`, `through:post_tags`" });
      continue;
    }
    if (parsed[1] !== undefined) result.modifiers.push({ name: parsed[1], offset });
    else result.modifiers.push({ name: parsed[2]!, value: parsed[3], offset });
  }
  return result;
}

/** A default as written: a literal, the current time (`now`), today's date (`current_date`) or a random uuid. */
export type ParsedDefault = { kind: "now" } | { kind: "today" } | { kind: "uuid" } | { kind: "literal"; value: string | number | boolean | null };

/** Parses a default's text: numbers, booleans, null, quoted or bare strings, functions. */
export function parseDefaultText(text: string): ParsedDefault {
  const lower = text.toLowerCase();
  if (["now", "now()", "current_timestamp", "current_timestamp()"].includes(lower)) return { kind: "now" };
  if (lower === "current_date") return { kind: "today" };
  if (["uuid", "uuid()", "gen_uuid", "gen_random_uuid()", "random"].includes(lower)) return { kind: "uuid" };
  if (lower === "true") return { kind: "literal", value: true };
  if (lower === "false") return { kind: "literal", value: false };
  if (lower === "null") return { kind: "literal", value: null };
  if (/^-?(\d+\.?\d*|\.\d+)$/.test(text)) return { kind: "literal", value: Number(text) };
  const quoted = /^(["'])(.*)\1$/.exec(text);
  return { kind: "literal", value: quoted ? quoted[2]! : text };
}
