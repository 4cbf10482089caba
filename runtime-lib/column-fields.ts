import { getTableColumns, getTableName, is, Table } from "drizzle-orm";
import type { ColumnFields } from "./errors.js";

/**
 * `table.column` → field for every table in a Drizzle schema module, so database errors name
 * the field a request sent (`authorId`), not the column (`author_id`) or a constraint.
 */
export function columnFields(schema: Record<string, unknown>): ColumnFields {
  const fields = new Map<string, string>();
  for (const value of Object.values(schema)) {
    if (!is(value, Table)) continue;
    const table = getTableName(value);
    for (const [field, column] of Object.entries(getTableColumns(value))) fields.set(`${table}.${column.name}`, field);
  }
  return fields;
}
