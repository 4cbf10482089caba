/**
 * What the declarative handler analyzers share: the endpoint they belong to (its declared
 * inputs), entity and field lookup, and request references (`query.q`, `params.id`, `body.x`).
 * The filter grammar is in filters.ts, ORDER BY and pagination in lists.ts.
 */
import { closest, type SourceLocation } from "../../diagnostics.js";
import type { BaseType, CrudRoutePlan, EndpointIR, EntityIR, FieldIR, HandlerIR, InputRef, SchemaIR, ShapeRef } from "../../ir.js";
import { NUMERIC_TYPES, STRING_TYPES } from "../types.js";
import type { ConfigNode, Reporter } from "./node.js";

/** The endpoint a handler is analyzed for, and what the rest of the project offers it. */
export interface HandlerScope {
  report: Reporter;
  /** The text of a config file (yama.yaml or an overlay), to map positions inside multi-line values (SQL, code). */
  configText: (file: string) => string;
  entities: readonly EntityIR[];
  schemas: readonly SchemaIR[];
  /** `handlerTemplates:` by name. */
  templates: ReadonlyMap<string, ConfigNode>;
  /** Names of templates used so far (for the unused-template warning). */
  usedTemplates: Set<string>;
  endpoint: {
    /** `GET /products/search`, for messages. */
    label: string;
    method: EndpointIR["method"];
    params: FieldIR[];
    /** Pagination may add `limit` and `offset` here. */
    query: FieldIR[];
    body: EndpointIR["body"];
    response?: ShapeRef;
    loc: SourceLocation;
  };
  /** Set when the handler replaces a CRUD route (`crudOverrides:`). */
  override?: { entity: EntityIR; operation: CrudRoutePlan["operation"] };
  /** Resolves `type: file` handlers the way `handler: handlers/x.ts` is resolved. */
  resolveFile(spec: string, loc: SourceLocation): HandlerIR | undefined;
  /** Templates being expanded, outermost first (to stop cycles and to say where an error comes from). */
  via: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// Entities and fields

/** `entity:`; in a CRUD override it defaults to the overridden entity. */
export function resolveEntity(node: ConfigNode, scope: HandlerScope, what: string): EntityIR | undefined {
  const child = node.at("entity");
  if (child.value === undefined && scope.override) return scope.override.entity;
  if (child.value === undefined) {
    scope.report.error("missing-key", `${what} needs \`entity:\``, node.loc("key"), `add e.g. \`entity: ${scope.entities[0]?.name ?? "Product"}\``);
    return undefined;
  }
  if (typeof child.value !== "string") {
    scope.report.error("bad-value", `\`entity\` of ${what} should be an entity name`, child.loc());
    return undefined;
  }
  const entity = scope.entities.find((e) => e.name === child.value);
  if (!entity) {
    const s = closest(child.value, scope.entities.map((e) => e.name));
    const schema = scope.schemas.some((x) => x.name === child.value);
    scope.report.error("unknown-entity", `unknown entity "${child.value}" in ${what}`, child.loc(), s ? `did you mean "${s}"?` : schema ? `${child.value} is a schema without a table; name an entity` : `entities: ${scope.entities.map((e) => e.name).join(", ")}`);
  }
  return entity;
}

/** Fields never sent to clients: they cannot be filtered, sorted or aggregated on (that would leak them). */
export const isHidden = (entity: EntityIR, f: FieldIR) => f.writeOnly || f.sensitive || f.name === entity.softDelete?.field;

/** Fields a handler may compare, sort or group by. */
export const comparable = (f: FieldIR) => !f.array && f.type !== "json" && f.type !== "binary" && f.type !== "base64";

export function visibleFields(entity: EntityIR): FieldIR[] {
  return entity.fields.filter((f) => !isHidden(entity, f));
}

/** A field by name (or by column name, e.g. `created_at`); reports unknown and hidden fields. */
export function resolveField(entity: EntityIR, name: unknown, node: ConfigNode, scope: HandlerScope, use: string): FieldIR | undefined {
  if (typeof name !== "string" || name === "") {
    scope.report.error("bad-value", `${use} needs a field name of ${entity.name}`, node.loc());
    return undefined;
  }
  // A belongsTo relation stands for its foreign key (`category` → `categoryId`).
  const fk = entity.relations.find((r) => r.name === name && r.kind === "belongsTo")?.foreignKey;
  const field = entity.fields.find((f) => f.name === name) ?? entity.fields.find((f) => f.column === name) ?? entity.fields.find((f) => f.name === fk);
  if (!field) {
    const s = closest(name, visibleFields(entity).map((f) => f.name));
    scope.report.error("unknown-field", `${entity.name} has no field "${name}" (${use})`, node.loc(), s ? `did you mean "${s}"?` : `fields: ${visibleFields(entity).map((f) => f.name).join(", ")}`);
    return undefined;
  }
  if (isHidden(entity, field)) {
    scope.report.error("hidden-field", `${entity.name}.${field.name} is never sent to clients, so it cannot be used in ${use}`, node.loc(), "use a field clients may see");
    return undefined;
  }
  return field;
}

// ---------------------------------------------------------------------------------------------
// Value classes: which fields, inputs and constants can be compared

export type ValueClass = "number" | "text" | "boolean" | "time" | "other";

export function classOf(type: BaseType): ValueClass {
  if (NUMERIC_TYPES.has(type)) return "number";
  if (STRING_TYPES.has(type) || type === "uuid" || type === "enum") return "text";
  if (type === "boolean") return "boolean";
  if (type === "date" || type === "time" || type === "timestamp" || type === "timestamplocal" || type === "interval") return "time";
  return "other";
}

/** Text a LIKE can search (not uuid). */
export const isSearchable = (f: FieldIR) => STRING_TYPES.has(f.type) || f.type === "enum";

/** Whether an input of type `input` can be compared with a column of type `column`. Dates and times arrive as text. */
export function compatible(column: FieldIR, input: FieldIR): boolean {
  const c = classOf(column.type);
  const i = classOf(input.type);
  return c === i || (c === "time" && i === "text");
}

// ---------------------------------------------------------------------------------------------
// Request inputs

const REF = /^(params|query|body)\.([A-Za-z_][A-Za-z0-9_]*)$/;
const BARE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** True when `text` is written as a request reference (`query.x`, `params.x`, `body.x`). */
export const isInputRef = (text: unknown): text is string => typeof text === "string" && REF.test(text.trim());

interface Declared {
  field: FieldIR;
  required: boolean;
}

const hasDefault = (f: FieldIR) => f.default?.kind === "literal" && f.default.value !== null;

/** The scalar fields of the endpoint's body, as validation leaves them. */
export function bodyFields(scope: HandlerScope): Map<string, Declared> {
  const out = new Map<string, Declared>();
  const body = scope.endpoint.body;
  if (!body) return out;
  if ("inline" in body) {
    for (const f of body.inline.fields) if (f.kind === "scalar") out.set(f.field.name, { field: f.field, required: f.field.notNull || hasDefault(f.field) });
    return out;
  }
  if (body.ref.array) return out;
  if (body.ref.kind === "schema") {
    const schema = scope.schemas.find((s) => s.name === body.ref.name);
    for (const f of schema?.fields ?? []) if (f.kind === "scalar") out.set(f.field.name, { field: f.field, required: f.field.notNull || hasDefault(f.field) });
    return out;
  }
  const entity = scope.entities.find((e) => e.name === body.ref.name);
  for (const f of entity?.fields ?? []) {
    if (f.readonly || (f.primary && f.generated) || f.autoUpdate) continue;
    out.set(f.name, { field: f, required: f.notNull && f.default === undefined && !f.generated });
  }
  return out;
}

function declared(scope: HandlerScope, source: InputRef["source"]): Map<string, Declared> {
  if (source === "body") return bodyFields(scope);
  const fields = source === "params" ? scope.endpoint.params : scope.endpoint.query;
  return new Map(fields.map((f) => [f.name, { field: f, required: source === "params" || f.notNull || hasDefault(f) }]));
}

/**
 * Resolves `query.q`, `params.id`, `body.x` (or a bare `q`, looked up in query, params, body)
 * to the input the endpoint declares. Reports references to inputs it does not declare.
 */
export function resolveInput(node: ConfigNode, scope: HandlerScope, use: string): InputRef | undefined {
  const text = typeof node.value === "string" ? node.value.trim() : undefined;
  const loc = node.loc();
  if (text === undefined) {
    scope.report.error("bad-input-ref", `${use} should name a request value such as query.q or params.id`, loc);
    return undefined;
  }
  const m = REF.exec(text);
  if (!m && !BARE.test(text)) {
    scope.report.error("bad-input-ref", `"${text}" is not a request reference (${use})`, loc, "write query.<name>, params.<name> or body.<name>");
    return undefined;
  }
  const sources: InputRef["source"][] = m ? [m[1] as InputRef["source"]] : ["query", "params", "body"];
  const name = m ? m[2]! : text;
  for (const source of sources) {
    const d = declared(scope, source).get(name);
    if (d) return { source, name, field: d.field, required: d.required, loc };
  }
  const { label, method } = scope.endpoint;
  if (m && m[1] === "body" && !scope.endpoint.body) {
    const why = ["GET", "HEAD", "DELETE"].includes(method) ? `${method} requests carry no body` : `${label} declares no body`;
    scope.report.error("undeclared-input", `${use} reads body.${name}, but ${why}`, loc, ["GET", "HEAD", "DELETE"].includes(method) ? `use query.${name}` : `declare it: \`body: {fields: {${name}: string}}\``);
    return undefined;
  }
  const candidates = sources.flatMap((s) => [...declared(scope, s).keys()].map((k) => (m ? `${s}.${k}` : k)));
  const s = closest(m ? text : name, candidates);
  const where = m ? m[1]! : "query";
  scope.report.error("undeclared-input", `${use} reads ${m ? text : name}, which ${label} does not declare`, loc, s ? `did you mean "${s}"?` : where === "params" ? `add :${name} to the path` : `declare it on the endpoint: \`${where}: {${name}: string}\``);
  return undefined;
}

/** Reports a declared response that is a different entity than the rows a handler returns. */
export function checkResponse(entity: EntityIR, scope: HandlerScope, what: string): void {
  const r = scope.endpoint.response;
  if (r?.kind === "entity" && r.name !== entity.name) {
    scope.report.error("response-mismatch", `${scope.endpoint.label} declares response ${r.name}${r.array ? "[]" : ""}, but its ${what} returns ${entity.name} rows`, scope.endpoint.loc, `declare \`response: ${entity.name}[]\` or remove \`response\``);
  }
}
