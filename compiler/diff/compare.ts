/**
 * Compares two compiled projects:
 *   api     the OpenAPI documents both compile to (the contract clients see): routes, parameters,
 *           request bodies and success responses, field by field;
 *   schema  the tables: dropped tables and columns, columns whose type or constraints narrow
 *           (what the next migration would do to existing rows);
 *   auth    each route's access rule: routes that became public, lost or gained roles.
 *
 * A change is `breaking` when existing clients or existing data can be hurt by it: a request that
 * worked is now rejected, a response lacks or retypes something clients read, a migration drops
 * or narrows data, a caller loses access. Access that widens (a route becoming public) is not
 * breaking for clients; it is reported as `widensAccess` so CI can stop on it too.
 */
import type { EntityIR, FieldIR, ProjectIR } from "../ir.js";
import { emitOpenApi } from "../4-emit/openapi.js";
import { columnCode } from "../4-emit/column-types.js";
import { describeRule, routeAccess, type RouteAccess } from "../plugins/auth/rules.js";

export interface Change {
  kind: "api" | "schema" | "auth";
  /** `GET /products/{}` for api and auth; `products.price` for schema. */
  subject: string;
  message: string;
  breaking: boolean;
  /** An auth change that lets more callers in. */
  widensAccess?: boolean;
}

type Json = Record<string, unknown>;
type Doc = { paths: Record<string, Record<string, Json>>; components: { schemas: Record<string, Json> } };

const METHODS = ["get", "post", "put", "patch", "delete", "head", "options"];

/** A route's identity: method and path with parameter names left out (`/products/{}`). */
const routeKey = (method: string, path: string) => `${method.toUpperCase()} ${path.replace(/\{[^}]+\}/g, "{}").replace(/:[A-Za-z_][A-Za-z0-9_]*/g, "{}")}`;

function openapi(ir: ProjectIR): Doc {
  const text = emitOpenApi(ir).content;
  return JSON.parse(text) as Doc;
}

function resolveRef(doc: Doc, s: unknown): Json {
  let out = (s ?? {}) as Json;
  for (let i = 0; i < 10 && typeof out.$ref === "string"; i++) out = doc.components.schemas[(out.$ref as string).split("/").pop()!] ?? {};
  return out;
}

interface Shape {
  types: string[];
  nullable: boolean;
  format?: string;
  enum?: string[];
  schema: Json;
}

function shapeOf(doc: Doc, raw: unknown): Shape {
  let s = resolveRef(doc, raw);
  let nullable = false;
  if (Array.isArray(s.anyOf)) {
    const parts = (s.anyOf as Json[]).map((p) => resolveRef(doc, p));
    nullable = parts.some((p) => p.type === "null");
    s = parts.find((p) => p.type !== "null") ?? {};
  }
  const types = (Array.isArray(s.type) ? (s.type as string[]) : typeof s.type === "string" ? [s.type] : []).filter((t) => {
    if (t === "null") nullable = true;
    return t !== "null";
  });
  return { types, nullable, ...(typeof s.format === "string" ? { format: s.format } : {}), ...(Array.isArray(s.enum) ? { enum: (s.enum as unknown[]).map(String) } : {}), schema: s };
}

const typeText = (s: Shape) => `${s.types.join("|") || "any"}${s.format ? ` (${s.format})` : ""}`;

type Direction = "request" | "response";

/** Field-by-field comparison of two JSON Schemas, in the direction data flows. */
function compareSchema(before: Doc, after: Doc, a: unknown, b: unknown, where: string, dir: Direction, emit: (message: string, breaking: boolean) => void): void {
  const x = shapeOf(before, a);
  const y = shapeOf(after, b);
  const label = where || (dir === "request" ? "the body" : "the response");
  if (typeText(x) !== typeText(y)) {
    emit(`${label} changes type: ${typeText(x)} → ${typeText(y)}`, true);
    return;
  }
  if (x.nullable !== y.nullable) {
    if (dir === "request") emit(`${label} ${y.nullable ? "now accepts null" : "no longer accepts null"}`, !y.nullable);
    else emit(`${label} ${y.nullable ? "may now be null" : "is never null now"}`, y.nullable);
  }
  if (x.enum || y.enum) {
    const removed = (x.enum ?? []).filter((v) => !(y.enum ?? []).includes(v));
    const added = (y.enum ?? []).filter((v) => !(x.enum ?? []).includes(v));
    if (removed.length) emit(`${label} ${dir === "request" ? "no longer accepts" : "no longer returns"} ${removed.map((v) => JSON.stringify(v)).join(", ")}`, dir === "request");
    if (added.length) emit(`${label} ${dir === "request" ? "also accepts" : "may also be"} ${added.map((v) => JSON.stringify(v)).join(", ")}`, false);
  }
  if (dir === "request") {
    const narrower = (k: string, tighter: (p: number, q: number) => boolean) => {
      const p = x.schema[k];
      const q = y.schema[k];
      if (typeof q === "number" && (typeof p !== "number" || tighter(p, q))) emit(`${label}: ${k} ${typeof p === "number" ? `${p} → ` : ""}${q} (values accepted before are now rejected)`, true);
      else if (typeof p === "number" && (typeof q !== "number" || tighter(q, p))) emit(`${label}: ${k} ${p} → ${typeof q === "number" ? q : "none"}`, false);
    };
    narrower("maxLength", (p, q) => q < p);
    narrower("maximum", (p, q) => q < p);
    narrower("minLength", (p, q) => q > p);
    narrower("minimum", (p, q) => q > p);
    if (x.schema.pattern !== y.schema.pattern && y.schema.pattern !== undefined) emit(`${label}: pattern ${String(x.schema.pattern ?? "none")} → ${String(y.schema.pattern)}`, true);
  }
  if (x.types.includes("array")) compareSchema(before, after, x.schema.items, y.schema.items, `${label}[]`, dir, emit);
  if (x.types.includes("object") || x.schema.properties || y.schema.properties) {
    const px = (x.schema.properties ?? {}) as Record<string, unknown>;
    const py = (y.schema.properties ?? {}) as Record<string, unknown>;
    const rx = new Set((x.schema.required ?? []) as string[]);
    const ry = new Set((y.schema.required ?? []) as string[]);
    const field = (name: string) => (where ? `${where}.${name}` : `${dir === "request" ? "body" : "response"} field ${name}`);
    for (const name of Object.keys(px)) {
      if (!(name in py)) {
        emit(`${field(name)} removed${dir === "request" ? " (requests that send it are rejected)" : ""}`, true);
        continue;
      }
      if (rx.has(name) !== ry.has(name)) {
        if (dir === "request") emit(`${field(name)} is now ${ry.has(name) ? "required" : "optional"}`, ry.has(name));
        else emit(`${field(name)} ${ry.has(name) ? "is now always present" : "may now be absent"}`, !ry.has(name));
      }
      compareSchema(before, after, px[name], py[name], field(name), dir, emit);
    }
    for (const name of Object.keys(py)) {
      if (name in px) continue;
      if (dir === "request") emit(`${field(name)} added${ry.has(name) ? ", required" : " (optional)"}`, ry.has(name));
      else emit(`${field(name)} added`, false);
    }
  }
}

function successResponse(op: Json): { status: string; schema?: unknown } | undefined {
  const responses = (op.responses ?? {}) as Record<string, Json>;
  const status = Object.keys(responses).filter((s) => /^2\d\d$/.test(s)).sort()[0];
  if (!status) return undefined;
  const content = responses[status]!.content as Record<string, Json> | undefined;
  return { status, schema: content?.["application/json"]?.schema };
}

function requestBody(op: Json): { required: boolean; schema: unknown } | undefined {
  const body = op.requestBody as Json | undefined;
  if (!body) return undefined;
  return { required: body.required === true, schema: ((body.content as Record<string, Json> | undefined)?.["application/json"] ?? {}).schema };
}

function operations(doc: Doc): Map<string, { path: string; method: string; op: Json }> {
  const out = new Map<string, { path: string; method: string; op: Json }>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) if (item[method]) out.set(routeKey(method, path), { path, method: method.toUpperCase(), op: item[method]! });
  }
  return out;
}

export function compareApi(beforeIr: ProjectIR | undefined, afterIr: ProjectIR): Change[] {
  const empty: Doc = { paths: {}, components: { schemas: {} } };
  const before = beforeIr ? openapi(beforeIr) : empty;
  const after = openapi(afterIr);
  const a = operations(before);
  const b = operations(after);
  const out: Change[] = [];
  for (const [key, x] of a) {
    const subject = `${x.method} ${x.path}`;
    const y = b.get(key);
    if (!y) {
      out.push({ kind: "api", subject, message: "route removed", breaking: true });
      continue;
    }
    const emit = (message: string, breaking: boolean) => out.push({ kind: "api", subject: `${y.method} ${y.path}`, message, breaking });
    // Parameters (path parameters are matched by position through the route key).
    const params = (op: Json) => new Map(((op.parameters ?? []) as Json[]).filter((p) => p.in !== "path").map((p) => [`${String(p.in)} ${String(p.name)}`, p]));
    const pa = params(x.op);
    const pb = params(y.op);
    for (const [k, p] of pa) {
      const q = pb.get(k);
      const name = `${String(p.in)} parameter ${String(p.name)}`;
      if (!q) emit(`${name} removed (requests that send it are rejected)`, true);
      else {
        if (p.required !== q.required) emit(`${name} is now ${q.required ? "required" : "optional"}`, q.required === true);
        compareSchema(before, after, p.schema, q.schema, name, "request", emit);
      }
    }
    for (const [k, q] of pb) if (!pa.has(k)) emit(`${String(q.in)} parameter ${String(q.name)} added${q.required ? ", required" : " (optional)"}`, q.required === true);
    // Request body.
    const ba = requestBody(x.op);
    const bb = requestBody(y.op);
    if (!ba && bb) emit(`request body added${bb.required ? ", required" : " (optional)"}`, bb.required);
    else if (ba && !bb) emit("request body removed", false);
    else if (ba && bb) {
      if (!ba.required && bb.required) emit("request body is now required", true);
      compareSchema(before, after, ba.schema, bb.schema, "", "request", emit);
    }
    // Success response.
    const ra = successResponse(x.op);
    const rb = successResponse(y.op);
    if (ra && rb && ra.status !== rb.status) emit(`success status ${ra.status} → ${rb.status}`, true);
    if (ra?.schema !== undefined && rb?.schema === undefined) emit("response body removed", true);
    else if (ra?.schema !== undefined && rb?.schema !== undefined) compareSchema(before, after, ra.schema, rb.schema, "", "response", emit);
  }
  for (const [key, y] of b) if (!a.has(key)) out.push({ kind: "api", subject: `${y.method} ${y.path}`, message: "route added", breaking: false });
  return out;
}

// ---------------------------------------------------------------------------------------------

/** The column's PostgreSQL type as a reader knows it: `varchar(200)`, `numeric(10,2)`. */
function columnText(f: FieldIR): string {
  const { builder, call } = columnCode(f);
  const length = /length: (\d+)/.exec(call)?.[1];
  const numeric = /precision: (\d+), scale: (\d+)/.exec(call);
  const base = length ? `${builder}(${length})` : numeric ? `numeric(${numeric[1]},${numeric[2]})` : builder === "timestamp" && /withTimezone/.test(call) ? "timestamptz" : builder === "doublePrecision" ? "double precision" : builder;
  return `${base}${f.array ? "[]" : ""}`;
}

/** Whether a column change can lose or reject existing data, and why. */
function narrowing(x: FieldIR, y: FieldIR): string | undefined {
  const cx = columnCode(x);
  const cy = columnCode(y);
  if (cx.builder !== cy.builder || x.array !== y.array) return `type ${columnText(x)} → ${columnText(y)}: the migration converts existing values or fails`;
  const len = (f: FieldIR) => /length: (\d+)/.exec(columnCode(f).call)?.[1];
  if (len(x) && len(y) && Number(len(y)) < Number(len(x))) return `${columnText(x)} → ${columnText(y)}: longer values fail the migration`;
  const num = (f: FieldIR) => /precision: (\d+), scale: (\d+)/.exec(columnCode(f).call)?.slice(1).map(Number);
  const nx = num(x);
  const ny = num(y);
  if (nx && ny && (ny[0]! - ny[1]! < nx[0]! - nx[1]! || ny[1]! < nx[1]!)) return `${columnText(x)} → ${columnText(y)}: larger or more precise values fail or are rounded`;
  if (!x.notNull && y.notNull && !y.primary) return "becomes NOT NULL: rows holding NULL fail the migration";
  const removed = (x.enumValues ?? []).filter((v) => !(y.enumValues ?? []).includes(v));
  if (x.type === "enum" && removed.length) return `no longer allows ${removed.map((v) => JSON.stringify(v)).join(", ")}: rows holding them fail the new CHECK constraint`;
  return undefined;
}

export function compareTables(before: ProjectIR | undefined, after: ProjectIR): Change[] {
  const out: Change[] = [];
  const tables = (ir: ProjectIR | undefined) => new Map<string, EntityIR>((ir?.entities ?? []).map((e) => [e.table, e]));
  const a = tables(before);
  const b = tables(after);
  for (const [table, x] of a) {
    const y = b.get(table);
    if (!y) {
      out.push({ kind: "schema", subject: table, message: `table dropped (entity ${x.name} removed or renamed): its rows are lost`, breaking: true });
      continue;
    }
    const cols = (e: EntityIR) => new Map(e.fields.map((f) => [f.column, f]));
    const ca = cols(x);
    const cb = cols(y);
    for (const [column, f] of ca) {
      const g = cb.get(column);
      if (!g) {
        out.push({ kind: "schema", subject: `${table}.${column}`, message: "column dropped: its values are lost", breaking: true });
        continue;
      }
      const why = narrowing(f, g);
      if (why) out.push({ kind: "schema", subject: `${table}.${column}`, message: why, breaking: true });
    }
    for (const [column, g] of cb) {
      if (ca.has(column)) continue;
      const fails = g.notNull && g.default === undefined && !g.generated;
      out.push({ kind: "schema", subject: `${table}.${column}`, message: fails ? "column added, NOT NULL without a default: the migration fails on a table that has rows" : "column added", breaking: fails });
    }
  }
  for (const [table, y] of b) if (!a.has(table)) out.push({ kind: "schema", subject: table, message: `table added (entity ${y.name})`, breaking: false });
  return out;
}

// ---------------------------------------------------------------------------------------------

interface Access {
  /** undefined: public. */
  roles?: string[];
  permissions?: string[];
  providers?: string[];
  text: string;
}

function accessOf(r: RouteAccess): Access {
  if (!r.rule) return { text: "public" };
  return { roles: r.rule.roles, permissions: r.rule.permissions, providers: r.rule.providers, text: describeRule(r.rule) };
}

export function compareAuth(before: ProjectIR | undefined, after: ProjectIR): Change[] {
  const out: Change[] = [];
  if (!before) return out;
  const map = (ir: ProjectIR) => new Map(routeAccess(ir).map((r) => [routeKey(r.method, r.path), { r, access: accessOf(r) }]));
  const a = map(before);
  const b = map(after);
  for (const [key, x] of a) {
    const y = b.get(key);
    if (!y) continue; // reported as a removed route
    const subject = `${y.r.method} ${y.r.path}`;
    const p = x.access;
    const q = y.access;
    if (p.text === q.text) continue;
    if (p.roles && !q.roles) {
      out.push({ kind: "auth", subject, message: `became public (was: ${p.text})`, breaking: false, widensAccess: true });
      continue;
    }
    if (!p.roles && q.roles) {
      out.push({ kind: "auth", subject, message: `now ${q.text} (was public): anonymous callers get 401`, breaking: true });
      continue;
    }
    // "Any one of" lists: an empty list means no requirement of that kind.
    for (const what of ["roles", "permissions", "providers"] as const) {
      const before_ = p[what] ?? [];
      const after_ = q[what] ?? [];
      const lost = before_.filter((v) => !after_.includes(v));
      const gained = after_.filter((v) => !before_.includes(v));
      const noun = what === "roles" ? "role" : what === "permissions" ? "permission" : "provider";
      if (before_.length && !after_.length) out.push({ kind: "auth", subject, message: `no longer requires a ${noun} (was: ${before_.join(" or ")})`, breaking: false, widensAccess: true });
      else if (!before_.length && after_.length) out.push({ kind: "auth", subject, message: `now requires ${noun} ${after_.join(" or ")}: callers without it get 403`, breaking: true });
      else {
        if (lost.length) out.push({ kind: "auth", subject, message: `${noun} ${lost.join(", ")} no longer grant${lost.length === 1 ? "s" : ""} access`, breaking: true });
        if (gained.length) out.push({ kind: "auth", subject, message: `${noun} ${gained.join(", ")} now also grant${gained.length === 1 ? "s" : ""} access`, breaking: false, widensAccess: true });
      }
    }
  }
  return out;
}

export function compareProjects(before: ProjectIR | undefined, after: ProjectIR): Change[] {
  return [...compareApi(before, after), ...compareTables(before, after), ...compareAuth(before, after)];
}
