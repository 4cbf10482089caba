import { asc, desc, type SQL } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import { ValidationError } from "./errors.js";

/**
 * The list envelope every list endpoint answers with:
 *   {"data": [...], "pagination": {"type": "offset", "limit", "offset", "hasNext", "hasPrev", "total"?}}
 * `total` is present only when the client asks for it with `?count=true`.
 */
export interface OffsetPage<T> {
  data: T[];
  pagination: {
    type: "offset";
    limit: number;
    offset: number;
    hasNext: boolean;
    hasPrev: boolean;
    total?: number;
  };
}

/**
 * Builds a page from rows fetched with `LIMIT limit + 1`: the extra row only tells
 * whether a next page exists, so no COUNT query is needed for `hasNext`.
 */
export function offsetPage<T>(rows: T[], limit: number, offset: number, total?: number): OffsetPage<T> {
  const hasNext = rows.length > limit;
  if (hasNext) rows.length = limit;
  const page: OffsetPage<T> = { data: rows, pagination: { type: "offset", limit, offset, hasNext, hasPrev: offset > 0 } };
  if (total !== undefined) page.pagination.total = total;
  return page;
}

/**
 * Parses `?sort=-createdAt,name` (and the older `?orderBy=createdAt:desc`) against the
 * fields a list may be sorted by. Unknown fields are a 400, not silently ignored.
 * The primary key is always appended so pages never overlap.
 */
export function parseSort(value: string | undefined, sortable: Readonly<Record<string, AnyPgColumn>>, primaryKey: AnyPgColumn): SQL[] {
  if (value === undefined || value === "") return [asc(primaryKey)];
  const order: SQL[] = [];
  for (const raw of value.split(",")) {
    const term = raw.trim();
    if (term === "") continue;
    let field = term;
    let descending = false;
    if (term.startsWith("-")) {
      field = term.slice(1);
      descending = true;
    } else if (term.startsWith("+")) {
      field = term.slice(1);
    }
    const colon = field.indexOf(":");
    if (colon >= 0) {
      const direction = field.slice(colon + 1).toLowerCase();
      if (direction !== "asc" && direction !== "desc") {
        throw new ValidationError("Invalid sort direction", [{ field: "sort", message: `direction must be asc or desc, got "${direction.slice(0, 20)}"`, rule: "enum" }], "VALIDATION_QUERY");
      }
      descending = direction === "desc";
      field = field.slice(0, colon);
    }
    const column = Object.hasOwn(sortable, field) ? sortable[field] : undefined;
    if (column === undefined) {
      throw new ValidationError("Invalid sort field", [{ field: "sort", message: `cannot sort by "${field.slice(0, 64)}"; sortable fields: ${Object.keys(sortable).join(", ")}`, rule: "enum" }], "VALIDATION_QUERY");
    }
    order.push(descending ? desc(column) : asc(column));
  }
  order.push(asc(primaryKey));
  return order;
}

/** The envelope of keyset-paginated lists: `nextCursor` continues after the last row. */
export interface CursorPage<T> {
  data: T[];
  pagination: { type: "cursor"; limit: number; hasNext: boolean; nextCursor: string | null };
}

/** Builds a cursor page from rows fetched with `LIMIT limit + 1`. */
export function cursorPage<T>(rows: T[], limit: number, cursorOf: (row: T) => string): CursorPage<T> {
  const hasNext = rows.length > limit;
  if (hasNext) rows.length = limit;
  const last = rows[rows.length - 1];
  return { data: rows, pagination: { type: "cursor", limit, hasNext, nextCursor: hasNext && last !== undefined ? cursorOf(last) : null } };
}
