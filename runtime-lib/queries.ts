/**
 * Small helpers of the code emitted for declarative handlers (`type: query`, `aggregate`,
 * `sql`). The queries themselves are emitted in full; these only convert values.
 */
import { z } from "zod";
import { likePattern, type SearchMode } from "./search.js";

/** A LIKE pattern matching `value` literally (`%`, `_` and `\` escaped), or undefined when the filter was not sent. */
export function likeValue(value: string | null | undefined, mode: SearchMode): string | undefined {
  return value === undefined || value === null ? undefined : likePattern(value, mode);
}

/** A comma-separated query parameter (`?status=draft,active`) as a list of `item`s, 1 to `max` of them. */
export const queryList = <T extends z.ZodType>(item: T, max = 100) =>
  z.preprocess((value) => (typeof value === "string" ? value.split(",").map((part) => part.trim()).filter((part) => part !== "") : value), z.array(item).min(1, "list 1 or more values, separated by commas").max(max));

/**
 * Decodes an integer aggregate that may pass 2^53 (the sum of a bigint column, which PostgreSQL
 * sends as text): a number while it is exact, else the digits as text, never a rounded number.
 */
export function integerOrText(value: unknown): number | string {
  const n = Number(value);
  return typeof value === "string" && !Number.isSafeInteger(n) && /^-?\d+$/.test(value) ? value : n;
}

/** Decodes a numeric aggregate (PostgreSQL sends numeric and bigint as text) to a number; SQL NULL stays null. */
export function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

/**
 * The rows of a raw statement (`db.execute`), whichever driver ran it: postgres.js returns the
 * rows, PGlite an object holding them. 64-bit integers become numbers when they fit, text otherwise.
 */
export function rowsOf(result: unknown): Record<string, unknown>[] {
  const rows: unknown = Array.isArray(result) ? result : typeof result === "object" && result !== null && "rows" in result ? result.rows : [];
  if (!Array.isArray(rows)) return [];
  return rows.map((row: unknown) => {
    const out: Record<string, unknown> = {};
    if (typeof row !== "object" || row === null) return out;
    for (const [key, value] of Object.entries(row)) {
      out[key] = typeof value === "bigint" ? (value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString()) : value;
    }
    return out;
  });
}
