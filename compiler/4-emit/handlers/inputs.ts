/**
 * What the emitters of declarative handlers share: the route module being built, validation of
 * the endpoint's declared inputs, and names for prepared-statement placeholders.
 */
import type { EndpointIR, EntityIR, FieldIR, InputRef, ProjectIR } from "../../ir.js";
import { validationHelpers, zodForParam, zodForQuery } from "../column-types.js";
import { checkedByPathParam, pathParam } from "../path-params.js";
import { schemaConst } from "../schemas.js";
import { hiddenFields, schemaNames } from "../validation.js";
import { Imports, key, ts } from "../writer.js";
import { snakeCase } from "../../2-analyze/types.js";
import { entityNamed } from "../../ir-lookup.js";

/** One endpoint module under construction. */
export interface RouteModule {
  ep: EndpointIR;
  ir: ProjectIR;
  imports: Imports;
  /** Module-level declarations, in order. */
  top: string[];
  /** Statements of the route handler, after the inputs are read. */
  lines: string[];
}

export function newModule(ep: EndpointIR, ir: ProjectIR): RouteModule {
  return { ep, ir, imports: new Imports().add("hono", "Hono").type("../lib/http.js", "AppEnv"), top: [], lines: [] };
}

export const entityOf = (ir: ProjectIR, name: string): EntityIR => entityNamed(ir, name);
export const pkOf = (entity: EntityIR): FieldIR => entity.fields.find((f) => f.name === entity.primaryKey)!;

/** `query.q` (or `query["x-y"]`): the validated value of an input in the route. */
export const inputExpr = (input: InputRef): string => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(input.name) ? `${input.source}.${input.name}` : `${input.source}[${ts(input.name)}]`);

/**
 * The value bound for an input. Body timestamps are validated into Dates, which the drivers do
 * not serialise for a bare parameter: they are bound as ISO 8601 text, which PostgreSQL parses.
 */
export function bindExpr(input: InputRef): string {
  const expr = inputExpr(input);
  if (input.source !== "body" || (input.field.type !== "timestamp" && input.field.type !== "timestamplocal")) return expr;
  const optional = input.required ? "" : "?";
  return input.field.array ? `${expr}${optional}.map((d) => d.toISOString())` : `${expr}${optional}.toISOString()`;
}

/** A prepared statement's name: the endpoint's name in snake_case, plus a suffix. */
export const statementName = (ep: EndpointIR, suffix = ""): string => ts(`${snakeCase(ep.name)}${suffix}`);

function paramSchema(f: FieldIR, imports: Imports): string {
  let expr: string;
  if (f.array) {
    // A list in the query string: `?status=draft,active`.
    const item = zodForQuery({ ...f, array: false });
    imports.add("../lib/queries.js", "queryList");
    expr = `queryList(${item})${f.notNull ? "" : ".optional()"}`;
  } else expr = zodForParam(f);
  const helpers = validationHelpers(expr);
  if (helpers.length) imports.add("../lib/validation.js", ...helpers);
  return expr;
}

function objectSchema(fields: readonly FieldIR[], imports: Imports): string {
  if (fields.length === 0) return "z.strictObject({})";
  return `z.strictObject({\n${fields.map((f) => `  ${key(f.name)}: ${paramSchema(f, imports)},`).join("\n")}\n})`;
}

/**
 * Validates the path parameters, the query string (unknown parameters are a 400) and the
 * declared body, binding `params`, `query` and `body` when the handler reads them.
 */
export function readInputs(m: RouteModule, reads: ReadonlySet<InputRef["source"]>): void {
  const { ep, ir, imports } = m;
  imports.add("zod", "z").add("../lib/http.js", "validateQuery");
  const lines: string[] = [];
  const blocks: string[] = [];
  if (ep.params.every(checkedByPathParam)) {
    // uuids and plain integers: precompiled checks, no schema.
    const checks = ep.params.map((p) => ({ name: p.name, expr: pathParam(p, p.name, imports) }));
    if (checks.length) lines.push(reads.has("params") ? `  const params = { ${checks.map((c) => `${key(c.name)}: ${c.expr}`).join(", ")} };` : checks.map((c) => `  ${c.expr};`).join("\n"));
  } else {
    imports.add("../lib/http.js", "validate");
    blocks.push(`const paramsSchema = ${objectSchema(ep.params, imports)};`);
    lines.push(`  ${reads.has("params") ? "const params = " : ""}validate(paramsSchema, c.req.param(), "VALIDATION_PARAMS", "Invalid path parameters");`);
  }
  blocks.push(`${ep.query.length ? "" : "/** No query parameters are declared: any is a 400. */\n"}const querySchema = ${objectSchema(ep.query, imports)};`);
  const queryRequired = ep.query.some((f) => f.notNull && f.default === undefined);
  if (queryRequired) lines.push(`  ${reads.has("query") ? "const query = " : ""}validateQuery(querySchema, c);`);
  else if (reads.has("query")) {
    // Without a query string the parsed query is always the same (the defaults): parsed once.
    blocks.push(`/** The parsed query of a request without a query string. */\nconst noQuery = querySchema.parse({});`);
    lines.push(`  const query = c.req.url.includes("?") ? validateQuery(querySchema, c) : noQuery;`);
  } else lines.push(`  if (c.req.url.includes("?")) validateQuery(querySchema, c);`);
  if (ep.body) {
    const ref = "ref" in ep.body ? ep.body.ref : { kind: "schema" as const, name: ep.body.inline.name, array: false };
    let schema: string;
    if (ref.kind === "entity") {
      const entity = entityOf(ir, ref.name);
      schema = schemaNames(entity).create;
      imports.add(`../validation/${entity.fileName}.js`, schema);
    } else {
      schema = schemaConst(ref.name);
      imports.add("../schemas.js", schema);
    }
    if (ref.array) {
      blocks.push(`const bodySchema = z.array(${schema});`);
      schema = "bodySchema";
    }
    imports.add("../lib/http.js", "readJson", "validate");
    lines.push(`  ${reads.has("body") ? "const body = " : ""}validate(${schema}, await readJson(c), "VALIDATION_BODY", "Invalid request body");`);
  }
  m.top.unshift(blocks.join("\n\n"));
  m.lines.unshift(...lines);
}

/**
 * The row a handler sends: every column, or an explicit `columns` object when some fields are
 * never sent (writeOnly, sensitive, the soft-delete marker). Returns the select argument.
 */
export function selection(m: RouteModule, entity: EntityIR, name = "columns", always = false): string {
  const hidden = hiddenFields(entity);
  if (!hidden.length && !always) return "";
  const visible = entity.fields.filter((f) => !hidden.includes(f));
  const why = hidden.length ? `all but ${hidden.map((f) => f.name).join(", ")}` : "all of them";
  m.top.push(`/** ${entity.name} columns sent to clients: ${why}. */\nconst ${name} = {\n${visible.map((f) => `  ${key(f.name)}: ${entity.varName}.${f.name},`).join("\n")}\n};`);
  return name;
}

/** Unique placeholder names for one statement (`limit` and `offset` are taken by pagination). */
export class Placeholders {
  private readonly taken = new Set<string>();

  constructor(reserved: readonly string[] = []) {
    for (const r of reserved) this.taken.add(r);
  }

  take(preferred: string): string {
    let name = preferred;
    for (let i = 2; this.taken.has(name); i++) name = `${preferred}${i}`;
    this.taken.add(name);
    return name;
  }
}
