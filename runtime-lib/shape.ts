/**
 * Request-shaped reads: `?include=` (relations to load), `?fields=` (properties to return),
 * ETags for conditional requests, and opaque keyset cursors.
 */
import * as nodeCrypto from "node:crypto";
import { ApiError, ValidationError } from "./errors.js";

/** Parses a comma list (`author,tags`) against the names allowed; unknown names are a 400. */
export function parseNames(value: string | undefined, allowed: readonly string[], param: string): string[] {
  if (value === undefined || value === "") {
    // `?include=` asks for nothing; `?fields=` would answer with empty objects, so it is a 400.
    if (value === "" && param === "fields") throw new ValidationError("Invalid query parameters", [{ field: param, message: `names no property; allowed: ${allowed.join(", ")}`, rule: "required" }], "VALIDATION_QUERY");
    return [];
  }
  const names = [...new Set(value.split(",").map((n) => n.trim()).filter((n) => n !== ""))];
  const unknown = names.filter((n) => !allowed.includes(n));
  if (unknown.length > 0) {
    throw new ValidationError("Invalid query parameters", unknown.map((n) => ({ field: param, message: `unknown name "${n.slice(0, 64)}"; allowed: ${allowed.join(", ")}`, rule: "enum" })), "VALIDATION_QUERY");
  }
  return names;
}

/** Keeps only the requested properties (and loaded relations) of each row. */
export function pickFields<T extends Record<string, unknown>>(rows: readonly T[], fields: readonly string[]): Record<string, unknown>[] {
  return rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const f of fields) if (f in row) out[f] = row[f];
    return out;
  });
}

/**
 * SHA-1 in base64url: Node's one-shot `crypto.hash` (no Hash object per call) where the runtime
 * has it (Node 20.12+), else createHash.
 */
const sha1: (text: string) => string =
  typeof nodeCrypto.hash === "function" ? (text) => nodeCrypto.hash("sha1", text, "base64url") : (text) => nodeCrypto.createHash("sha1").update(text).digest("base64url");

/** A strong ETag of a JSON body's text: the same body always gives the same tag. */
export function textTag(json: string): string {
  return `"${sha1(json)}"`;
}

/**
 * A 200 JSON response with the body's ETag, as GET by id sends it: after a PUT or PATCH the
 * client holds the tag its next If-Match needs without reading the row again.
 */
export function taggedJson(value: unknown): Response {
  const json = JSON.stringify(value);
  return new Response(json, { headers: { "Content-Type": "application/json", ETag: textTag(json) } });
}

/** The ETag a value is sent with (the tag of its JSON text). */
export function entityTag(value: unknown): string {
  return textTag(JSON.stringify(value));
}

/**
 * True when an If-None-Match / If-Match header lists this tag (or `*`). If-None-Match compares
 * weakly (`W/"…"` matches too); If-Match compares strongly (RFC 9110 §13.1.1): a weak tag never
 * matches, since it does not promise the same bytes.
 */
export function tagMatches(header: string | undefined, tag: string, comparison: "weak" | "strong" = "weak"): boolean {
  if (header === undefined) return false;
  return header.split(",").some((t) => {
    const v = t.trim();
    return v === "*" || v === tag || (comparison === "weak" && v === `W/${tag}`);
  });
}

export class PreconditionFailedError extends ApiError {
  constructor() {
    super(412, "PRECONDITION_FAILED", "The resource changed since it was read (If-Match does not match its ETag)");
  }
}

/** An opaque cursor: the sort key and primary key of the last row of a page, as text. */
export function encodeCursor(values: readonly unknown[]): string {
  return Buffer.from(JSON.stringify(values.map((v) => (v instanceof Date ? v.toISOString() : String(v))))).toString("base64url");
}

/** Decodes a cursor made by encodeCursor into its text values; anything else (tampered, truncated) is a 400. */
export function decodeCursor(value: string): unknown {
  if (!/^[A-Za-z0-9_-]{1,1024}$/.test(value)) return undefined;
  try {
    return JSON.parse(Buffer.from(value, "base64url").toString("utf8")) as unknown;
  } catch {
    return undefined;
  }
}

export function invalidCursor(): ValidationError {
  return new ValidationError("Invalid cursor", [{ field: "cursor", message: "is not a cursor returned by this API", rule: "invalid_format" }], "VALIDATION_QUERY");
}

/** The distinct non-null string values of `field` across rows (the keys a relation loader looks up). */
export function stringKeys(rows: readonly Record<string, unknown>[], field: string): string[] {
  const keys = new Set<string>();
  for (const row of rows) {
    const v = row[field];
    if (typeof v === "string") keys.add(v);
  }
  return [...keys];
}

export function numberKeys(rows: readonly Record<string, unknown>[], field: string): number[] {
  const keys = new Set<number>();
  for (const row of rows) {
    const v = row[field];
    if (typeof v === "number") keys.add(v);
  }
  return [...keys];
}

export function groupBy<T>(items: readonly T[], keyOf: (item: T) => unknown): Map<unknown, T[]> {
  const groups = new Map<unknown, T[]>();
  for (const item of items) {
    const k = keyOf(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
