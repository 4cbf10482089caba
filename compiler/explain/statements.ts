/**
 * The statements each route runs, rebuilt from the same IR and lowered route plans the emitters
 * read, with the same Drizzle calls (`eq`, `ilike`, `isNull`, `sql.placeholder`, …) against
 * tables that carry the emitted column names (tables.ts). Drizzle renders them, so the text and
 * the $n numbering are Drizzle's own.
 *
 * A condition the emitted code adds only when the request sends an input (`?category=`) is kept
 * apart from the ones it always applies, so the report can say when it applies and `--db` can
 * explain each shape on its own.
 */
import { and, asc, between, count, desc, eq, gt, gte, ilike, inArray, isNotNull, isNull, like, lt, lte, max, min, ne, notInArray, or, sql, type SQL } from "drizzle-orm";
import { alias, type PgColumn } from "drizzle-orm/pg-core";
import { drizzle } from "drizzle-orm/postgres-js";
import type { AuthRequirementIR, CrudRoutePlan, EndpointIR, EntityIR, FieldIR, FilterIR, FilterValue, OperationHandlerIR, OrderByIR, PaginationIR, ProjectIR, QueryHandlerIR, SqlHandlerIR } from "../ir.js";
import { junctionSides } from "../ir-lookup.js";
import { filterFields, hiddenFields, writableFields } from "../4-emit/validation.js";
import { searchVectorSql } from "../4-emit/routes.js";
import { operationBodyFields } from "../4-emit/operations.js";
import { buildTables, type AnyTable, type Tables } from "./tables.js";
import { bulkPath } from "../3-lower/crud.js";

/** How a condition reads a column; decides which index can serve it. */
export type ColumnUse = "eq" | "range" | "in" | "null" | "like" | "fulltext";

export interface Condition {
  /** The request input that switches it on (`?category`); absent: always applied. */
  when?: string;
  sql: SQL;
  /** Columns it tests. `softDelete` marks the `deleted_at IS NULL` every read adds. */
  uses: { entity: EntityIR; field: FieldIR; how: ColumnUse; softDelete?: boolean }[];
  /** The input or constant it tests, when it is always applied (`:sku`, `status = constant`). */
  label?: string;
  /** Where it comes from, for the index suggestion. */
  origin: "crud-filter" | "crud-search" | "filter" | "search" | "key" | "parent" | "cursor" | "soft-delete" | "policy";
}

export interface Statement {
  /** What it does: "select page", "count", "insert". */
  label: string;
  /** The table it reads or writes first; absent for hand-written SQL. */
  entity?: EntityIR;
  /** Always applied, then optional ones (each only when its input is sent). */
  conditions: Condition[];
  /** Renders the statement with these conditions (in order). */
  render(conditions: readonly Condition[]): { sql: string; params: unknown[] };
  /** Placeholder name → where its value comes from. */
  params: Record<string, string>;
  /** Whether it runs on every request, or when (`?count=true`, `no rows`). */
  runs?: string;
  notes: string[];
}

export interface RouteStatements {
  method: string;
  path: string;
  /** "CRUD list of Product", "query handler", … */
  kind: string;
  /** Who may call it, from the auth rules. */
  statements: Statement[];
  notes: string[];
  entity?: EntityIR;
  /** The route inserts rows: a row policy sets its columns rather than filtering. */
  creates?: boolean;
}

type Query = { toSQL(): { sql: string; params: unknown[] } };

const db = drizzle.mock();

const pkOf = (e: EntityIR): FieldIR => e.fields.find((f) => f.name === e.primaryKey)!;
const fieldOf = (e: EntityIR, name: string): FieldIR => e.fields.find((f) => f.name === name)!;
const col = (t: AnyTable, f: FieldIR | string): PgColumn => t[typeof f === "string" ? f : f.name] as PgColumn;

/** The select list: every column, or every visible one when some are never sent. */
function selection(entity: EntityIR, t: AnyTable): Record<string, PgColumn> | undefined {
  const hidden = hiddenFields(entity);
  if (!hidden.length) return undefined;
  return Object.fromEntries(entity.fields.filter((f) => !hidden.includes(f)).map((f) => [f.name, col(t, f)]));
}

const combine = (conds: readonly Condition[]): SQL | undefined => (conds.length === 0 ? undefined : conds.length === 1 ? conds[0]!.sql : and(...conds.map((c) => c.sql)));

function statement(label: string, entity: EntityIR, conditions: Condition[], params: Record<string, string>, build: (where: SQL | undefined) => Query, extra: Partial<Pick<Statement, "runs" | "notes">> = {}): Statement {
  return { label, entity, conditions, params, render: (conds) => build(combine(conds)).toSQL(), notes: extra.notes ?? [], ...(extra.runs ? { runs: extra.runs } : {}) };
}

function softDelete(entity: EntityIR, t: AnyTable): Condition[] {
  if (!entity.softDelete) return [];
  const field = fieldOf(entity, entity.softDelete.field);
  return [{ sql: isNull(col(t, field)), uses: [{ entity, field, how: "null", softDelete: true }], origin: "soft-delete" }];
}

function byKey(entity: EntityIR, t: AnyTable, placeholder = "id"): Condition {
  const pk = pkOf(entity);
  return { sql: eq(col(t, pk), sql.placeholder(placeholder)), uses: [{ entity, field: pk, how: "eq" }], origin: "key" };
}

/** Where a caller value of a row policy comes from: "the caller's id (policy owner)". */
const callerSource = (claim: string, policy: string) => `the caller's ${claim === "id" ? "id" : claim} (policy ${policy})`;

/**
 * A row policy's `where:` as the conditions the emitted statement adds (4-emit/policies.ts):
 * caller values are bound as the `caller.<claim>` parameters, constants as written.
 */
function policyConditions(entity: EntityIR, t: AnyTable, rule: AuthRequirementIR | undefined, params: Record<string, string>): Condition[] {
  return (rule?.where ?? []).map((c) => {
    const field = fieldOf(entity, c.field);
    const label = `policy ${rule!.policy}`;
    if (c.value.kind === "literal") {
      if (c.value.value === null) return { sql: isNull(col(t, field)), uses: [{ entity, field, how: "null" }], label, origin: "policy" };
      return { sql: eq(col(t, field), c.value.value), uses: [{ entity, field, how: "eq" }], label, origin: "policy" };
    }
    params[`caller.${c.value.claim}`] = callerSource(c.value.claim, rule!.policy);
    return { sql: eq(col(t, field), sql.placeholder(`caller.${c.value.claim}`)), uses: [{ entity, field, how: "eq" }], label, origin: "policy" };
  });
}

/** The row policy of an entity's CRUD list, which declarative handlers reading the entity apply too (4-emit/handlers/where.ts). */
const readPolicy = (entity: EntityIR, t: AnyTable, params: Record<string, string>): Condition[] => policyConditions(entity, t, entity.crud?.auth?.list, params);

/** The columns a create under a row policy sets itself, as insert values, with their sources in `params`. */
function policyValues(rule: AuthRequirementIR | undefined, params: Record<string, string>): Record<string, unknown> {
  return Object.fromEntries((rule?.where ?? []).map((c) => {
    if (c.value.kind === "literal") return [c.field, c.value.value];
    params[`caller.${c.value.claim}`] = callerSource(c.value.claim, rule!.policy);
    return [c.field, sql.placeholder(`caller.${c.value.claim}`)];
  }));
}

const LIKE_PATTERN: Readonly<Record<string, string>> = { contains: "%term%", starts: "term%", ends: "%term", exact: "term" };

// ---------------------------------------------------------------------------------------------
// CRUD routes (4-emit/routes.ts)

function crudStatements(entity: EntityIR, plan: CrudRoutePlan, t: AnyTable): { statements: Statement[]; notes: string[] } {
  const sel = selection(entity, t);
  const pk = pkOf(entity);
  const live = softDelete(entity, t);
  const crud = entity.crud!;
  const select = () => (sel ? db.select(sel) : db.select());
  // The route's row policy: its conditions follow the key and soft delete, as in the emitted code.
  const rule = crud.auth?.[plan.operation];
  const scoped = (params: Record<string, string>) => policyConditions(entity, t, rule, params);
  const findById = () => {
    const params: Record<string, string> = { id: ":id" };
    return statement("select by id", entity, [byKey(entity, t), ...live, ...scoped(params)], params, (w) => select().from(t).where(w));
  };
  const notes: string[] = [];
  switch (plan.operation) {
    case "get":
      return { statements: [findById()], notes };
    case "list": {
      const params: Record<string, string> = {};
      const conds: Condition[] = [...live, ...scoped(params)];
      for (const f of filterFields(entity)) {
        conds.push({ when: `?${f.name}`, sql: eq(col(t, f), sql.placeholder(f.name)), uses: [{ entity, field: f, how: "eq" }], origin: "crud-filter" });
        params[f.name] = `?${f.name}`;
      }
      const search = crud.search;
      let rank: SQL | undefined;
      if (search) {
        const fields = search.fields.map((n) => fieldOf(entity, n));
        if (search.fullText) {
          const vector = sql.raw(searchVectorSql(fields.map((f) => `"${entity.table}"."${f.column}"`)));
          const query = sql`websearch_to_tsquery('simple', ${sql.placeholder("search")})`;
          conds.push({ when: "?search", sql: sql`${vector} @@ ${query}`, uses: fields.map((field) => ({ entity, field, how: "fulltext" as const })), origin: "crud-search" });
          rank = sql`ts_rank(${vector}, ${query})`;
          params.search = "?search";
        } else {
          const terms = fields.map((f) => ilike(col(t, f), sql.placeholder("searchPattern")));
          conds.push({ when: "?search", sql: terms.length > 1 ? or(...terms)! : terms[0]!, uses: fields.map((field) => ({ entity, field, how: "like" as const })), origin: "crud-search" });
          params.searchPattern = `?search as an ILIKE pattern (${LIKE_PATTERN[search.mode]})`;
        }
      }
      const paging = crud.pagination;
      const statements: Statement[] = [];
      if (paging.type === "cursor") {
        const cf = fieldOf(entity, paging.cursorField ?? pk.name);
        const keys = cf.name === pk.name ? [pk] : [cf, pk];
        const cmp = paging.direction === "desc" ? "<" : ">";
        const lhs = keys.length === 1 ? sql`${col(t, pk)}` : sql`(${col(t, cf)}, ${col(t, pk)})`;
        const rhs = keys.length === 1 ? sql`${sql.placeholder("after0")}` : sql`(${sql.placeholder("after0")}, ${sql.placeholder("after1")})`;
        conds.push({ when: "?cursor", sql: sql`${lhs} ${sql.raw(cmp)} ${rhs}`, uses: keys.map((field) => ({ entity, field, how: "range" as const })), origin: "cursor" });
        keys.forEach((k, i) => (params[`after${i}`] = `${k.name} of the last row, from ?cursor`));
        params.limit = "?limit + 1";
        const dir = paging.direction === "desc" ? desc : asc;
        statements.push(statement("select page", entity, conds, params, (w) => select().from(t).where(w).orderBy(...keys.map((k) => dir(col(t, k)))).limit(sql.placeholder("limit"))));
      } else {
        params.limit = "?limit + 1";
        params.offset = "?offset";
        statements.push(statement("select page", entity, conds, params, (w) => select().from(t).where(w).orderBy(asc(col(t, pk))).limit(sql.placeholder("limit")).offset(sql.placeholder("offset")), {
          notes: [
            `ORDER BY follows ?sort (${crud.sortable.join(", ") || "no fields"}); shown: the default${rank ? ` (with ?search and no ?sort: ts_rank(...) DESC, ${pk.column} ASC)` : ""}`,
          ],
        }));
        const countParams = Object.fromEntries(Object.entries(params).filter(([k]) => k !== "limit" && k !== "offset"));
        statements.push(statement("count", entity, conds, countParams, (w) => db.select({ total: count() }).from(t).where(w), { runs: "with ?count=true" }));
      }
      if (entity.relations.length) notes.push("?include= loads related rows with one more statement per relation");
      return { statements, notes };
    }
    case "create": {
      const forced = new Set((rule?.where ?? []).map((c) => c.field));
      const writable = writableFields(entity).filter((f) => !forced.has(f.name));
      const params: Record<string, string> = Object.fromEntries(writable.map((f) => [f.name, `body.${f.name}`]));
      const values = { ...Object.fromEntries(writable.map((f) => [f.name, sql.placeholder(f.name)])), ...policyValues(rule, params) };
      return { statements: [statement("insert", entity, [], params, () => (sel ? db.insert(t).values(values).returning(sel) : db.insert(t).values(values).returning()), { notes: ["fields the body leaves out are not listed and take their column defaults"] })], notes };
    }
    case "replace":
    case "update": {
      // The body may not name the policy's columns, so SET never lists them.
      const forced = new Set((rule?.where ?? []).map((c) => c.field));
      const writable = writableFields(entity).filter((f) => !forced.has(f.name));
      const set: Record<string, unknown> = Object.fromEntries(writable.map((f) => [f.name, sql.placeholder(f.name)]));
      for (const f of entity.fields.filter((x) => x.autoUpdate)) set[f.name] = sql`now()`;
      const params: Record<string, string> = Object.fromEntries(writable.map((f) => [f.name, `body.${f.name}`]));
      params.id = ":id";
      const upd = statement("update", entity, [byKey(entity, t), ...live, ...scoped(params)], params, (w) => {
        const q = db.update(t).set(set).where(w);
        return sel ? q.returning(sel) : q.returning();
      }, { notes: [plan.operation === "update" ? "SET lists only the fields the body sends" : "fields the body leaves out are set to their defaults"] });
      return { statements: [upd, { ...findById(), runs: "with If-Match" }], notes };
    }
    case "delete": {
      const soft = entity.softDelete;
      const params: Record<string, string> = { id: ":id" };
      const del = statement(soft ? "soft delete" : "delete", entity, [byKey(entity, t), ...live, ...scoped(params)], params, (w) =>
        soft ? db.update(t).set({ [soft.field]: sql`now()` }).where(w).returning({ [pk.name]: col(t, pk) }) : db.delete(t).where(w).returning({ [pk.name]: col(t, pk) }),
      );
      return { statements: [del, { ...findById(), runs: "with If-Match" }], notes };
    }
  }
}

function bulkStatements(entity: EntityIR, t: AnyTable): Statement[] {
  const sel = selection(entity, t);
  const rule = entity.crud?.auth?.create;
  const forced = new Set((rule?.where ?? []).map((c) => c.field));
  const writable = writableFields(entity).filter((f) => !forced.has(f.name));
  const params: Record<string, string> = Object.fromEntries(writable.map((f) => [f.name, `body[i].${f.name}`]));
  const values = { ...Object.fromEntries(writable.map((f) => [f.name, sql.placeholder(f.name)])), ...policyValues(rule, params) };
  return [statement("insert rows", entity, [], params, () => (sel ? db.insert(t).values(values).returning(sel) : db.insert(t).values(values).returning()), { notes: ["one VALUES row per element of the body (shown: one)"] })];
}

// ---------------------------------------------------------------------------------------------
// Declarative handlers (4-emit/handlers/)

function valueOf(v: FilterValue | undefined, name: string, params: Record<string, string>): unknown {
  if (!v) return undefined;
  if (v.kind === "literal") return v.value;
  params[name] = `${v.input.source === "params" ? ":" : v.input.source === "query" ? "?" : "body."}${v.input.name}`;
  return sql.placeholder(name);
}

const ARRAY_TYPE: Partial<Record<FieldIR["type"], string>> = {
  uuid: "uuid", smallint: "int4", integer: "int4", bigint: "int8", number: "float8", double: "float8", real: "float4",
  decimal: "numeric", money: "numeric", boolean: "bool", date: "date", time: "time", timestamp: "timestamptz", timestamplocal: "timestamp", interval: "interval",
};

/** Filters as 4-emit/handlers/where.ts compiles them (each operator, optional inputs switch theirs on). */
function filterConditions(entity: EntityIR, t: AnyTable, filters: readonly FilterIR[], params: Record<string, string>, taken: Set<string>): Condition[] {
  const out: Condition[] = [];
  const take = (preferred: string) => {
    let name = preferred;
    for (let i = 2; taken.has(name); i++) name = `${preferred}${i}`;
    taken.add(name);
    return name;
  };
  for (const f of filters) {
    const field = fieldOf(entity, f.field);
    const c = col(t, field);
    const input = f.value?.kind === "input" ? f.value.input : undefined;
    const when = input && !input.required ? `${input.source === "query" ? "?" : input.source === "params" ? ":" : "body."}${input.name}` : undefined;
    const v = () => valueOf(f.value, take(input?.name ?? f.field), params);
    let cond: SQL;
    let how: ColumnUse = "eq";
    switch (f.operator) {
      case "isNull":
        how = "null";
        cond = !f.value || (f.value.kind === "literal" && f.value.value === true) ? isNull(c) : f.value.kind === "literal" ? isNotNull(c) : isNull(c);
        break;
      case "between": {
        how = "range";
        const lo = f.value?.kind === "input" ? valueOf(f.value, take(f.value.input.name), params) : (f.value as { value: unknown }).value;
        const hi = f.upper?.kind === "input" ? valueOf(f.upper, take(f.upper.input.name), params) : (f.upper as { value: unknown }).value;
        cond = between(c, lo, hi);
        break;
      }
      case "in":
      case "notIn":
        how = "in";
        if (f.value!.kind === "literal") cond = (f.operator === "in" ? inArray : notInArray)(c, f.value!.value as unknown[]);
        else cond = f.operator === "in" ? sql`${c} = any(${v()}::${sql.raw(ARRAY_TYPE[field.type] ?? "text")}[])` : sql`${c} <> all(${v()}::${sql.raw(ARRAY_TYPE[field.type] ?? "text")}[])`;
        break;
      case "like":
      case "ilike":
      case "contains":
      case "startsWith":
      case "endsWith": {
        how = "like";
        const value = v();
        if (input) params[Object.keys(params).at(-1)!] += ` as a LIKE pattern (${f.operator === "startsWith" ? "term%" : f.operator === "endsWith" ? "%term" : "%term%"})`;
        cond = (f.operator === "ilike" ? ilike : like)(c, value as string);
        break;
      }
      default: {
        how = f.operator === "eq" ? "eq" : f.operator === "ne" ? "null" : "range";
        const fn = { eq, ne, gt, gte, lt, lte }[f.operator as "eq" | "ne" | "gt" | "gte" | "lt" | "lte"];
        cond = fn(c, v());
      }
    }
    const label = input ? `${input.source === "query" ? "?" : input.source === "params" ? ":" : "body."}${input.name}` : `${f.field} ${f.operator} constant`;
    // A `<>` test matches most rows: no index is expected to serve it, so none is suggested.
    const uses = f.operator === "ne" ? [] : [{ entity, field, how }];
    out.push({ ...(when ? { when } : { label }), sql: cond, uses, origin: "filter" });
  }
  return out;
}

function orderOf(entity: EntityIR, t: AnyTable, orderBy: OrderByIR | undefined, notes: string[]): SQL[] {
  const pk = pkOf(entity);
  if (orderBy?.kind === "input") {
    notes.push(`ORDER BY follows ?${orderBy.input.name}; shown: ${orderBy.default?.length ? "its default" : "the default"}`);
    const terms = orderBy.default?.length ? orderBy.default : [{ field: pk.name, direction: "asc" as const }];
    return terms.map((x) => (x.direction === "desc" ? desc : asc)(col(t, x.field)));
  }
  const terms = orderBy?.kind === "static" ? [...orderBy.terms] : [];
  if (!terms.some((x) => x.field === pk.name)) terms.push({ field: pk.name, direction: "asc" });
  return terms.map((x) => (x.direction === "desc" ? desc : asc)(col(t, x.field)));
}

function pagingParams(p: PaginationIR | undefined, params: Record<string, string>): void {
  if (!p) return;
  params.limit = `?${p.limit.name} + 1`;
  params.offset = `?${p.offset.name}`;
}

function queryStatements(h: QueryHandlerIR, ir: ProjectIR, tables: Tables): Statement[] {
  const entity = ir.entities.find((e) => e.name === h.entity)!;
  const t = tables.entity(entity.name);
  const sel = selection(entity, t);
  const params: Record<string, string> = {};
  const conds = [...softDelete(entity, t), ...readPolicy(entity, t, params), ...filterConditions(entity, t, h.filters, params, new Set(["limit", "offset"]))];
  const notes: string[] = [];
  const order = orderOf(entity, t, h.orderBy, notes);
  pagingParams(h.pagination, params);
  return [statement(h.single ? "select first" : "select", entity, conds, params, (w) => {
    const q = (sel ? db.select(sel) : db.select()).from(t).where(w).orderBy(...order).$dynamic();
    if (h.pagination) return q.limit(sql.placeholder("limit")).offset(sql.placeholder("offset"));
    return h.single ? q.limit(1) : q;
  }, { notes })];
}

function relationStatements(h: Extract<EndpointIR["handler"], { kind: "relation" }>, ir: ProjectIR, tables: Tables): Statement[] {
  const parent = ir.entities.find((e) => e.name === h.entity)!;
  const rel = parent.relations.find((r) => r.name === h.relation)!;
  const target = ir.entities.find((e) => e.name === rel.target)!;
  const p = tables.entity(parent.name);
  const ppk = pkOf(parent);
  const tpk = pkOf(target);
  const idParam: Record<string, string> = { id: `:${h.parentId.name}` };
  const parentConds = [byKey(parent, p), ...softDelete(parent, p), ...readPolicy(parent, p, idParam)];
  if (rel.kind === "belongsTo" || rel.kind === "hasOne") {
    const t = target === parent ? alias(tables.entity(target.name), "related") : tables.entity(target.name);
    const visible = target.fields.filter((f) => !f.writeOnly && !f.sensitive && f.name !== target.softDelete?.field);
    const on = rel.kind === "belongsTo" ? eq(col(t, tpk), col(p, rel.foreignKey!)) : eq(col(t, rel.foreignKey!), col(p, ppk));
    const joinParams: Record<string, string> = { ...idParam };
    const join = and(on, ...(target.softDelete ? [isNull(col(t, target.softDelete.field))] : []), ...readPolicy(target, t, joinParams).map((c) => c.sql))!;
    return [statement(`select ${parent.name} with its ${rel.name}`, parent, parentConds, joinParams, (w) =>
      db.select({ found: col(p, ppk), related: Object.fromEntries(visible.map((f) => [f.name, col(t, f)])) }).from(p).leftJoin(t, join).where(w).orderBy(asc(col(t, tpk))).limit(1),
    )];
  }
  const t = tables.entity(target.name);
  const notes: string[] = [];
  const order = orderOf(target, t, h.orderBy, notes);
  const params: Record<string, string> = { id: idParam.id! };
  pagingParams(h.pagination, params);
  const page = <Q extends { limit(n: unknown): { offset(n: unknown): Query } } & Query>(q: Q): Query => (h.pagination ? q.limit(sql.placeholder("limit")).offset(sql.placeholder("offset")) : q);
  let rows: Statement;
  if (rel.kind === "hasMany") {
    const sel = selection(target, t);
    const fk = fieldOf(target, rel.foreignKey!);
    const conds: Condition[] = [{ sql: eq(col(t, fk), sql.placeholder("id")), uses: [{ entity: target, field: fk, how: "eq" }], origin: "parent" }, ...softDelete(target, t), ...readPolicy(target, t, params)];
    rows = statement(`select ${target.name} rows`, target, conds, params, (w) => page((sel ? db.select(sel) : db.select()).from(t).where(w).orderBy(...order).$dynamic()), { notes });
  } else {
    const { junction: j, mine: side, theirs: other } = junctionSides(rel);
    const jt = tables.junction(j);
    const visible = target.fields.filter((f) => !hiddenFields(target).includes(f));
    const conds: Condition[] = [{ sql: eq(col(jt, side.field), sql.placeholder("id")), uses: [], origin: "parent" }, ...softDelete(target, t), ...readPolicy(target, t, params)];
    rows = statement(`select ${target.name} rows through ${j.table}`, target, conds, params, (w) =>
      page(db.select(Object.fromEntries(visible.map((f) => [f.name, col(t, f)]))).from(t).innerJoin(jt, eq(col(jt, other.field), col(t, tpk))).where(w).orderBy(...order).$dynamic()),
    { notes });
  }
  return [rows, statement(`select ${parent.name} (exists?)`, parent, parentConds, idParam, (w) => db.select({ found: col(p, ppk) }).from(p).where(w), { runs: "when no rows" })];
}

function aggregateStatements(h: Extract<EndpointIR["handler"], { kind: "aggregate" }>, ir: ProjectIR, tables: Tables): Statement[] {
  const entity = ir.entities.find((e) => e.name === h.entity)!;
  const t = tables.entity(entity.name);
  const fields: Record<string, SQL | PgColumn> = {};
  for (const g of h.groupBy) fields[g] = col(t, g);
  for (const op of h.operations) {
    const c = op.field === undefined ? undefined : col(t, op.field);
    fields[op.alias] = op.fn === "count" ? (c ? count(c) : count()) : op.fn === "sum" ? sql`coalesce(sum(${c}), 0)` : op.fn === "avg" ? sql`avg(${c})` : (op.fn === "min" ? min : max)(c!);
  }
  const params: Record<string, string> = {};
  const conds = [...softDelete(entity, t), ...readPolicy(entity, t, params), ...filterConditions(entity, t, h.filters, params, new Set())];
  return [statement("aggregate", entity, conds, params, (w) => {
    const q = db.select(fields).from(t).where(w).$dynamic();
    return h.groupBy.length ? q.groupBy(...h.groupBy.map((g) => col(t, g))).orderBy(...h.groupBy.map((g) => asc(col(t, g)))) : q;
  })];
}

/** `type: sql`: the statement as written, with its placeholders numbered as the handler binds them. */
function sqlStatements(h: SqlHandlerIR): Statement[] {
  const params: Record<string, string> = {};
  h.placeholders.forEach((p, i) => {
    const n = /^\$(\d+)/.exec(h.positional.slice(p.at))?.[1];
    const input = h.inputs[i]!;
    if (n) params[`$${n}`] = `${input.source === "params" ? ":" : input.source === "query" ? "?" : "body."}${input.name}`;
  });
  return [{
    label: "sql", conditions: [], params, notes: ["written by hand in the config: tables and indexes are not checked statically"],
    render: () => ({ sql: h.positional, params: Object.keys(params).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))).map((name) => sql.placeholder(name)) }),
  }];
}

function writeStatements(entity: EntityIR, operation: "create" | "replace" | "update", t: AnyTable): Statement[] {
  const plan: CrudRoutePlan = { kind: "crud", operation, method: "POST", path: "", entity: entity.name, loc: entity.loc };
  const withCrud = entity.crud ? entity : { ...entity, crud: { basePath: "/", methods: [], pagination: { type: "offset" as const, defaultLimit: 20, maxLimit: 100, direction: "asc" as const }, bulk: false, filterable: [], sortable: [], loc: entity.loc } };
  return crudStatements(withCrud, plan, t).statements;
}

function defaultStatements(ep: EndpointIR, h: Extract<EndpointIR["handler"], { kind: "default" }>, ir: ProjectIR, tables: Tables): Statement[] {
  const entity = ir.entities.find((e) => e.name === h.entity)!;
  const t = tables.entity(entity.name);
  const sel = selection(entity, t);
  const live = softDelete(entity, t);
  const idName = h.idParam ?? "id";
  // Path parameters compared with a field: always applied.
  const pathConds: Condition[] = h.pathFilters.map(({ param, field }) => {
    const f = fieldOf(entity, field);
    return { sql: eq(col(t, f), sql.placeholder(param)), uses: [{ entity, field: f, how: "eq" }], label: `:${param}`, origin: "filter" };
  });
  const pathValues = Object.fromEntries(h.pathFilters.map(({ param }) => [param, `:${param}`]));
  // An update or delete scoped by more than the key first checks that the row matches the path.
  const scopeCheck = (): Statement[] =>
    pathConds.length ? [statement("select to check the path", entity, [byKey(entity, t), ...pathConds, ...live], { id: `:${idName}`, ...pathValues }, (w) => db.select({ [pkOf(entity).name]: col(t, pkOf(entity)) }).from(t).where(w))] : [];
  switch (h.operation) {
    case "list": {
      const names = new Set(entity.fields.map((f) => f.name));
      const params: Record<string, string> = { ...pathValues };
      const conds: Condition[] = [...pathConds, ...live];
      for (const q of ep.query.filter((x) => names.has(x.name))) {
        const field = fieldOf(entity, q.name);
        conds.push({ when: `?${q.name}`, sql: eq(col(t, field), sql.placeholder(q.name)), uses: [{ entity, field, how: "eq" }], origin: "filter" });
        params[q.name] = `?${q.name}`;
      }
      const paged = ["limit", "offset"].filter((p) => ep.query.some((q) => q.name === p) && !names.has(p));
      for (const p of paged) params[p] = `?${p}`;
      return [statement("select", entity, conds, params, (w) => {
        let q = (sel ? db.select(sel) : db.select()).from(t).where(w).orderBy(asc(col(t, pkOf(entity)))).$dynamic();
        if (paged.includes("limit")) q = q.limit(sql.placeholder("limit"));
        if (paged.includes("offset")) q = q.offset(sql.placeholder("offset"));
        return q;
      }, { notes: ["the repository's findAll: conditions and LIMIT/OFFSET only for the parameters sent"] })];
    }
    case "get": {
      const keyed = h.idParam === undefined ? [] : [byKey(entity, t)];
      return [statement(h.idParam === undefined ? "select one" : "select by id", entity, [...keyed, ...pathConds, ...live], { ...(h.idParam === undefined ? {} : { id: `:${idName}` }), ...pathValues }, (w) => (sel ? db.select(sel) : db.select()).from(t).where(w))];
    }
    case "create":
      return writeStatements(entity, "create", t);
    case "update":
      return [...scopeCheck(), ...writeStatements(entity, "update", t).slice(0, 1)];
    default: {
      const pk = pkOf(entity);
      const soft = entity.softDelete;
      return [...scopeCheck(), statement(soft ? "soft delete" : "delete", entity, [byKey(entity, t), ...live], { id: `:${idName}` }, (w) =>
        soft ? db.update(t).set({ [soft.field]: sql`now()` }).where(w).returning({ [pk.name]: col(t, pk) }) : db.delete(t).where(w).returning({ [pk.name]: col(t, pk) }),
      )];
    }
  }
}

/** Dialect-B operations (4-emit/operations.ts): values are bound as parameters by Drizzle; named here after their inputs. */
function operationStatements(ep: EndpointIR, h: OperationHandlerIR, ir: ProjectIR, tables: Tables): Statement[] {
  const entity = ir.entities.find((e) => e.name === h.entity)!;
  const t = tables.entity(entity.name);
  const sel = selection(entity, t);
  const pk = pkOf(entity);
  const out: Statement[] = [];
  const notes: string[] = [];
  if (ep.response?.kind === "schema") notes.push(`rows are read through the ${ep.response.name} projection (src/projections), whose select list and joins differ from the one shown`);
  const parent = h.parent ? ir.entities.find((e) => e.name === h.parent!.entity)! : undefined;
  if (parent && h.parent && (h.action === "list" || h.action === "search" || h.action === "create")) {
    const p = tables.entity(parent.name);
    const ppk = pkOf(parent);
    out.push(statement(`select ${parent.name} (exists?)`, parent, [byKey(parent, p, h.parent.param), ...softDelete(parent, p)], { [h.parent.param]: `:${h.parent.param}` }, (w) => db.select({ [ppk.name]: col(p, ppk) }).from(p).where(w).limit(1)));
  }
  const params: Record<string, string> = {};
  const conds: Condition[] = [...softDelete(entity, t)];
  const idParam = ep.params.find((p) => p.name !== h.parent?.param);
  if (idParam && (h.action === "get" || h.action === "update" || h.action === "delete")) {
    conds.push(byKey(entity, t, idParam.name));
    params[idParam.name] = `:${idParam.name}`;
  }
  if (h.parent && h.action !== "create") {
    const fk = fieldOf(entity, h.parent.foreignKey);
    conds.push({ sql: eq(col(t, fk), sql.placeholder(h.parent.param)), uses: [{ entity, field: fk, how: "eq" }], origin: "parent" });
    params[h.parent.param] = `:${h.parent.param}`;
  }
  for (const f of h.filter) {
    const field = fieldOf(entity, f.field);
    conds.push({ sql: f.value === null ? isNull(col(t, field)) : eq(col(t, field), f.value), uses: [{ entity, field, how: f.value === null ? "null" : "eq" }], origin: "filter" });
  }
  for (const name of h.queryFilters) {
    const q = ep.query.find((x) => x.name === name)!;
    const field = fieldOf(entity, name);
    const required = q.notNull || q.default !== undefined;
    conds.push({ ...(required ? {} : { when: `?${name}` }), sql: eq(col(t, field), sql.placeholder(name)), uses: [{ entity, field, how: "eq" }], origin: "filter" });
    params[name] = `?${name}`;
  }
  if (h.search) {
    const q = ep.query.find((x) => x.name === h.search!.param)!;
    const required = q.notNull || q.default !== undefined;
    const fields = h.search.fields.map((n) => fieldOf(entity, n));
    const terms = fields.map((f) => ilike(col(t, f), sql.placeholder("pattern")));
    conds.push({ ...(required ? {} : { when: `?${h.search.param}` }), sql: terms.length > 1 ? or(...terms)! : terms[0]!, uses: fields.map((field) => ({ entity, field, how: "like" as const })), origin: "search" });
    params.pattern = `?${h.search.param} as an ILIKE pattern (${LIKE_PATTERN[entity.crud?.search?.mode ?? "contains"]})`;
  }
  const select = () => (sel ? db.select(sel) : db.select());
  switch (h.action) {
    case "list":
    case "search":
      params.limit = `?${h.paging!.limit}`;
      params.offset = `?${h.paging!.offset}`;
      out.push(statement("select page", entity, conds, params, (w) => select().from(t).where(w).orderBy(asc(col(t, pk))).limit(sql.placeholder("limit")).offset(sql.placeholder("offset")), { notes }));
      break;
    case "get":
      out.push(statement("select", entity, conds, params, (w) => select().from(t).where(w).limit(1), { notes }));
      break;
    case "create": {
      const taken = new Set([...operationBodyFields(ep, h, entity, ir), ...(h.parent ? [h.parent.foreignKey] : [])]);
      const writable = writableFields(entity).filter((f) => taken.has(f.name));
      const values: Record<string, unknown> = Object.fromEntries(writable.map((f) => [f.name, sql.placeholder(f.name)]));
      const ps: Record<string, string> = Object.fromEntries(writable.map((f) => [f.name, `body.${f.name}`]));
      if (h.parent) ps[h.parent.foreignKey] = `:${h.parent.param}`;
      out.push(statement("insert", entity, [], ps, () => (sel ? db.insert(t).values(values).returning(sel) : db.insert(t).values(values).returning()), { notes: [...notes, "fields the body leaves out are not listed and take their column defaults"] }));
      break;
    }
    case "update": {
      const taken = new Set(operationBodyFields(ep, h, entity, ir));
      const writable = writableFields(entity).filter((f) => taken.has(f.name));
      const set: Record<string, unknown> = Object.fromEntries(writable.map((f) => [f.name, sql.placeholder(f.name)]));
      for (const f of entity.fields.filter((x) => x.autoUpdate)) set[f.name] = sql`now()`;
      for (const f of writable) params[f.name] = `body.${f.name}`;
      out.push(statement("update", entity, conds, params, (w) => (sel ? db.update(t).set(set).where(w).returning(sel) : db.update(t).set(set).where(w).returning()), { notes: [...notes, "SET lists only the fields the body sends"] }));
      break;
    }
    case "delete": {
      const soft = entity.softDelete;
      out.push(statement(soft ? "soft delete" : "delete", entity, conds, params, (w) =>
        soft ? db.update(t).set({ [soft.field]: sql`now()` }).where(w).returning({ [pk.name]: col(t, pk) }) : db.delete(t).where(w).returning({ [pk.name]: col(t, pk) }),
      ));
      break;
    }
  }
  return out;
}

const HANDLER_KIND: Readonly<Record<string, string>> = {
  query: "query handler", relation: "relation handler", aggregate: "aggregate handler", sql: "sql handler", write: "validated write", operation: "operation", default: "default handler", file: "handler file", expression: "expression handler",
};

function endpointStatements(ep: EndpointIR, ir: ProjectIR, tables: Tables): Omit<RouteStatements, "method" | "path"> {
  const h = ep.handler;
  const kind = h.kind === "operation" ? `operation ${ep.operation?.name ?? ep.name} (${h.action} ${h.entity})` : h.kind === "file" ? `handler ${h.file}` : h.kind === "default" ? `default handler (${h.operation} ${h.entity})` : h.kind === "write" ? `${h.operation} ${h.entity} with validation` : HANDLER_KIND[h.kind]!;
  switch (h.kind) {
    case "query":
      return { kind, statements: queryStatements(h, ir, tables), notes: [] };
    case "relation":
      return { kind, statements: relationStatements(h, ir, tables), notes: [] };
    case "aggregate":
      return { kind, statements: aggregateStatements(h, ir, tables), notes: [] };
    case "sql":
      return { kind, statements: sqlStatements(h), notes: [] };
    case "write":
      return { kind, statements: writeStatements(ir.entities.find((e) => e.name === h.entity)!, h.operation, tables.entity(h.entity)).slice(0, 1), notes: [] };
    case "default":
      return { kind, statements: defaultStatements(ep, h, ir, tables), notes: [] };
    case "operation":
      return { kind, statements: operationStatements(ep, h, ir, tables), notes: [] };
    case "file":
    case "expression":
      return { kind, statements: [], notes: ["user code: the statements it runs (ctx.entities, ctx.db) are not known at compile time"] };
  }
}

/** Every route of the project with the statements it runs, in the order the app mounts them. */
export function routeStatements(ir: ProjectIR): RouteStatements[] {
  const tables = buildTables(ir);
  const out: RouteStatements[] = [];
  for (const route of ir.routes) {
    if (route.kind === "endpoint") {
      const ep = route.endpoint;
      out.push({ method: ep.method, path: ep.path, ...endpointStatements(ep, ir, tables), ...(ep.handler.kind === "operation" && ep.handler.action === "create" ? { creates: true } : {}) });
      continue;
    }
    const entity = ir.entities.find((e) => e.name === route.entity)!;
    const t = tables.entity(entity.name);
    const { statements, notes } = crudStatements(entity, route, t);
    out.push({ method: route.method, path: route.path, kind: `CRUD ${route.operation} ${entity.name}`, statements, notes, entity, ...(route.operation === "create" ? { creates: true } : {}) });
    if (route.operation === "create" && entity.crud?.bulk) {
      out.push({ method: "POST", path: bulkPath(route.path), kind: `CRUD bulk create ${entity.name}`, statements: bulkStatements(entity, t), notes: [], entity, creates: true });
    }
  }
  return out;
}
