import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node as YamlNode, type Pair, type Scalar, type YAMLError, type YAMLMap } from "yaml";
import type { DiagnosticBag, SourceLocation } from "../diagnostics.js";
import type { SectionCache } from "./sections.js";

/** A key path into the config, e.g. ["entities", "Product", "fields", "price"]. */
export type ConfigPath = readonly (string | number)[];

/**
 * Phase 1 output: the config as plain data plus a way back to source positions.
 * Nothing here knows what the keys mean.
 */
export interface ParsedConfig {
  file: string;
  text: string;
  /** The text of a 1-based line of `file` (default: this config's file; "" past the end or for an unknown file). */
  lineText(line: number, file?: string): string;
  /** The whole text of `file`, one of the files this config was read from ("" for another file). */
  sourceText(file: string): string;
  /** The document as plain JS values (anchors, aliases and merge keys resolved). */
  value: unknown;
  /** Position of the value at `path` (or of its key with `part: "key"`); falls back to the nearest parent. */
  locate(path: ConfigPath, part?: "key" | "value"): SourceLocation;
}

/** Each mapping's pairs by key, built on first use: locating every field of a large entity stays linear. */
const pairIndex = new WeakMap<YAMLMap, Map<string, Pair>>();

function pairOf(map: YAMLMap, segment: string | number): Pair | undefined {
  let index = pairIndex.get(map);
  if (!index) {
    index = new Map();
    for (const pair of map.items) if (isScalar(pair.key) && !index.has(String(pair.key.value))) index.set(String(pair.key.value), pair);
    pairIndex.set(map, index);
  }
  return index.get(String(segment));
}

/**
 * Duplicate keys in any mapping (merge keys excepted). The parser's own check compares every key
 * with every other one, which is quadratic in the size of a mapping; a set per mapping is not.
 */
export function duplicateKeys(doc: Document): Array<{ key: Scalar; first: Scalar }> {
  const found: Array<{ key: Scalar; first: Scalar }> = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Map<unknown, Scalar>();
      for (const pair of map.items) {
        if (!isScalar(pair.key) || pair.key.value === "<<") continue;
        const first = seen.get(pair.key.value);
        if (first) found.push({ key: pair.key, first });
        else seen.set(pair.key.value, pair.key);
      }
    },
  });
  return found;
}

export function nodeAt(doc: Document, path: ConfigPath): { node: YamlNode | undefined; key: YamlNode | undefined; depth: number } {
  let node: unknown = doc.contents;
  let key: YamlNode | undefined;
  let depth = 0;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = pairOf(node, segment);
      if (!pair) break;
      key = pair.key as YamlNode;
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof segment === "number" && node.items[segment] !== undefined) {
      key = undefined;
      node = node.items[segment];
    } else {
      break;
    }
    depth++;
  }
  return { node: node as YamlNode | undefined, key, depth };
}

/** Where an unclosed quoted string or flow collection starts: yaml reports where it gave up. */
/**
 * In a flow collection (`{ output: PostSummary[] }`), a value with brackets glued to a word
 * (`PostSummary[]`, `string[]`): valid in block style, but in flow style the `[` starts a list,
 * which leaves the collection unclosed. The first such value on the opener's line, if any.
 */
function gluedBracket(text: string, opener: number): { start: number; end: number } | undefined {
  const lineEnd = text.indexOf("\n", opener);
  const line = text.slice(opener + 1, lineEnd === -1 ? text.length : lineEnd);
  const m = /[^\s,:{}[\]"'#]+\[[^\]\s,]*\]?[!?]?/.exec(line);
  if (m === null) return undefined;
  const start = opener + 1 + m.index;
  return { start, end: start + m[0].length };
}

function openerOf(doc: Document, err: YAMLError): number | undefined {
  const quote = /Missing closing (["'])quote/.exec(err.message)?.[1];
  const flow = /Flow (sequence|map) in block collection/.exec(err.message)?.[1];
  if (quote === undefined && flow === undefined) return undefined;
  let start: number | undefined;
  visit(doc, (_, node) => {
    const matches = quote !== undefined
      ? isScalar(node) && node.type === (quote === '"' ? "QUOTE_DOUBLE" : "QUOTE_SINGLE")
      : flow === "sequence" ? isSeq(node) && node.flow === true : isMap(node) && node.flow === true;
    const range = matches ? (node as YamlNode).range : undefined;
    if (range && range[1] === err.pos[0] && (start === undefined || range[0] > start)) start = range[0];
  });
  return start;
}

/** The first alias whose anchor is missing, or the first merge key whose value is not a mapping. */
function culpritOf(doc: Document, message: string): YamlNode | undefined {
  let found: YamlNode | undefined;
  visit(doc, {
    Alias(_, node) {
      if (/Unresolved alias/.test(message) && !found && node.resolve(doc) === undefined) found = node;
    },
    Pair(_, pair) {
      if (/Merge sources/.test(message) && !found && isScalar(pair.key) && pair.key.source === "<<" && !isMap(pair.value) && !(isAlias(pair.value) && isMap(pair.value.resolve(doc)))) {
        found = pair.key;
      }
    },
  });
  return found;
}

/** How every config is parsed. logLevel "error": problems reach the user as diagnostics, not as process warnings. */
export const YAML_OPTIONS = { merge: true, uniqueKeys: false, prettyErrors: false, strict: true, logLevel: "error" } as const;

/**
 * Phase 1: the config's text to plain data with positions, or diagnostics. With a cache
 * (`yamac dev`), the text is parsed section by section and unchanged sections are reused
 * (sections.ts); the result is the same.
 */
export function parseConfig(file: string, text: string, diagnostics: DiagnosticBag, cache?: SectionCache): ParsedConfig | undefined {
  const lineCounter = new LineCounter();
  const runaway = runawayFlowNesting(text);
  if (runaway !== undefined) {
    const lineStart = text.lastIndexOf("\n", runaway - 1) + 1;
    let line = 1;
    for (let i = text.indexOf("\n"); i !== -1 && i < runaway; i = text.indexOf("\n", i + 1)) line++;
    diagnostics.error("yaml-too-deep", `the config nests deeper than ${MAX_FLOW_DEPTH} brackets here`, { file, line, col: runaway - lineStart + 1, length: 1 }, "no part of a yama.yaml needs this much nesting: flatten this value");
    return undefined;
  }
  if (cache) {
    const sections = cache.parse(file, text);
    if (sections) return checkedDepth(configOf(file, text, sections.value, sections.locate), diagnostics);
  }
  const doc = parseDocument(text, { lineCounter, ...YAML_OPTIONS });
  const at = (offset: number, length = 1): SourceLocation => {
    const pos = lineCounter.linePos(offset);
    return { file, line: pos.line, col: pos.col, length };
  };
  // One syntax error often makes the parser report dozens more after it: show the first few.
  const MAX_SYNTAX_ERRORS = 5;
  // A value such as PostSummary[] in a one-line { } explains every error on its line: those go.
  const openers = new Map(doc.errors.slice(0, 4 * MAX_SYNTAX_ERRORS).map((err) => [err, openerOf(doc, err)]));
  const lineOf = (offset: number) => lineCounter.linePos(offset).line;
  const gluedLines = new Set<number>();
  for (const opener of openers.values()) {
    if (opener !== undefined && (text[opener] === "[" || text[opener] === "{") && gluedBracket(text, opener)) gluedLines.add(lineOf(opener));
  }
  const explained = new Set<number>();
  const errors = doc.errors.filter((err) => {
    const opener = openers.get(err);
    if (opener !== undefined && gluedLines.has(lineOf(opener))) {
      // The error that names the unclosed collection is reported (once per line), as the quoting to do.
      if (explained.has(lineOf(opener))) return false;
      explained.add(lineOf(opener));
      return true;
    }
    return !gluedLines.has(lineOf(err.pos[0]));
  });
  if (errors.length > MAX_SYNTAX_ERRORS) {
    const rest = errors.length - MAX_SYNTAX_ERRORS;
    const first = errors[MAX_SYNTAX_ERRORS]!;
    diagnostics.error("yaml-syntax", `${rest} more YAML syntax error${rest === 1 ? "" : "s"} follow${rest === 1 ? "s" : ""}, probably caused by the ones above`, at(first.pos[0]), "fix the first errors and compile again");
  }
  for (const err of errors.slice(0, MAX_SYNTAX_ERRORS)) {
    const message = err.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
    const opener = openers.has(err) ? openers.get(err) : openerOf(doc, err);
    if (opener !== undefined) {
      const ch = text[opener]!;
      const close = ch === "[" ? "]" : ch === "{" ? "}" : ch;
      const what = ch === "[" ? "list" : ch === "{" ? "mapping" : "quoted string";
      const glued = ch === "[" || ch === "{" ? gluedBracket(text, opener) : undefined;
      if (glued !== undefined) {
        const value = text.slice(glued.start, glued.end);
        diagnostics.error("yaml-syntax", `${value} must be quoted inside a { } or [ ] on one line: there, [ and ] start and end a list`, at(glued.start, glued.end - glued.start), `write "${value}" in quotes, or write this ${what} in block style, one entry per line`);
        continue;
      }
      diagnostics.error("yaml-syntax", `this ${what} is never closed: ${close} is missing`, at(opener), `add the closing ${close}${ch === "[" || ch === "{" ? ` on the same line, or write the ${what} in block style, one entry per line` : ""}`);
      continue;
    }
    if (err.code === "MULTIPLE_DOCS") {
      diagnostics.error("yaml-syntax", "a config is one YAML document, but this file has several", at(err.pos[0], 3), "remove the `---` line and merge the documents");
      continue;
    }
    if (/call stack/i.test(message)) {
      diagnostics.error("yaml-too-deep", "the config nests too deeply for the YAML parser here", at(err.pos[0]), "no part of a yama.yaml needs this much nesting: flatten this value");
      continue;
    }
    let offset = err.pos[0];
    // "All mapping items must start at the same column" is reported at the start of the line: point at the item.
    if (err.code === "BAD_INDENT") while (text[offset] === " ") offset++;
    const hint = err.code === "DUPLICATE_KEY" ? "remove or rename one of the two keys" : err.code === "BAD_INDENT" || err.code === "MISSING_CHAR" ? "check the indentation of this line and the one above" : undefined;
    diagnostics.error("yaml-syntax", message, at(offset, offset === err.pos[0] ? Math.max(1, err.pos[1] - err.pos[0]) : 1), hint);
  }
  if (doc.errors.length > 0) return undefined;
  const duplicates = duplicateKeys(doc);
  for (const { key, first } of duplicates) {
    const line = first.range ? lineCounter.linePos(first.range[0]).line : undefined;
    diagnostics.error("yaml-syntax", `Map keys must be unique: "${String(key.value)}" is already defined${line ? ` on line ${line}` : ""}`, at(key.range?.[0] ?? 0, Math.max(1, (key.range?.[1] ?? 1) - (key.range?.[0] ?? 0))), "remove or rename one of the two keys");
  }
  if (duplicates.length > 0) return undefined;
  for (const warning of doc.warnings) {
    diagnostics.warn("yaml-warning", warning.message.split("\n")[0]!, at(warning.pos[0]));
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    const message = (err as Error).message;
    const culprit = culpritOf(doc, message);
    diagnostics.error("yaml-syntax", message, culprit?.range ? at(culprit.range[0], culprit.range[1] - culprit.range[0]) : at(0), /alias count/i.test(message) ? "reduce the number of YAML aliases" : undefined);
    return undefined;
  }
  const locate = (path: ConfigPath, part: "key" | "value" = "value"): SourceLocation => {
    const { node, key, depth } = nodeAt(doc, path);
    const target = part === "key" && depth === path.length && key ? key : node;
    const range = target?.range;
    if (!range) return at(0);
    return at(range[0], spanOf(target!, range));
  };
  return checkedDepth(configOf(file, text, value, locate), diagnostics);
}

/** The length a location of `node` underlines: a plain scalar's own text; a quoted one with its quotes; else the node's range. */
export function spanOf(node: YamlNode, range: readonly number[]): number {
  const source = isScalar(node) && node.type === "PLAIN" && typeof node.source === "string" ? node.source : undefined;
  return Math.max(1, (source?.length ?? range[1]! - range[0]!) || 1);
}

function configOf(file: string, text: string, value: unknown, locate: ParsedConfig["locate"]): ParsedConfig {
  let lines: string[] | undefined;
  return {
    file,
    text,
    value,
    lineText(line, other = file) {
      if (other !== file) return "";
      lines ??= text.split(/\r?\n/);
      return lines[line - 1] ?? "";
    },
    sourceText: (other) => (other === file ? text : ""),
    locate,
  };
}

function checkedDepth(parsed: ParsedConfig, diagnostics: DiagnosticBag): ParsedConfig | undefined {
  const deep = tooDeep(parsed.value);
  if (deep) {
    diagnostics.error("yaml-too-deep", `the config nests deeper than ${MAX_DEPTH} levels here`, parsed.locate(deep), "no part of a yama.yaml needs this much nesting: flatten this value");
    return undefined;
  }
  return parsed;
}

/**
 * The parser builds flow collections recursively, so millions of `[` exhaust memory before it
 * can report anything, and from several hundred levels it may overflow its stack, at a depth that
 * depends on how much stack its caller used: the same text could fail or not. Brackets are
 * counted outside quotes and comments; block scalars may hold unbalanced brackets, hence a limit
 * well above any real config (MAX_DEPTH rejects more than 64 levels anyway) and well below that.
 */
const MAX_FLOW_DEPTH = 256;

function runawayFlowNesting(text: string): number | undefined {
  let depth = 0;
  let quote = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === quote) quote = "";
      else if (ch === "\n") quote = "";
      continue;
    }
    if (ch === "[" || ch === "{") {
      if (++depth > MAX_FLOW_DEPTH) return i;
    } else if (ch === "]" || ch === "}") depth = Math.max(0, depth - 1);
    else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === "#" && (i === 0 || text[i - 1] === " " || text[i - 1] === "\n")) {
      const end = text.indexOf("\n", i);
      i = end === -1 ? text.length : end - 1;
    }
  }
  return undefined;
}

/** No section of the format nests more than a dozen levels; later phases may recurse freely below this. */
const MAX_DEPTH = 64;

/**
 * The path of the first value nested deeper than MAX_DEPTH, found without recursion. Each entry
 * keeps its key and its parent's entry; the path is built only for the value found.
 */
function tooDeep(root: unknown): ConfigPath | undefined {
  interface Entry {
    value: unknown;
    key: string | number;
    parent: Entry | undefined;
    depth: number;
  }
  const stack: Entry[] = [{ value: root, key: "", parent: undefined, depth: 0 }];
  while (stack.length > 0) {
    const entry = stack.pop()!;
    const { value, depth } = entry;
    if (typeof value !== "object" || value === null) continue;
    if (depth > MAX_DEPTH) {
      const path: (string | number)[] = [];
      for (let e: Entry | undefined = entry; e?.parent !== undefined; e = e.parent) path.unshift(e.key);
      return path;
    }
    if (Array.isArray(value)) value.forEach((child, i) => stack.push({ value: child, key: i, parent: entry, depth: depth + 1 }));
    else for (const key in value) stack.push({ value: (value as Record<string, unknown>)[key], key, parent: entry, depth: depth + 1 });
  }
  return undefined;
}
