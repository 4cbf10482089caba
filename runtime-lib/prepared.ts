import { Column, fillPlaceholders, is, SQL } from "drizzle-orm";

/**
 * Prepared statements for queries whose SQL depends on the request: which filters were sent
 * and how the list is sorted. Each distinct shape is built and prepared once, on first use;
 * after that a request only binds values. The number of shapes kept is bounded, so a client
 * cycling through sort orders cannot grow memory without limit (beyond the bound, statements
 * are built per request, which is still correct, only slower).
 */
export function preparedPerShape<A extends (string | undefined)[], T>(build: (...args: A) => T, max = 256): (...args: A) => T {
  const cache = new Map<string, T>();
  return (...args: A): T => {
    const key = args.join("\u0000");
    let statement = cache.get(key);
    if (statement === undefined) {
      statement = build(...args);
      if (cache.size < max) cache.set(key, statement);
    }
    return statement;
  };
}

/** A read prepared once: `execute` binds the placeholder values and returns the rows. */
export interface ReadStatement<R> {
  execute(values?: Record<string, unknown>): Promise<R>;
}

/** A Drizzle select builder (`db.select(…).from(…)…`), before `.prepare()`. */
interface SelectQuery<R> {
  prepare(name: string): ReadStatement<R>;
  toSQL(): { sql: string; params: unknown[] };
}

/** Turns one driver value into the value Drizzle returns for the column (Date, number, …). */
interface Decoder {
  mapFromDriverValue(value: unknown): unknown;
}

/**
 * A select prepared once. On PostgreSQL it runs on postgres.js directly (`database.runValues`, a
 * prepared statement per connection) and decodes each row with the selected columns' own Drizzle
 * decoders, so rows are exactly what Drizzle's `.prepare(name).execute()` returns, without its
 * per-query wrapper (four nested async steps and a generic row mapper), which cost as much as
 * the rest of a point read. Selections that nest objects (joins) and the PGlite driver use
 * Drizzle's prepared query as it is.
 */
export function preparedRead<R>(database: { runValues?: (text: string, params: unknown[]) => Promise<unknown[][]> }, name: string, query: SelectQuery<R>): ReadStatement<R> {
  const run = database.runValues;
  const columns = run === undefined ? undefined : flatSelection(query);
  if (run === undefined || columns === undefined) return query.prepare(name);
  const { sql: text, params } = query.toSQL();
  const keys = columns.map(([key]) => key);
  const decoders = columns.map(([, decoder]) => decoder);
  const width = keys.length;
  return {
    async execute(values = {}) {
      const rows = await run(text, fillPlaceholders(params, values));
      const out: Record<string, unknown>[] = new Array(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i]!;
        const record: Record<string, unknown> = {};
        for (let j = 0; j < width; j++) {
          const value = row[j];
          record[keys[j]!] = value === null ? null : decoders[j]!.mapFromDriverValue(value);
        }
        out[i] = record;
      }
      return out as R;
    },
  };
}

/** The selected fields in order with their decoders, when every one is a column or an SQL expression; else undefined. */
function flatSelection(query: unknown): [string, Decoder][] | undefined {
  const internals = (query as { _?: { selectedFields?: Record<string, unknown>; config?: { joins?: unknown[] } } })._;
  const fields = internals?.selectedFields;
  if (fields === undefined || (internals?.config?.joins?.length ?? 0) > 0) return undefined;
  const out: [string, Decoder][] = [];
  for (const [key, field] of Object.entries(fields)) {
    // An SQL expression's decoder is what `.mapWith()` set (Drizzle keeps it on the expression).
    const decoder = is(field, Column) ? field : is(field, SQL) ? decoderOf(field) : is(field, SQL.Aliased) ? decoderOf(field.sql) : undefined;
    if (decoder === undefined) return undefined;
    out.push([key, decoder]);
  }
  return out;
}

function decoderOf(expression: SQL): Decoder | undefined {
  const decoder = (expression as unknown as { decoder?: Decoder }).decoder;
  return typeof decoder?.mapFromDriverValue === "function" ? decoder : undefined;
}
