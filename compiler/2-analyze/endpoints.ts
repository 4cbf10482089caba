/**
 * Named schemas (`schemas:` entries without a table) and endpoints (`endpoints:` and
 * `apis.rest`): resolves shapes, parameters, bodies, responses and handlers.
 */
import { closest, type DiagnosticBag, type SourceLocation } from "../diagnostics.js";
import type { DefaultHandlerIR, EndpointIR, EntityIR, FieldIR, HandlerIR, SchemaFieldIR, SchemaIR, ShapeRef } from "../ir.js";
import type { ConfigPath, ParsedConfig } from "../1-parse/parse.js";
import { isSingleRestApi, type RawConfig, type RawEndpoint, type RawValueSpec } from "./config-schema.js";
import { collectEntitySources, fieldFromObject, fieldFromShorthand, type FieldContext } from "./entities.js";
import { analyzeHandler, collectCrudOverrides, collectTemplates, reportUnusedTemplates, type HandlerScope } from "./handlers/index.js";
import { configNode } from "./handlers/node.js";
import { camelCase, kebabCase, pascalCase, pluralWords, STRING_TYPES, wordsOf } from "./types.js";
import { limitSpec, normalizeLimit } from "../plugins/rate-limit.js";
import { authRequirement } from "../plugins/auth.js";

/** Reads user files next to the config (handler files); absent for in-memory compiles. */
export interface ProjectHost {
  readFile(relativePath: string): string | undefined;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Parses one field of a schema or a parameter list; references become ref fields. */
export function parseValue(owner: string, name: string, def: RawValueSpec, path: ConfigPath, ctx: FieldContext, allowRefs: boolean): SchemaFieldIR | undefined {
  const loc = ctx.parsed.locate(path, "key");
  if (def === null) {
    ctx.diagnostics.error("missing-type", `${owner}.${name} has no type`, loc, `write a type after the colon, e.g. \`${name}: string!\``);
    return undefined;
  }
  // `{type: list, items: {$ref: Todo}}` (JSON-Schema style lists).
  if (isRecord(def) && (def.type === "list" || def.type === "array") && isRecord(def.items)) {
    const items = def.items as Record<string, unknown>;
    const target = typeof items.$ref === "string" ? items.$ref : typeof items.type === "string" ? items.type : undefined;
    if (target === undefined) {
      ctx.diagnostics.error("bad-value", `${owner}.${name}: a list needs \`items: {$ref: Name}\` or \`items: {type: string}\``, loc);
      return undefined;
    }
    const inner = parseValue(owner, name, { type: target, required: def.required } as RawValueSpec, path, ctx, allowRefs);
    if (!inner) return undefined;
    if (inner.kind === "ref") return { ...inner, ref: { ...inner.ref, array: true } };
    inner.field.array = true;
    return inner;
  }
  const before = ctx.references.length;
  const field = typeof def === "string" ? fieldFromShorthand(owner, name, def, path, ctx) : fieldFromObject(owner, name, { ...def, ...(def.type === "list" || def.type === "array" ? { type: "json" } : {}) }, path, ctx);
  if (ctx.references.length > before) {
    const ref = ctx.references.splice(before)[0]!;
    if (!allowRefs) {
      ctx.diagnostics.error("bad-parameter-type", `${owner}.${name} refers to ${ref.target}, but parameters must be scalars`, ref.loc, "use string, integer, number, boolean, uuid, timestamp or an enum");
      return undefined;
    }
    return { kind: "ref", name, ref: { kind: "entity", name: ref.target, array: ref.array }, required: ref.required === true, loc: ref.loc };
  }
  if (!field) return undefined;
  // In a schema, `required: false` means "may be left out"; only `nullable: true` (or the shorthand `?`) allows null.
  const nullable = typeof def === "string" ? !field.notNull : def.nullable === true;
  return { kind: "scalar", field, nullable };
}

/** Resolves `Name`, `Name[]`, `NameArray` to an entity or schema. */
export function resolveShape(text: string, loc: SourceLocation, ctx: FieldContext, schemaNames: ReadonlySet<string>, diagnostics: DiagnosticBag): ShapeRef | undefined {
  let name = text.trim();
  let array = false;
  if (name.endsWith("[]")) {
    array = true;
    name = name.slice(0, -2);
  }
  name = name.replace(/[!?]$/, "");
  const lookup = (n: string): ShapeRef | undefined =>
    ctx.entityNames.has(n) ? { kind: "entity", name: n, array } : schemaNames.has(n) ? { kind: "schema", name: n, array } : undefined;
  let found = lookup(name);
  if (!found && name.endsWith("Array")) {
    array = true;
    found = lookup(name.slice(0, -"Array".length));
  }
  if (!found) {
    const s = closest(name, [...ctx.entityNames, ...schemaNames]);
    diagnostics.error("unknown-type", `unknown type "${name}"`, loc, s ? `did you mean "${s}"?` : "name an entity or a schema declared under `schemas:`");
  }
  return found;
}

export function analyzeSchemas(config: RawConfig, ctx: FieldContext): SchemaIR[] {
  const tables = collectEntitySources(config).entities;
  const out: SchemaIR[] = [];
  ctx.allowSchemaRefs = true;
  for (const [name, raw] of Object.entries(config.schemas ?? {})) {
    if (tables.has(name) || raw == null) continue;
    const path = ["schemas", name];
    const schema: SchemaIR = { name, fields: [], source: raw.source, loc: ctx.parsed.locate(path, "key") };
    if (raw.source !== undefined && !ctx.entityNames.has(raw.source)) {
      const s = closest(raw.source, ctx.entityNames);
      ctx.diagnostics.error("unknown-entity", `schema ${name} has source ${raw.source}, which is not an entity`, ctx.parsed.locate([...path, "source"]), s ? `did you mean "${s}"?` : undefined);
    }
    for (const [fieldName, def] of Object.entries(raw.fields ?? {})) {
      const f = parseValue(name, fieldName, def as RawValueSpec, [...path, "fields", fieldName], ctx, true);
      if (f) schema.fields.push(f);
    }
    out.push(schema);
  }
  ctx.allowSchemaRefs = false;
  // References inside schemas may name other schemas: fix their kind now that all names are known.
  const names = new Set(out.map((s) => s.name));
  for (const schema of out) for (const f of schema.fields) if (f.kind === "ref" && names.has(f.ref.name)) f.ref = { ...f.ref, kind: "schema" };
  return out;
}

interface RawApi {
  basePath: string;
  endpoints: { raw: RawEndpoint; path: ConfigPath; override?: EndpointIR["crudOverride"] }[];
}

function collectApis(config: RawConfig): RawApi[] {
  const apis: RawApi[] = [];
  if (config.endpoints) apis.push({ basePath: "", endpoints: config.endpoints.map((raw, i) => ({ raw, path: ["endpoints", i] })) });
  const rest = config.apis?.rest;
  if (isRecord(rest)) {
    const single = isSingleRestApi(rest);
    const named: [string | undefined, Record<string, unknown>][] = single ? [[undefined, rest]] : Object.entries(rest).filter(([, v]) => isRecord(v)).map(([k, v]) => [k, v as Record<string, unknown>]);
    for (const [key, api] of named) {
      if (api.enabled === false) continue;
      const base = ["apis", "rest", ...(key === undefined ? [] : [key])];
      const endpoints = Array.isArray(api.endpoints) ? (api.endpoints as RawEndpoint[]) : [];
      apis.push({ basePath: typeof api.basePath === "string" ? api.basePath.replace(/\/$/, "") : "", endpoints: endpoints.map((raw, i) => ({ raw, path: [...base, "endpoints", i] })) });
    }
  }
  return apis;
}

const PATH_PARAM = /[:{]([A-Za-z_][A-Za-z0-9_]*)\}?/g;

function honoPath(path: string): string {
  return path.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, ":$1");
}

/** Whether a project file's source exports `name` (a function, a const, or in an export list). */
export function exportsName(source: string, name: string): boolean {
  return new RegExp(`export\\s+(?:async\\s+)?(?:function\\*?\\s+|const\\s+|let\\s+|var\\s+)${name}\\b|export\\s*\\{[^}]*\\b${name}\\b[^}]*\\}`).test(source);
}

/** Whether a project file's source has a default export. */
export const hasDefaultExport = (source: string): boolean => /export\s+default\b|export\s*\{[^}]*\bas\s+default\b/.test(source);

/** Finds the export a handler file provides: the named export equal to its file name, else the default export. */
function handlerExport(source: string, base: string): string | undefined {
  if (exportsName(source, base)) return base;
  if (hasDefaultExport(source)) return "default";
  return undefined;
}

export function resolveHandlerFile(spec: string, loc: SourceLocation, host: ProjectHost | undefined, diagnostics: DiagnosticBag): HandlerIR | undefined {
  const isPath = spec.includes("/") || /\.(ts|js|mts|mjs)$/.test(spec);
  const candidates = isPath
    ? [spec.replace(/^\.\//, "").replace(/\.(js|mjs)$/, ".ts").replace(/(?<!\.ts)$/, ".ts").replace(/\.ts\.ts$/, ".ts")]
    : [`handlers/${spec}.ts`, `src/handlers/${spec}.ts`];
  if (candidates.some((c) => c.startsWith("../") || c.startsWith("/"))) {
    diagnostics.error("bad-handler", `handler "${spec}" is outside the project`, loc, "keep handler files in the project, e.g. handlers/createOrder.ts");
    return undefined;
  }
  const base = candidates[0]!.replace(/^.*\//, "").replace(/\.ts$/, "");
  if (!/^[A-Za-z_$][\w$-]*$/.test(base)) {
    diagnostics.error("bad-handler", `handler ${JSON.stringify(spec)} does not name a handler file`, loc, "write the handler's name, e.g. `handler: createOrder` (handlers/createOrder.ts), or a path such as ./handlers/orders/create.ts");
    return undefined;
  }
  if (!host) return { kind: "file", file: candidates[0]!, exportName: base, loc };
  for (const file of candidates) {
    const source = host.readFile(file);
    if (source === undefined) continue;
    const exportName = handlerExport(source, base);
    if (!exportName) {
      diagnostics.error("bad-handler", `${file} exports neither \`${base}\` nor a default function`, loc, `add \`export async function ${base}(ctx) { … }\` to ${file}`);
      return undefined;
    }
    return { kind: "file", file, exportName, loc };
  }
  diagnostics.error("missing-handler", `handler file ${candidates.join(" or ")} does not exist`, loc, `create it with \`export async function ${base}(ctx) { … }\`; yamac never writes handler files`);
  return undefined;
}

function endpointName(method: string, path: string): string {
  const words = path.split("/").filter((s) => s !== "" && !s.startsWith(":") && !s.startsWith("{")).flatMap(wordsOf);
  const byId = /[:{]/.test(path.split("/").at(-1) ?? "");
  return camelCase([method.toLowerCase(), ...words, ...(byId ? ["by", "id"] : [])].join(" "));
}

/** The entity a handler-less endpoint works on: its response type, else its path's first segment. */
function inferEntity(ep: RawEndpoint, response: ShapeRef | undefined, entities: readonly EntityIR[]): EntityIR | undefined {
  if (response?.kind === "entity") return entities.find((e) => e.name === response.name);
  const first = ep.path.split("/").find((s) => s !== "" && !s.startsWith(":") && !s.startsWith("{"));
  return entities.find((e) => first !== undefined && (e.crud?.basePath === `/${first}` || kebabCase(pluralWords(e.name).join("-")) === first || e.table === first));
}

/** Where `:name` (or `{name}`) is written inside an endpoint's path. */
function paramLoc(pathLoc: SourceLocation, path: string, name: string, source: string): SourceLocation {
  const match = new RegExp(`[:{]${name}\\b\\}?`).exec(path);
  if (!match) return pathLoc;
  const line = source.split("\n")[pathLoc.line - 1] ?? "";
  const quoted = line[pathLoc.col - 1] === '"' || line[pathLoc.col - 1] === "'";
  return { ...pathLoc, col: pathLoc.col + match.index + (quoted ? 1 : 0), length: match[0].length };
}

const INTEGER_TYPES: ReadonlySet<string> = new Set(["smallint", "integer", "bigint"]);
const NUMBER_TYPES: ReadonlySet<string> = new Set(["number", "double", "real", "decimal"]);
/** Types a path parameter can filter by: compared by equality, and read from the path into the row's own type. */
const PATH_FILTER_TYPES: ReadonlySet<string> = new Set([...STRING_TYPES, ...INTEGER_TYPES, ...NUMBER_TYPES, "uuid", "boolean", "enum", "date", "money"]);

/** Whether a declared parameter's values are values of `field`. */
function paramFits(param: FieldIR, field: FieldIR): boolean {
  if (param.array) return false;
  if (STRING_TYPES.has(field.type)) return STRING_TYPES.has(param.type);
  if (INTEGER_TYPES.has(field.type)) return INTEGER_TYPES.has(param.type);
  if (NUMBER_TYPES.has(field.type)) return NUMBER_TYPES.has(param.type) || INTEGER_TYPES.has(param.type);
  if (field.type === "enum") return param.type === "enum" && (param.enumValues ?? []).every((v) => field.enumValues?.includes(v));
  return param.type === field.type;
}

/** A path parameter with the type and constraints of the field it stands for. */
function paramOfField(field: FieldIR, name: string, loc: SourceLocation): FieldIR {
  const { default: _default, references: _references, writableBy: _writableBy, description: _description, ...rest } = field;
  return { ...rest, name, column: name, array: false, notNull: true, primary: false, generated: false, unique: false, indexed: false, readonly: false, writeOnly: false, sensitive: false, autoUpdate: false, loc };
}

/**
 * Binds every path parameter of a smart-default endpoint: the primary key of the row a get,
 * update or delete works on (the parameter named after the key, else the last one that names
 * no field, as in `/todos/:todoId`), or an equality filter on the field (or belongsTo relation)
 * it names. Undeclared parameters take the field's type, so a malformed value is a 400; a
 * parameter that names nothing is an error rather than being ignored.
 */
function bindPathParams(
  label: string,
  operation: DefaultHandlerIR["operation"],
  entity: EntityIR,
  params: FieldIR[],
  query: readonly FieldIR[],
  declared: ReadonlySet<string>,
  at: (name: string) => SourceLocation,
  diagnostics: DiagnosticBag,
): Pick<DefaultHandlerIR, "idParam" | "pathFilters"> {
  const pk = entity.fields.find((f) => f.name === entity.primaryKey)!;
  const fieldFor = (name: string): FieldIR | undefined => {
    const direct = entity.fields.find((f) => f.name === name);
    if (direct) return direct;
    const relation = entity.relations.find((r) => r.name === name && r.kind === "belongsTo");
    if (relation?.foreignKey !== undefined) return entity.fields.find((f) => f.name === relation.foreignKey);
    // A nested resource path names the parent entity (`/users/:userId/posts`): the one belongsTo
    // relation to it. Not for a relation to the entity itself (`/users/:userId` is the key).
    const toParent = entity.relations.filter((r) => r.kind === "belongsTo" && r.target !== entity.name && (name === camelCase(r.target) || name === `${camelCase(r.target)}Id`));
    return toParent.length === 1 && toParent[0]!.foreignKey !== undefined ? entity.fields.find((f) => f.name === toParent[0]!.foreignKey) : undefined;
  };
  const pathFilters: { param: string; field: string }[] = [];
  if (operation === "create") {
    for (const p of params) {
      diagnostics.error("unbound-path-param", `${label} has no handler, and a smart-default create does not read path parameters: :${p.name} would be ignored`, at(p.name), `POST to a path without parameters and send ${fieldFor(p.name)?.name ?? p.name} in the body, or write a handler (\`handler: handlers/<name>.ts\`)`);
    }
    return { pathFilters };
  }
  const byKey = operation !== "list";
  const idParam = byKey ? (params.find((p) => p.name === pk.name) ?? [...params].reverse().find((p) => !fieldFor(p.name)))?.name : undefined;
  const bind = (i: number, field: FieldIR): boolean => {
    const p = params[i]!;
    if (!declared.has(p.name)) {
      params[i] = paramOfField(field, p.name, p.loc);
      return true;
    }
    if (paramFits(p, field)) return true;
    diagnostics.error("param-type-mismatch", `param "${p.name}" of ${label} is declared ${p.array ? `${p.type}[]` : p.type}, but it is compared with ${entity.name}.${field.name}, a ${field.type}`, p.loc, `declare it \`${p.name}: ${field.type === "enum" ? `enum(${(field.enumValues ?? []).join(", ")})` : field.type}!\`, or leave it out of \`params:\` to take the field's type`);
    return false;
  };
  params.forEach((p, i) => {
    if (p.name === idParam) {
      bind(i, pk);
      return;
    }
    const field = fieldFor(p.name);
    if (!field) {
      const names = entity.fields.filter((f) => PATH_FILTER_TYPES.has(f.type) && !f.array).map((f) => f.name);
      const s = closest(p.name, names);
      const what = byKey ? `it is not ${entity.name}'s primary key (:${idParam ?? pk.name} is)` : `the list cannot be filtered by it`;
      diagnostics.error("unbound-path-param", `path parameter :${p.name} of ${label} names no field of ${entity.name}: ${what}`, at(p.name), s ? `did you mean ":${s}"? A path parameter named after a field of ${entity.name} (or a belongsTo relation) filters by it; otherwise write a handler` : `name it after a field of ${entity.name} to filter by it (${names.slice(0, 5).join(", ")}), or write a handler (\`handler: handlers/<name>.ts\`)`);
      return;
    }
    if (!PATH_FILTER_TYPES.has(field.type) || field.array || field.writeOnly || field.sensitive) {
      const why = field.writeOnly || field.sensitive ? `is ${field.sensitive ? "sensitive" : "writeOnly"}` : `is a ${field.type}${field.array ? "[]" : ""}`;
      diagnostics.error("unbound-path-param", `path parameter :${p.name} of ${label} cannot filter ${entity.name} by ${field.name}: the field ${why}`, at(p.name), "filter by another field, or write a handler");
      return;
    }
    if (query.some((q) => q.name === p.name || q.name === field.name)) {
      diagnostics.error("duplicate-param", `${label} filters ${entity.name}.${field.name} by both the path parameter :${p.name} and a query parameter`, at(p.name), `remove \`${field.name}\` from \`query:\``);
      return;
    }
    if (bind(i, field)) pathFilters.push({ param: p.name, field: field.name });
  });
  if (byKey && idParam === undefined) {
    const unique = pathFilters.some((f) => entity.fields.find((x) => x.name === f.field)?.unique);
    if (operation !== "get" || !unique) {
      const first = params[0]!;
      diagnostics.error(
        "unbound-path-param",
        operation === "get"
          ? `${label} has no handler and responds with one ${entity.name}, but its path parameters identify no single row: none is the primary key (${pk.name}) or a unique field`
          : `${label} has no handler and no path parameter holds ${entity.name}'s primary key (${pk.name})`,
        at(first.name),
        operation === "get" ? `respond with \`${entity.name}[]\` to list the matching rows, or add :${pk.name} to the path` : `add :${pk.name} to the path, e.g. ${label.replace(/^\S+ /, "")}/:${pk.name}`,
      );
    }
  }
  return { ...(idParam !== undefined ? { idParam } : {}), pathFilters };
}

export function analyzeEndpoints(config: RawConfig, ctx: FieldContext, entities: readonly EntityIR[], schemas: readonly SchemaIR[], host: ProjectHost | undefined): EndpointIR[] {
  const { parsed, diagnostics } = ctx;
  const schemaNames = new Set(schemas.map((s) => s.name));
  const out: EndpointIR[] = [];
  const routes = new Map<string, SourceLocation>();
  const names = new Set<string>();
  const templates = collectTemplates(parsed, diagnostics);
  const usedTemplates = new Set<string>();
  const overrides = collectCrudOverrides(config, entities, (p) => configNode(parsed, p), diagnostics);
  for (const api of [...collectApis(config), { basePath: "", endpoints: overrides }]) {
    for (const { raw: ep, path, override } of api.endpoints) {
      const loc = parsed.locate(path);
      const fullPath = honoPath(`${api.basePath}${ep.path}`).replace(/(.)\/$/, "$1");
      const routeKey = `${ep.method} ${fullPath.replace(/:[A-Za-z_]\w*/g, ":")}`;
      const clash = routes.get(routeKey);
      if (clash) diagnostics.error("duplicate-route", `${ep.method} ${fullPath} is declared twice (first at line ${clash.line})`, loc, "remove one of them or change its path");
      routes.set(routeKey, loc);
      let rateLimit: EndpointIR["rateLimit"];
      if (ep.rateLimit !== undefined) {
        const parsedLimit = limitSpec.safeParse(ep.rateLimit);
        if (parsedLimit.success) rateLimit = normalizeLimit(parsedLimit.data);
        else for (const issue of parsedLimit.error.issues) diagnostics.error("bad-rate-limit", `rateLimit of ${ep.method} ${ep.path}: ${issue.message}`, parsed.locate([...path, "rateLimit", ...(issue.path as (string | number)[])]), "write e.g. `rateLimit: {max: 10, window: 1m}`");
      }
      const auth = ep.auth === undefined ? undefined : authRequirement(ep.auth, { parsed, diagnostics, path: [...path, "auth"], what: `${ep.method} ${ep.path}` });
      for (const key of ["cache", "middleware"] as const) {
        if (ep[key] !== undefined) diagnostics.warn("not-yet-compiled", `\`${key}\` on endpoints is not compiled by this version of yamac; it is ignored`, parsed.locate([...path, key], "key"));
      }

      // Path and declared params.
      const pathParams = [...fullPath.matchAll(PATH_PARAM)].map((m) => m[1]!);
      const owner = `${ep.method} ${ep.path}`;
      const params: FieldIR[] = [];
      for (const [name, def] of Object.entries(ep.params ?? {})) {
        const f = parseValue(owner, name, def, [...path, "params", name], ctx, false);
        if (!f || f.kind !== "scalar") continue;
        if (!pathParams.includes(name)) {
          const s = closest(name, pathParams);
          diagnostics.error("unknown-param", `param "${name}" is not in the path ${ep.path}`, parsed.locate([...path, "params", name], "key"), s ? `did you mean "${s}"?` : `add :${name} to the path or remove the param`);
          continue;
        }
        f.field.notNull = true;
        params.push(f.field);
      }
      for (const name of pathParams) {
        if (!params.some((p) => p.name === name)) {
          params.push({ name, column: name, type: "string", array: false, notNull: true, primary: false, generated: false, unique: false, indexed: false, readonly: false, writeOnly: false, sensitive: false, autoUpdate: false, maxLength: 255, loc });
        }
      }
      params.sort((a, b) => pathParams.indexOf(a.name) - pathParams.indexOf(b.name));
      const query: FieldIR[] = [];
      for (const [name, def] of Object.entries(ep.query ?? {})) {
        const f = parseValue(owner, name, def, [...path, "query", name], ctx, false);
        if (f?.kind === "scalar") query.push(f.field);
      }

      // Body and response.
      let body: EndpointIR["body"];
      if (typeof ep.body === "string" || (isRecord(ep.body) && typeof ep.body.type === "string" && !ep.body.fields && !ep.body.properties)) {
        const text = typeof ep.body === "string" ? ep.body : (ep.body.type as string);
        const ref = resolveShape(text, parsed.locate([...path, "body"]), ctx, schemaNames, diagnostics);
        if (ref) body = { ref };
      } else if (isRecord(ep.body)) {
        const fields = (ep.body.fields ?? ep.body.properties ?? {}) as Record<string, RawValueSpec>;
        const required = new Set(ep.body.required ?? []);
        const inline: SchemaIR = { name: "", fields: [], loc: parsed.locate([...path, "body"]) };
        const key = ep.body.fields ? "fields" : "properties";
        for (const [name, def] of Object.entries(fields)) {
          const f = parseValue(owner, name, def, [...path, "body", key, name], ctx, true);
          if (!f) continue;
          if (required.has(name)) {
            if (f.kind === "scalar") f.field.notNull = true;
            else f.required = true;
          }
          inline.fields.push(f);
        }
        body = { inline };
      }
      const responseText = typeof ep.response === "string" ? ep.response : ep.response?.type;
      const response = responseText === undefined ? undefined : resolveShape(responseText, parsed.locate([...path, "response"]), ctx, schemaNames, diagnostics);
      if (["GET", "HEAD", "DELETE"].includes(ep.method) && body) {
        diagnostics.error("bad-body", `${ep.method} requests carry no body, but ${ep.method} ${ep.path} declares one`, parsed.locate([...path, "body"], "key"), "move the fields to `query:` or use POST/PUT/PATCH");
      }

      // Handler.
      let handler: HandlerIR | undefined;
      const hloc = parsed.locate([...path, "handler"]);
      if (typeof ep.handler === "string") handler = resolveHandlerFile(ep.handler, hloc, host, diagnostics);
      else if (isRecord(ep.handler)) {
        const scope: HandlerScope = {
          report: diagnostics, configText: parsed.sourceText, entities, schemas, templates, usedTemplates, via: [],
          endpoint: { label: `${ep.method} ${fullPath}`, method: ep.method, params, query, body, response, loc },
          override: override && { entity: entities.find((e) => e.name === override.entity)!, operation: override.operation },
          resolveFile: (spec, at) => resolveHandlerFile(spec, at, host, diagnostics),
        };
        handler = analyzeHandler(configNode(parsed, [...path, "handler"]), scope);
      } else {
        const entity = inferEntity(ep, response, entities);
        const operation = ep.method === "GET" ? (response?.array ? "list" : "get") : ep.method === "POST" ? "create" : ep.method === "PUT" || ep.method === "PATCH" ? "update" : ep.method === "DELETE" ? "delete" : undefined;
        const needsId = operation === "get" || operation === "update" || operation === "delete";
        if (!entity || !operation || (response && response.kind !== "entity") || (needsId && params.length === 0)) {
          const why = !operation
            ? `${ep.method} has no default behaviour`
            : response && response.kind !== "entity"
              ? `its response ${response.name} is not an entity`
              : !entity
                ? "no entity could be inferred from its response or path"
                : `a ${operation} needs a path parameter such as /:id`;
          diagnostics.error("no-handler", `${ep.method} ${ep.path} has no handler and yamac cannot infer one: ${why}`, loc, "add `handler: handlers/<name>.ts`, a declarative handler, or `response: <Entity>` / `<Entity>[]`");
        } else {
          const declared = new Set(Object.keys(ep.params ?? {}));
          const pathLoc = parsed.locate([...path, "path"]);
          const at = (name: string) => paramLoc(pathLoc, ep.path, name, parsed.sourceText(pathLoc.file));
          handler = { kind: "default", entity: entity.name, operation, ...bindPathParams(`${ep.method} ${ep.path}`, operation, entity, params, query, declared, at, diagnostics), loc };
        }
      }
      if (!handler) continue;

      let name = ep.name ?? ep.operationId ?? (handler.kind === "file" ? camelCase(handler.file.replace(/^.*\//, "").replace(/\.ts$/, "")) : endpointName(ep.method, honoPath(ep.path)));
      if (names.has(name)) {
        let i = 2;
        while (names.has(`${name}${i}`)) i++;
        name = `${name}${i}`;
      }
      names.add(name);
      if (body && "inline" in body) body.inline.name = `${pascalCase(name)}Body`;
      out.push({
        name, method: ep.method, path: fullPath, description: ep.description ?? ep.summary, params, query, body, response,
        status: ep.status ?? (isRecord(ep.response) ? ep.response.status : undefined), handler, ...(override ? { crudOverride: override } : {}), ...(rateLimit ? { rateLimit } : {}), ...(auth ? { auth } : {}), loc,
      });
    }
  }
  reportUnusedTemplates(templates, usedTemplates, diagnostics);
  return out;
}
