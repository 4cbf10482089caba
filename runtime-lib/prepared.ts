import { Column, type DriverValueEncoder, is, NoopLogger, noopDecoder, Param, Placeholder, SQL } from "drizzle-orm";
import { NoopCache } from "drizzle-orm/cache/core";
import { PostgresJsPreparedQuery } from "drizzle-orm/postgres-js";

/** What a prepared statement offers the emitted code. */
interface Executable {
  execute(values?: Record<string, unknown>): Promise<unknown>;
}

/**
 * Prepared statements for queries whose SQL depends on the request: which filters were sent
 * and how the list is sorted. Each distinct shape is built and prepared once, on first use, and
 * run through `direct`; after that a request only binds values. The number of shapes kept is
 * bounded, so a client cycling through sort orders cannot grow memory without limit (beyond the
 * bound, statements are built per request, which is still correct, only slower).
 */
export function preparedPerShape<A extends (string | undefined)[], T extends Executable>(build: (...args: A) => T, max = 256): (...args: A) => Pick<T, "execute"> {
  const cache = new Map<string, Pick<T, "execute">>();
  return (...args: A) => {
    const key = args.join("\u0000");
    let statement = cache.get(key);
    if (statement === undefined) {
      statement = direct(build(...args));
      if (cache.size < max) cache.set(key, statement);
    }
    return statement;
  };
}

/** Runs around one query: calls `run` once and returns (or throws) what it gives. */
export type QueryWrapper = <T>(sql: string, run: () => Promise<T>) => Promise<T>;

/**
 * Set by code that observes every query (database instrumentation), which wraps Drizzle's query
 * path the same way: from then on every `direct` statement, including those built before, runs
 * inside it.
 */
let wrapQuery: QueryWrapper | undefined;

export function wrapDirectQueries(wrapper: QueryWrapper): void {
  wrapQuery = wrapper;
}

/** What `direct` reads of a Drizzle prepared query on postgres.js (drizzle-orm 0.45; not in its type declarations). */
interface PostgresJsQueryParts {
  client: { unsafe(query: string, params: unknown[], options: { prepare: boolean }): PromiseLike<unknown> & { values(): PromiseLike<unknown[][]> } };
  queryString: string;
  params: unknown[];
  fields: { path: string[]; field: unknown }[] | undefined;
  customResultMapper: unknown;
  logger: unknown;
  cache: unknown;
}

/** One parameter of a prepared statement: a value fixed when it was built, or a placeholder's (encoded by its column, if any). */
type Slot = { fixed: true; value: unknown } | { fixed: false; name: string; encoder: DriverValueEncoder<unknown, unknown> | undefined };

/**
 * The statement's parameter list for one call, as Drizzle's `fillPlaceholders` makes it (the same
 * values, the same encoders, the same error for a missing placeholder), from slots sorted out once.
 *
 * Besides skipping the per-call `is()` checks, this matters for garbage collection: calling
 * `fillPlaceholders` (a `params.map(...)`) per request made the emitted server's young-generation
 * collections promote about 840 KB each to the old generation (`--trace-gc-nvp`), and each took
 * 5–8 ms instead of about 1 ms; with this loop they promote about 5 KB, as the hand-written
 * reference does (bench/RESULTS.md).
 */
function binder(params: readonly unknown[]): (values: Record<string, unknown>) => unknown[] {
  const slots: Slot[] = params.map((p): Slot => {
    if (is(p, Placeholder)) return { fixed: false, name: p.name, encoder: undefined };
    if (is(p, Param) && is(p.value, Placeholder)) return { fixed: false, name: p.value.name, encoder: p.encoder as DriverValueEncoder<unknown, unknown> };
    return { fixed: true, value: p };
  });
  return (values) => {
    const out = new Array<unknown>(slots.length);
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      if (slot.fixed) {
        out[i] = slot.value;
        continue;
      }
      if (!(slot.name in values)) throw new Error(`No value for placeholder "${slot.name}" was provided`);
      const value = values[slot.name];
      out[i] = slot.encoder === undefined ? value : slot.encoder.mapToDriverValue(value);
    }
    return out;
  };
}

/** A driver value → API value conversion; undefined where the value is used as it comes. */
type Decode = ((value: unknown) => unknown) | undefined;

const identity = Column.prototype.mapFromDriverValue;

/** The decoder of one selected field, or null when it is not a plain column or SQL expression. */
function decoderOf(field: unknown): Decode | null {
  // An SQL expression's decoder (set by .mapWith) is not in Drizzle's type declarations.
  const sqlDecoder = (s: SQL) => (s as unknown as { decoder: { mapFromDriverValue(value: unknown): unknown } }).decoder;
  const decoder = is(field, Column) ? field : is(field, SQL) ? sqlDecoder(field) : is(field, SQL.Aliased) ? sqlDecoder(field.sql) : null;
  if (decoder === null) return null;
  if (decoder === noopDecoder || decoder.mapFromDriverValue === identity) return undefined;
  return (value) => decoder.mapFromDriverValue(value);
}

/**
 * A Drizzle prepared query whose `execute` runs the named statement on postgres.js directly.
 *
 * Drizzle builds the SQL, the parameter list and each column's decoder once, when the statement
 * is prepared; this keeps all three and, per request, binds the values (`binder`: the values
 * Drizzle's `fillPlaceholders` gives), runs the statement and decodes each row with a loop over
 * the precomputed decoders. What it leaves out of Drizzle's `execute` is per-call machinery the
 * emitted app does not use: two instrumentation wrappers (no-ops unless configured), the
 * query-cache lookup, the logger call and a generic row mapper that handles nested selections; in
 * one server process switching between the two, they measured about 6 % of a GET by id's CPU time
 * (bench/RESULTS.md). Results are the same values Drizzle returns, decoded by the same column
 * objects. Errors are PostgreSQL's own, without Drizzle's DrizzleQueryError around them
 * (errors.ts reads either).
 *
 * The query is returned unchanged (and runs through Drizzle) on PGlite, with a logger or cache
 * configured, and for selections that are not flat (joined tables, nested objects). With query
 * hooks installed (database instrumentation), each statement runs inside them (`wrapDirectQueries`).
 */
export function direct<T extends Executable>(prepared: T): Pick<T, "execute"> {
  if (!is(prepared, PostgresJsPreparedQuery)) return prepared;
  const q = prepared as unknown as PostgresJsQueryParts;
  // (Drizzle's joinsNotNullableMap only matters for nested selections, which are left to it below.)
  if (q.customResultMapper !== undefined || !is(q.logger, NoopLogger) || (q.cache !== undefined && !is(q.cache, NoopCache))) return prepared;
  const { client, queryString } = q;
  const bind = binder(q.params);
  const options = { prepare: true };
  const send = (values: Record<string, unknown>) => client.unsafe(queryString, bind(values), options);
  // (Without hooks, no closure or extra promise per call.)
  if (q.fields === undefined) {
    const run = (values: Record<string, unknown> = {}) => (wrapQuery ? wrapQuery(queryString, () => Promise.resolve(send(values))) : Promise.resolve(send(values)));
    return { execute: run as T["execute"] };
  }
  const names: string[] = [];
  const decoders: Decode[] = [];
  for (const { path, field } of q.fields) {
    const decode = decoderOf(field);
    if (path.length !== 1 || decode === null) return prepared;
    names.push(path[0]!);
    decoders.push(decode);
  }
  const execute = async (values: Record<string, unknown> = {}) => {
    const rows = await (wrapQuery ? wrapQuery(queryString, () => Promise.resolve(send(values).values())) : send(values).values());
    const result: Record<string, unknown>[] = new Array(rows.length);
    for (let r = 0; r < rows.length; r++) {
      const raw = rows[r]!;
      const row: Record<string, unknown> = {};
      for (let i = 0; i < names.length; i++) {
        const value = raw[i];
        const decode = decoders[i];
        row[names[i]!] = value === null || decode === undefined ? value : decode(value);
      }
      result[r] = row;
    }
    return result;
  };
  return { execute: execute as T["execute"] };
}
