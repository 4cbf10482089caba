/**
 * Emits src/openapi.json: an OpenAPI 3.1 description of every route (CRUD and endpoints), derived
 * from the same IR the routes are emitted from, so the contract cannot drift from the code.
 * Property order is fixed, so the file is byte-identical on every compile.
 */
import type { CrudIR, EndpointIR, EntityIR, FieldIR, ProjectIR, SchemaIR, ShapeRef } from "../ir.js";
import type { OutputFile } from "./index.js";
import { fileOfParts, pushJoined } from "./writer.js";
import { filterFields, hiddenFields, writableFields } from "./validation.js";
import { authPaths, securitySchemes, secureOperations } from "../plugins/auth/openapi.js";
import { routeAccess, type RouteAccess } from "../plugins/auth/rules.js";
import { noMemo, type PartMemo } from "./cache.js";
import { bulkPath } from "../3-lower/crud.js";
import { compareText } from "../order.js";
import { limitedRoutes } from "../plugins/rate-limit.js";
import { PHONE_PATTERN, SLUG_PATTERN, URL_PATTERN } from "./column-types.js";
import { crudErrorStatuses, endpointErrorStatuses, type ErrorStatus } from "./statuses.js";

type Json = Record<string, unknown>;

/** JSON Schema of one field as clients send or receive it. */
export function fieldSchema(f: FieldIR, nullable = !f.notNull): Json {
  const s: Json = {};
  switch (f.type) {
    case "uuid":
      Object.assign(s, { type: "string", format: "uuid" });
      break;
    case "email":
      Object.assign(s, { type: "string", format: "email" });
      break;
    case "url":
      Object.assign(s, { type: "string", format: "uri", pattern: URL_PATTERN });
      break;
    case "phone":
      Object.assign(s, { type: "string", pattern: PHONE_PATTERN });
      break;
    case "slug":
      Object.assign(s, { type: "string", pattern: SLUG_PATTERN });
      break;
    case "timestamp":
    case "timestamplocal":
      Object.assign(s, { type: "string", format: "date-time" });
      break;
    case "date":
      Object.assign(s, { type: "string", format: "date" });
      break;
    case "time":
      Object.assign(s, { type: "string", format: "time" });
      break;
    case "smallint":
    case "integer":
    case "bigint":
      s.type = "integer";
      break;
    case "number":
    case "double":
    case "real":
    case "decimal":
      s.type = "number";
      break;
    case "boolean":
      s.type = "boolean";
      break;
    case "json":
      break;
    case "enum":
      Object.assign(s, { type: "string", enum: f.enumValues ?? [] });
      break;
    case "binary":
    case "base64":
      Object.assign(s, { type: "string", contentEncoding: "base64" });
      break;
    default:
      s.type = "string";
  }
  if (f.minLength !== undefined) s.minLength = f.minLength;
  if (f.maxLength !== undefined) s.maxLength = f.maxLength;
  if (f.min !== undefined) s.minimum = f.min;
  if (f.max !== undefined) s.maximum = f.max;
  if (f.pattern !== undefined) s.pattern = f.pattern;
  if (f.description) s.description = f.description;
  let out: Json = f.array ? { type: "array", items: s } : s;
  if (nullable) {
    if (typeof out.type === "string") out = { ...out, type: [out.type, "null"] };
    else if (out.type === undefined && f.type !== "json") out = { anyOf: [out, { type: "null" }] };
  }
  return out;
}

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });

function entitySchemas(entity: EntityIR): [string, Json][] {
  const hidden = new Set(hiddenFields(entity));
  const visible = entity.fields.filter((f) => !hidden.has(f));
  const row: Json = {
    type: "object",
    properties: Object.fromEntries(visible.map((f) => [f.name, fieldSchema(f)])),
    required: visible.map((f) => f.name),
  };
  const writable = writableFields(entity);
  const create: Json = {
    type: "object",
    additionalProperties: false,
    properties: Object.fromEntries(writable.map((f) => [f.name, fieldSchema(f)])),
    required: writable.filter((f) => f.notNull && f.default === undefined && !f.generated).map((f) => f.name),
  };
  return [
    [entity.name, row],
    [`${entity.name}Create`, create],
    [`${entity.name}Update`, { ...create, required: [] }],
  ];
}

function namedSchema(schema: SchemaIR): Json {
  const properties: Json = {};
  const required: string[] = [];
  for (const f of schema.fields) {
    if (f.kind === "scalar") {
      properties[f.field.name] = fieldSchema(f.field, f.nullable);
      if (f.field.notNull && f.field.default === undefined) required.push(f.field.name);
    } else {
      const target = ref(f.ref.name);
      properties[f.name] = f.ref.array ? { type: "array", items: target } : target;
      if (f.required) required.push(f.name);
    }
  }
  return { type: "object", properties, required };
}

const shape = (s: ShapeRef): Json => (s.array ? { type: "array", items: ref(s.name) } : ref(s.name));
const openapiPath = (path: string) => path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, "{$1}");
const json = (schema: Json, description: string): Json => ({ description, content: { "application/json": { schema } } });

const ERRORS: Json = {
  "400": { $ref: "#/components/responses/BadRequest" },
  "500": { $ref: "#/components/responses/ServerError" },
};

function parameters(where: "path" | "query", fields: readonly FieldIR[]): Json[] {
  return fields.map((f) => ({ name: f.name, in: where, required: where === "path" || (f.notNull && f.default === undefined), schema: { ...fieldSchema(f, false), ...(f.default?.kind === "literal" ? { default: f.default.value } : {}) } }));
}

function endpointOperation(ep: EndpointIR): Json {
  const op: Json = { operationId: ep.name, ...(ep.description ? { summary: ep.description } : {}) };
  const params = [...parameters("path", ep.params), ...parameters("query", ep.query)];
  if (params.length) op.parameters = params;
  if (ep.body) op.requestBody = { required: !ep.bodyOptional, content: { "application/json": { schema: "ref" in ep.body ? shape(ep.body.ref.kind === "entity" ? { ...ep.body.ref, name: `${ep.body.ref.name}${ep.bodyPartial ? "Update" : "Create"}` } : ep.body.ref) : ref(ep.body.inline.name) } } };
  const status = String(ep.status ?? (ep.method === "POST" ? 201 : ep.method === "DELETE" ? 204 : 200));
  // Paginated query and relation handlers answer the list envelope of CRUD lists.
  const h = ep.handler;
  const paged = (h.kind === "query" || h.kind === "relation") && h.pagination && ep.response;
  const success = paged ? { type: "object", properties: { data: { type: "array", items: ref(ep.response!.name) }, pagination: ref("OffsetPagination") }, required: ["data", "pagination"] } : ep.response ? shape(ep.response) : {};
  op.responses = { [status]: status === "204" ? { description: "No content" } : json(success, paged ? "A page" : "Success"), ...ERRORS };
  return op;
}

type CrudOperation = CrudIR["methods"][number];

/** An entity's CRUD routes as OpenAPI sees them: the operation, its path and method (the bulk create is its own). */
interface CrudRoute {
  operation: CrudOperation | "bulk";
  path: string;
  method: string;
}

function crudRoutes(entity: EntityIR): CrudRoute[] {
  const crud = entity.crud!;
  const base = crud.basePath === "/" ? "" : crud.basePath;
  return crud.methods.flatMap((operation): CrudRoute[] => {
    switch (operation) {
      case "list": return [{ operation, path: crud.basePath, method: "get" }];
      case "create": return [{ operation, path: crud.basePath, method: "post" }, ...(crud.bulk ? [{ operation: "bulk" as const, path: bulkPath(crud.basePath), method: "post" }] : [])];
      case "get": return [{ operation, path: `${base}/{id}`, method: "get" }];
      case "replace": return [{ operation, path: `${base}/{id}`, method: "put" }];
      case "update": return [{ operation, path: `${base}/{id}`, method: "patch" }];
      case "delete": return [{ operation, path: `${base}/{id}`, method: "delete" }];
    }
  });
}

/** The CRUD operations of an entity as [path, method, operation]. */
function crudOperations(entity: EntityIR): [string, string, Json][] {
  const crud = entity.crud!;
  const pk = entity.fields.find((f) => f.name === entity.primaryKey)!;
  const idParam = { name: "id", in: "path", required: true, schema: fieldSchema(pk, false) };
  const tag = [entity.name];
  const operationOf = (operation: CrudOperation | "bulk"): Json => {
    switch (operation) {
      case "list": {
        const paging = crud.pagination.type === "cursor"
          ? [{ name: "cursor", in: "query", schema: { type: "string" } }]
          : [
              { name: "offset", in: "query", schema: { type: "integer", minimum: 0, default: 0 } },
              { name: "sort", in: "query", description: "Comma-separated fields, `-` for descending", schema: { type: "string" } },
              { name: "count", in: "query", schema: { type: "boolean" } },
            ];
        return {
          operationId: `list${entity.name}`,
          tags: tag,
          parameters: [
            { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: crud.pagination.maxLimit, default: crud.pagination.defaultLimit } },
            ...paging,
            ...(crud.search ? [{ name: "search", in: "query", schema: { type: "string", maxLength: 256 } }] : []),
            ...(entity.relations.length ? [{ name: "include", in: "query", schema: { type: "string" } }] : []),
            { name: "fields", in: "query", schema: { type: "string" } },
            ...filterFields(entity).map((f) => ({ name: f.name, in: "query", schema: fieldSchema(f, false) })),
          ],
          responses: { "200": json({ type: "object", properties: { data: { type: "array", items: ref(entity.name) }, pagination: ref(crud.pagination.type === "cursor" ? "CursorPagination" : "OffsetPagination") }, required: ["data", "pagination"] }, "A page"), ...ERRORS },
        };
      }
      case "get":
        return { operationId: `get${entity.name}`, tags: tag, parameters: [idParam], responses: { "200": json(ref(entity.name), `One ${entity.name}`), "304": { description: "Not modified (If-None-Match)" }, ...ERRORS } };
      case "create":
        return { operationId: `create${entity.name}`, tags: tag, requestBody: { required: true, content: { "application/json": { schema: ref(`${entity.name}Create`) } } }, responses: { "201": json(ref(entity.name), "Created"), ...ERRORS } };
      case "bulk": {
        const rows = { type: "array", items: ref(`${entity.name}Create`), minItems: 1, maxItems: 1000 };
        return { operationId: `bulkCreate${entity.name}`, tags: tag, summary: "Creates up to 1,000 rows, all or none", requestBody: { required: true, content: { "application/json": { schema: rows } } }, responses: { "201": json({ type: "object", properties: { data: { type: "array", items: ref(entity.name) } }, required: ["data"] }, "Created"), ...ERRORS } };
      }
      case "replace":
      case "update":
        return { operationId: `${operation}${entity.name}`, tags: tag, parameters: [idParam], requestBody: { required: true, content: { "application/json": { schema: ref(`${entity.name}${operation === "replace" ? "Create" : "Update"}`) } } }, responses: { "200": json(ref(entity.name), "Updated"), ...ERRORS } };
      case "delete":
        return { operationId: `delete${entity.name}`, tags: tag, parameters: [idParam], responses: { "204": { description: "Deleted" }, ...ERRORS } };
    }
  };
  return crudRoutes(entity).map(({ operation, path, method }) => [path, method, operationOf(operation)]);
}

/** Shared responses for statuses whose codes they describe exactly. */
const SHARED: Readonly<Record<string, string>> = { "404 NOT_FOUND": "NotFound", "409 CONFLICT": "Conflict", "429 RATE_LIMIT_EXCEEDED": "TooManyRequests" };

/**
 * Adds the error statuses of a route (statuses.ts) to its operation. A status the operation
 * already lists with the error envelope (401/403 from its access rule) gets the other codes added
 * to its description.
 */
function addErrorStatuses(op: Json, statuses: readonly ErrorStatus[]): void {
  const responses = { ...(op.responses as Json) };
  for (const { status, codes } of statuses) {
    const key = String(status);
    const shared = SHARED[`${key} ${codes.join(" ")}`];
    const existing = responses[key] as Json | undefined;
    if (existing === undefined) responses[key] = shared ? { $ref: `#/components/responses/${shared}` } : errorAnswer(codes.join(" or "));
    else if (typeof existing.description === "string") {
      const known = existing.description.split(" or ");
      responses[key] = errorAnswer([...known, ...codes.filter((c) => !known.includes(c))].join(" or "));
    }
  }
  op.responses = responses;
}

const errorAnswer = (description: string): Json => json(ref("Error"), description);

/**
 * src/openapi.json. Each path item and each entity's schemas are built on their own, so that
 * `yamac dev` (`memo`, see cache.ts) rebuilds only those whose part of the IR changed (config
 * line numbers aside: the document names none, so lines moving above an entity rebuild nothing). Nothing
 * changes a built item afterwards (the auth module's own routes are added to a copy), so reused
 * ones can be shared between compiles.
 */
export function emitOpenApi(ir: ProjectIR, memo: PartMemo = noMemo): OutputFile {
  // What each path is made of: the endpoints at it (in route order), then the entities whose CRUD routes are there.
  const sources = new Map<string, { endpoints: EndpointIR[]; entities: EntityIR[] }>();
  const at = (path: string) => {
    let source = sources.get(path);
    if (source === undefined) sources.set(path, (source = { endpoints: [], entities: [] }));
    return source;
  };
  for (const route of ir.routes) if (route.kind === "endpoint") at(openapiPath(route.endpoint.path)).endpoints.push(route.endpoint);
  for (const entity of ir.entities) if (entity.crud) for (const path of new Set(crudRoutes(entity).map((r) => openapiPath(r.path)))) at(path).entities.push(entity);
  const schemes = Object.keys(securitySchemes(ir));
  const rules = new Map<string, RouteAccess[]>();
  if (schemes.length > 0) for (const r of routeAccess(ir)) rules.set(openapiPath(r.path), [...(rules.get(openapiPath(r.path)) ?? []), r]);

  // An entity's CRUD operations, built once and handed out path by path (each operation object belongs to one path).
  const operationsOf = new Map<EntityIR, [string, string, Json][]>();
  const operations = (entity: EntityIR) => {
    let ops = operationsOf.get(entity);
    if (ops === undefined) operationsOf.set(entity, (ops = crudOperations(entity)));
    return ops;
  };
  const paths: Record<string, Json> = {};
  for (const [path, { endpoints, entities }] of sources) {
    // Each method's error statuses, from facts that may lie outside this path's part of the IR (other entities' foreign keys, rate limits).
    const statuses: Record<string, ErrorStatus[]> = {};
    for (const ep of endpoints) statuses[ep.method.toLowerCase()] ??= endpointErrorStatuses(ir, ep);
    for (const entity of entities) for (const r of crudRoutes(entity)) if (openapiPath(r.path) === path) statuses[r.method] ??= crudErrorStatuses(ir, entity, r.operation);
    paths[path] = memo(`path ${path}`, [...endpoints, ...entities, ...(rules.get(path) ?? []), JSON.stringify(statuses)], () => {
      const item: Json = {};
      for (const ep of endpoints) item[ep.method.toLowerCase()] = endpointOperation(ep);
      for (const entity of entities) for (const [p, method, op] of operations(entity)) if (openapiPath(p) === path && !item[method]) item[method] = op;
      secureOperations(item, rules.get(path) ?? [], schemes);
      for (const [method, list] of Object.entries(statuses)) addErrorStatuses(item[method] as Json, list);
      return item;
    }, { withoutLines: true });
  }
  const limitedEverywhere = limitedRoutes(ir).global;
  for (const [path, ops] of Object.entries(authPaths(ir))) {
    if (limitedEverywhere) for (const op of Object.values(ops)) addErrorStatuses(op as Json, [{ status: 429, codes: ["RATE_LIMIT_EXCEEDED"] }]);
    paths[path] = { ...(paths[path] ?? {}), ...ops };
  }
  const schemas: Record<string, Json> = {};
  for (const entity of ir.entities) for (const [name, s] of memo(`schemas ${entity.name}`, [entity], () => entitySchemas(entity), { withoutLines: true })) schemas[name] = s;
  for (const s of ir.schemas) schemas[s.name] = namedSchema(s);
  // Inline bodies are validated strictly: a field they do not declare is a 400.
  for (const ep of ir.endpoints) if (ep.body && "inline" in ep.body) schemas[ep.body.inline.name] = { ...namedSchema(ep.body.inline), additionalProperties: false };
  schemas.Error = {
    type: "object",
    required: ["error"],
    properties: { error: { type: "object", required: ["code", "message", "requestId"], properties: { code: { type: "string" }, message: { type: "string" }, requestId: { type: "string" }, retryAfter: { type: "integer", minimum: 0, description: "RATE_LIMIT_EXCEEDED: seconds until the window resets (also the Retry-After header)" }, details: { type: "array", items: { type: "object", required: ["field", "message", "rule"], properties: { field: { type: "string" }, message: { type: "string" }, rule: { type: "string" } } } } } } },
  };
  schemas.OffsetPagination = { type: "object", required: ["type", "limit", "offset", "hasNext", "hasPrev"], properties: { type: { const: "offset" }, limit: { type: "integer" }, offset: { type: "integer" }, hasNext: { type: "boolean" }, hasPrev: { type: "boolean" }, total: { type: "integer" } } };
  schemas.CursorPagination = { type: "object", required: ["type", "limit", "hasNext", "nextCursor"], properties: { type: { const: "cursor" }, limit: { type: "integer" }, hasNext: { type: "boolean" }, nextCursor: { type: ["string", "null"] } } };
  const error = (description: string): Json => json(ref("Error"), description);
  const doc = {
    "x-generated-by": `yamac from ${ir.configFile}; do not edit`,
    openapi: "3.1.0",
    info: { title: ir.name, version: ir.version },
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => compareText(a, b))),
    components: {
      schemas: Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => compareText(a, b))),
      responses: {
        BadRequest: error("Invalid request (VALIDATION_BODY, VALIDATION_QUERY, VALIDATION_PARAMS, VALIDATION_FAILED)"),
        NotFound: error("NOT_FOUND"),
        Conflict: error("CONFLICT (a unique value is taken)"),
        ...(limitedRoutes(ir).global || limitedRoutes(ir).endpoints.size > 0 ? { TooManyRequests: { ...error("RATE_LIMIT_EXCEEDED"), headers: { "Retry-After": { description: "Seconds until the client's window resets", schema: { type: "integer", minimum: 0 } } } } } : {}),
        ServerError: error("INTERNAL_ERROR"),
      },
      ...(Object.keys(securitySchemes(ir)).length ? { securitySchemes: securitySchemes(ir) } : {}),
    },
  };
  return fileOfParts("src/openapi.json", [...printDocument(doc), "\n"]);
}

/** Each path item's and schema's member line, as printed last: items `memo` reuses are not printed again. */
const printed = new WeakMap<object, { key: string; line: string }>();

/**
 * `JSON.stringify(doc, null, 2)` as a list of pieces: the members of `paths` and
 * `components.schemas` are printed on their own (or taken from `printed`) and indented to their
 * place (a nested value's text is its own text with every line break followed by its depth's
 * indentation), each member one piece. A member that did not change is the same string as at the
 * previous compile, so `yamac dev` compares and rewrites only what changed (fileOfParts).
 */
function printDocument(doc: { paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } }): string[] {
  const members = (record: Record<string, unknown>, depth: number, out: string[]): void => {
    const entries = Object.entries(record);
    if (entries.length === 0) {
      out.push("{}");
      return;
    }
    // A member printed inside `depth` wrapping objects comes out indented to its place; the
    // wrappers' lines are cut off (a slice, not a copy of the text).
    const prefix = "{\n" + Array.from({ length: depth }, (_, i) => `${"  ".repeat(i + 1)}"": {\n`).join("");
    const suffix = Array.from({ length: depth + 1 }, (_, i) => `\n${"  ".repeat(depth - i)}}`).join("");
    const lines = entries.map(([key, value]) => {
      const known = typeof value === "object" && value !== null ? printed.get(value) : undefined;
      if (known?.key === key) return known.line;
      let wrapped: unknown = { [key]: value };
      for (let i = 0; i < depth; i++) wrapped = { "": wrapped };
      const text = JSON.stringify(wrapped, null, 2);
      const line = text.slice(prefix.length, text.length - suffix.length);
      if (typeof value === "object" && value !== null) printed.set(value, { key, line });
      return line;
    });
    out.push("{\n");
    pushJoined(out, lines, ",\n");
    out.push(`\n${"  ".repeat(depth)}}`);
  };
  // Placeholders no key or value of the document can contain, replaced by the members' text.
  const PATHS = "\u0000paths";
  const SCHEMAS = "\u0000schemas";
  const outline = JSON.stringify({ ...doc, paths: PATHS, components: { ...doc.components, schemas: SCHEMAS } }, null, 2);
  const [head, rest, ...extraPaths] = outline.split(JSON.stringify(PATHS));
  const [middle, tail, ...extraSchemas] = (rest ?? "").split(JSON.stringify(SCHEMAS));
  if (rest === undefined || tail === undefined || extraPaths.length + extraSchemas.length > 0) return [JSON.stringify(doc, null, 2)];
  const parts = [head!];
  members(doc.paths, 1, parts);
  parts.push(middle!);
  members(doc.components.schemas, 2, parts);
  parts.push(tail);
  return parts;
}
