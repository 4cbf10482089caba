/**
 * Emits the module of an endpoint with a declarative handler (query, relation, aggregate, sql,
 * the write templates): input validation, then the code its handler type compiles to. Each
 * type has its own emitter; this module only dispatches and frames the route.
 */
import type { AggregateHandlerIR, EndpointIR, HandlerIR, InputRef, ProjectIR, QueryHandlerIR, RelationHandlerIR, SqlHandlerIR, WriteHandlerIR } from "../../ir.js";
import type { OutputFile } from "../index.js";
import { endpointMiddleware } from "../route-middleware.js";
import { file, header, ts } from "../writer.js";
import { emitAggregate } from "./aggregate.js";
import { newModule, readInputs } from "./inputs.js";
import { emitQuery } from "./query.js";
import { emitRelation } from "./relation.js";
import { emitSql } from "./sql.js";
import { emitWrite } from "./write.js";
import { entityNamed } from "../../ir-lookup.js";
import { readScope } from "../includes.js";
import { rowsText } from "../policies.js";

export type DeclarativeHandlerIR = QueryHandlerIR | RelationHandlerIR | AggregateHandlerIR | SqlHandlerIR | WriteHandlerIR;

const KINDS: ReadonlySet<string> = new Set(["query", "relation", "aggregate", "sql", "write"]);

export const isDeclarative = (h: HandlerIR): h is DeclarativeHandlerIR => KINDS.has(h.kind);

/** The request values a handler reads. */
function inputsOf(h: DeclarativeHandlerIR): InputRef[] {
  const filterInputs = (filters: QueryHandlerIR["filters"]) => filters.flatMap((f) => [f.value, f.upper].flatMap((v) => (v?.kind === "input" ? [v.input] : [])));
  const listInputs = (h: { orderBy?: QueryHandlerIR["orderBy"]; pagination?: QueryHandlerIR["pagination"] }) => [
    ...(h.orderBy?.kind === "input" ? [h.orderBy.input] : []),
    ...(h.pagination ? [h.pagination.limit, h.pagination.offset] : []),
  ];
  switch (h.kind) {
    case "query":
      return [...filterInputs(h.filters), ...listInputs(h)];
    case "relation":
      return [h.parentId, ...listInputs(h)];
    case "aggregate":
      return filterInputs(h.filters);
    case "sql":
      return [...h.inputs];
    case "write":
      return [];
  }
}

/** Success status: reads answer 200, a create 201, a sql statement 201 on POST (unless `status:` says otherwise). */
function statusOf(ep: EndpointIR, h: DeclarativeHandlerIR): number {
  if (ep.status !== undefined) return ep.status;
  if (h.kind === "write") return h.operation === "create" ? 201 : 200;
  if (h.kind === "sql" && ep.method === "POST") return 201;
  return 200;
}

/** " Note rows under policy owner: only rows whose ownerId is the caller's id." for each entity read under a row policy. */
function policyNote(h: DeclarativeHandlerIR, ir: ProjectIR): string {
  if (h.kind !== "query" && h.kind !== "aggregate" && h.kind !== "relation") return "";
  const read = [entityNamed(ir, h.entity)];
  if (h.kind === "relation") read.push(entityNamed(ir, read[0]!.relations.find((r) => r.name === h.relation)!.target));
  return [...new Set(read)]
    .filter((e) => readScope(e).length > 0)
    .map((e) => ` ${e.name} rows under policy ${e.crud!.auth!.list!.policy}: ${rowsText(readScope(e))}.`)
    .join("");
}

export function emitDeclarativeEndpoint(ep: EndpointIR, h: DeclarativeHandlerIR, ir: ProjectIR, path: string, routeName: string): OutputFile {
  const m = newModule(ep, ir);
  const status = statusOf(ep, h);
  switch (h.kind) {
    case "query":
      emitQuery(m, h, status);
      break;
    case "relation":
      emitRelation(m, h, status);
      break;
    case "aggregate":
      emitAggregate(m, h, status);
      break;
    case "sql":
      emitSql(m, h, status);
      break;
    case "write":
      emitWrite(m, h, status);
      break;
  }
  // The write templates read the id and the body themselves, like the CRUD routes they replace.
  if (h.kind !== "write") readInputs(m, new Set(inputsOf(h).map((i) => i.source)));
  const what = h.kind === "write" ? `${h.operation} ${h.entity} with validation` : `${h.kind} handler`;
  const doc = `/** ${ep.method} ${ep.path}${ep.description ? `: ${ep.description}` : ""} (${what}, ${ir.configFile}:${ep.loc.line}).${policyNote(h, ir)} */`;
  const route = `${doc}\nexport const ${routeName} = new Hono<AppEnv>();\n\n${routeName}.${ep.method.toLowerCase()}(${ts(ep.path)}, ${endpointMiddleware(ir, ep, m.imports)}async (c) => {\n${m.lines.join("\n")}\n});`;
  return { path, content: header(`endpoint ${ep.method} ${ep.path}`, ep.loc) + file(m.imports.toString(), ...m.top, route) };
}
