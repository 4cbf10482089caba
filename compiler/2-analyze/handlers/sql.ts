/**
 * `type: sql`: one SQL statement whose placeholders are bound as parameters.
 *
 *   handler:
 *     type: sql
 *     query: |
 *       SELECT count(*)::int AS total FROM products WHERE price <= :maxPrice AND name ILIKE ${query.pattern}
 *
 * Placeholders: `:name` (looked up in query, params, body) and `${query.x}`, `${params.x}`,
 * `${body.x}`. They are found by a small SQL scanner that skips string literals, quoted
 * identifiers, dollar-quoted strings, comments and `::` casts. Every placeholder must name a
 * declared input; the statement is sent with the values as parameters, never spliced into it.
 */
import type { SourceLocation } from "../../diagnostics.js";
import type { InputRef, SqlHandlerIR } from "../../ir.js";
import { resolveInput, type HandlerScope } from "./common.js";
import { checkKeys, requireString, type ConfigNode } from "./node.js";

export const SQL_KEYS = ["type", "query"];

interface Found {
  /** Offset of the placeholder in the text, and its length. */
  start: number;
  length: number;
  /** `query.x`, `params.x`, `body.x` or a bare name. */
  ref: string;
}

type Problem = { offset: number; length: number; message: string; hint?: string };

const IDENT_START = /[A-Za-z_]/;
const IDENT = /[A-Za-z0-9_]/;

/** Finds the placeholders of a statement, and what in it cannot be sent as one parameterised statement. */
export function scanSql(text: string): { found: Found[]; problems: Problem[] } {
  const found: Found[] = [];
  const problems: Problem[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text[i]!;
    const next = text[i + 1];
    if (ch === "-" && next === "-") {
      while (i < n && text[i] !== "\n") i++;
    } else if (ch === "/" && next === "*") {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (text[i] === "/" && text[i + 1] === "*") depth++;
        else if (text[i] === "*" && text[i + 1] === "/") depth--;
        else {
          i++;
          continue;
        }
        i += 2;
      }
    } else if (ch === "'") {
      const escapes = i > 0 && /[eE]/.test(text[i - 1]!) && (i < 2 || !IDENT.test(text[i - 2]!));
      i++;
      while (i < n) {
        if (escapes && text[i] === "\\") i += 2;
        else if (text[i] === "'" && text[i + 1] === "'") i += 2;
        else if (text[i] === "'") break;
        else i++;
      }
      i++;
    } else if (ch === '"') {
      i++;
      while (i < n && !(text[i] === '"' && text[i + 1] !== '"')) i += text[i] === '"' ? 2 : 1;
      i++;
    } else if (ch === "$" && next === "{") {
      const end = text.indexOf("}", i);
      if (end < 0) {
        problems.push({ offset: i, length: 2, message: "this ${ placeholder is never closed", hint: "write ${query.name}" });
        break;
      }
      found.push({ start: i, length: end + 1 - i, ref: text.slice(i + 2, end).trim() });
      i = end + 1;
    } else if (ch === "$" && next !== undefined && /[0-9]/.test(next) && (i === 0 || !IDENT.test(text[i - 1]!))) {
      let j = i + 1;
      while (j < n && /[0-9]/.test(text[j]!)) j++;
      problems.push({ offset: i, length: j - i, message: `positional parameter ${text.slice(i, j)} cannot be bound`, hint: "name the value instead: :name or ${query.name}" });
      i = j;
    } else if (ch === "$" && (i === 0 || !IDENT.test(text[i - 1]!)) && /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.test(text.slice(i))) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i))![0];
      const end = text.indexOf(tag, i + tag.length);
      i = end < 0 ? n : end + tag.length;
    } else if (ch === ":" && next === ":") {
      // A cast (`::int`), not a placeholder.
      i += 2;
    } else if (ch === ":" && next !== undefined && IDENT_START.test(next)) {
      let j = i + 1;
      while (j < n && IDENT.test(text[j]!)) j++;
      found.push({ start: i, length: j - i, ref: text.slice(i + 1, j) });
      i = j;
    } else if (ch === ";") {
      const rest = text.slice(i + 1).replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, "");
      if (rest.trim() !== "") problems.push({ offset: i, length: 1, message: "a sql handler runs one statement, but this text has several", hint: "split them into separate endpoints, or combine them with a CTE (WITH …)" });
      i++;
    } else i++;
  }
  return { found, problems };
}

/** Where each line of a verbatim text starts in the config: a `|` block or a one-line scalar. */
export function textLines(configText: (file: string) => string, loc: SourceLocation, value: string): { line: number; col: number }[] | undefined {
  const source = configText(loc.file).split(/\r?\n/);
  const first = source[loc.line - 1];
  if (first === undefined) return undefined;
  const at = first.slice(loc.col - 1);
  if (/^\|[-+]?\s*(#.*)?$/.test(at)) {
    const lines = value.replace(/\n$/, "").split("\n");
    const contentStart = loc.line; // 0-based index of the line after the header
    const firstContent = source.slice(contentStart).find((l) => l.trim() !== "");
    if (firstContent === undefined) return undefined;
    const indent = firstContent.length - firstContent.trimStart().length;
    const out: { line: number; col: number }[] = [];
    for (let k = 0; k < lines.length; k++) {
      const raw = source[contentStart + k];
      if (raw === undefined || (lines[k] !== "" && raw.slice(indent) !== lines[k])) return undefined;
      out.push({ line: contentStart + k + 1, col: indent + 1 });
    }
    return out;
  }
  if (value.includes("\n")) return undefined;
  if (at.startsWith(value)) return [{ line: loc.line, col: loc.col }];
  if ((at[0] === '"' || at[0] === "'") && at.slice(1).startsWith(value)) return [{ line: loc.line, col: loc.col + 1 }];
  return undefined;
}

/** The config position of `offset` in a text whose lines start at `lines`. */
export function positionIn(text: string, lines: readonly { line: number; col: number }[] | undefined, fallback: SourceLocation, offset: number, length = 1): SourceLocation {
  if (!lines) return fallback;
  const before = text.slice(0, offset);
  const index = before.split("\n").length - 1;
  const start = lines[index];
  if (!start) return fallback;
  return { file: fallback.file, line: start.line, col: start.col + offset - (before.lastIndexOf("\n") + 1), length };
}

export function analyzeSql(node: ConfigNode, scope: HandlerScope): SqlHandlerIR | undefined {
  checkKeys(node, SQL_KEYS, "a sql handler", scope.report);
  const text = requireString(node, "query", "a sql handler", scope.report, "SELECT … WHERE id = :id");
  if (text === undefined) return undefined;
  const queryNode = node.at("query");
  const lines = queryNode.path ? textLines(scope.configText, queryNode.loc(), queryNode.value as string) : undefined;
  const at = (offset: number, length: number) => positionIn(queryNode.value as string, lines, queryNode.loc(), offset, length);
  // `text` is trimmed; offsets below are in the text as written.
  const written = queryNode.value as string;
  const { found, problems } = scanSql(written);
  for (const p of problems) scope.report.error("bad-sql", p.message, at(p.offset, p.length), p.hint);
  const chunks: string[] = [];
  const inputs: InputRef[] = [];
  let last = 0;
  let ok = problems.length === 0;
  for (const f of found) {
    const loc = at(f.start, f.length);
    const refNode: ConfigNode = { value: f.ref, at: () => refNode, loc: () => loc };
    const input = resolveInput(refNode, scope, `the sql placeholder ${written.slice(f.start, f.start + f.length)}`);
    if (!input) {
      ok = false;
      continue;
    }
    chunks.push(written.slice(last, f.start));
    inputs.push(input);
    last = f.start + f.length;
  }
  chunks.push(written.slice(last));
  if (!ok) return undefined;
  // The same input keeps its number, so `:q` twice is `$1` twice.
  const numbers = new Map<string, number>();
  const placeholders: SqlHandlerIR["placeholders"][number][] = [];
  let positional = chunks[0]!;
  inputs.forEach((input, k) => {
    const id = `${input.source}.${input.name}`;
    if (!numbers.has(id)) numbers.set(id, numbers.size + 1);
    const ph = `$${numbers.get(id)}`;
    placeholders.push({ at: positional.length, length: ph.length, replaced: found[k]!.length });
    positional += ph + chunks[k + 1]!;
  });
  const response = scope.endpoint.response;
  return { kind: "sql", text: written, chunks, inputs, positional, placeholders, lines, single: response !== undefined && !response.array, loc: queryNode.loc() };
}
