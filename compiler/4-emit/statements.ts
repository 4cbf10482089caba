/**
 * Prepared selects in emitted modules: `preparedRead(database, name, <Drizzle select>)`
 * (runtime-lib/prepared.ts), which on PostgreSQL runs the statement on postgres.js directly and
 * decodes rows with the columns' Drizzle decoders, and elsewhere is Drizzle's `.prepare(name)`.
 */
import type { Imports } from "./writer.js";

/** The expression preparing `builder` (a select chain starting at `db`) under the statement name `nameExpr` (TypeScript: a string literal). */
export function preparedSelect(builder: string, nameExpr: string, imports: Imports): string {
  imports.add("../lib/prepared.js", "preparedRead").add("../db/client.js", "database");
  return `preparedRead(database, ${nameExpr}, ${builder})`;
}
