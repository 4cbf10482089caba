/**
 * Hooks around every database query the app runs, for metrics and tracing. Drizzle sends each
 * query of both drivers (postgres.js and PGlite) through one method of its prepared-query base
 * class, so wrapping that method covers query builders, prepared statements, relational queries
 * and transactions alike, at the cost of a function call per query; the statements prepared.ts's
 * `direct` runs on postgres.js itself go through the same hooks. Nothing is wrapped unless a
 * plugin registers a hook.
 */
import { PgPreparedQuery } from "drizzle-orm/pg-core";
import { type QueryWrapper, wrapDirectQueries } from "./prepared.js";

/** Runs around one query: must call `run` once and return (or throw) what it gives. */
export type QueryHook = QueryWrapper;

/** The method every driver's execute() goes through (internal to drizzle-orm, hence checked at start-up). */
interface QueryPath {
  queryWithCache(sql: string, params: unknown[], run: () => Promise<unknown>): Promise<unknown>;
}

const hooks: QueryHook[] = [];

/** Adds a hook; the first one installs the wrapper. Hooks added later run outside earlier ones. */
export function onQuery(hook: QueryHook): void {
  if (hooks.length === 0) install();
  hooks.push(hook);
}

function install(): void {
  const path = PgPreparedQuery.prototype as unknown as QueryPath;
  const original = path.queryWithCache;
  if (typeof original !== "function") {
    throw new Error("drizzle-orm's PgPreparedQuery.queryWithCache is missing: database metrics and tracing need drizzle-orm 0.45");
  }
  path.queryWithCache = function (this: QueryPath, sql, params, run) {
    return hooked(sql, () => original.call(this, sql, params, run));
  };
  // Statements on the direct path (prepared.ts) do not go through Drizzle's query path.
  wrapDirectQueries(hooked);
}

/** `run` inside every hook, the hooks added later outside the earlier ones. */
function hooked<T>(sql: string, run: () => Promise<T>): Promise<T> {
  let call = run;
  for (const hook of hooks) {
    const inner = call;
    call = () => hook(sql, inner);
  }
  return call();
}

const OPERATION = /^\s*(?:with\b[\s\S]*?\)\s*)?(select|insert|update|delete)\b/i;
const TARGET = /\b(?:from|into|update)\s+"?([A-Za-z_]\w*)"?(?:\."?([A-Za-z_]\w*)"?)?/i;

/** `schema.table` names the table; a bare name is the table itself. */
const tableOf = (m: RegExpExecArray | null) => m?.[2] ?? m?.[1];

const described = new Map<string, { operation: string; table: string | undefined }>();

/** `SELECT`, `INSERT`, … and the first table the statement names (for span names and labels); cached per statement text. */
export function describeQuery(sql: string): { operation: string; table: string | undefined } {
  let found = described.get(sql);
  if (found === undefined) {
    found = { operation: OPERATION.exec(sql)?.[1]?.toUpperCase() ?? sql.trimStart().split(/\s/, 1)[0]!.toUpperCase(), table: tableOf(TARGET.exec(sql)) };
    if (described.size >= 1000) described.clear();
    described.set(sql, found);
  }
  return found;
}
