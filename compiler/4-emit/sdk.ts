/**
 * Emits src/sdk/: a typed client of the app's own routes, for browsers and Node.
 *
 *   src/sdk/http.ts   the transport (fetch, credentials, ApiError), copied from runtime-lib/client-http.ts
 *   src/sdk/types.ts  the JSON the routes take and answer: rows, bodies, queries, DTOs, list envelopes
 *   src/sdk/index.ts  createClient(): one method per route, named by its OpenAPI operationId
 *
 * The folder imports nothing outside itself and no package, so a frontend can import it from a
 * workspace or copy it. Its types describe JSON on the wire (timestamps are ISO strings), which is
 * why they are derived here from the IR rather than imported from the server's Drizzle row types
 * (Date objects) or zod schemas (which would pull zod into a browser bundle). A test checks that
 * each body type here and the input type of the zod schema validating that body accept the same values.
 */
import { readFileSync } from "node:fs";
import type { CrudRoutePlan, EndpointIR, EntityIR, FieldIR, ProjectIR, SchemaIR, ShapeRef } from "../ir.js";
import { packageFile } from "../paths.js";
import type { OutputFile } from "./index.js";
import { allSchemas } from "./schemas.js";
import { filterFields, hiddenFields, writableFields } from "./validation.js";
import { fileOfParts, header, Imports, key, pushJoined, ts } from "./writer.js";
import { AUTH_PLUGIN, describeRule, routeAccess } from "../plugins/auth/rules.js";
import { registerFields } from "../plugins/auth/emit-issuing.js";
import type { UserModel } from "../plugins/auth/model.js";
import { resolveUserModel } from "../plugins/auth/model.js";
import { authMethod, authOperationId } from "../plugins/auth/openapi.js";
import { authRoutes, type AuthOptions, type AuthRoute } from "../plugins/auth/options.js";
import { entityMap, entityNamed } from "../ir-lookup.js";
import { noMemo, type PartMemo } from "./cache.js";
import { bulkPath } from "../3-lower/crud.js";
import { compareText } from "../order.js";

const TRANSPORT = readFileSync(packageFile("runtime-lib/client-http.ts"), "utf8");

const isRequiredOnCreate = (f: FieldIR) => f.notNull && f.default === undefined && !f.generated;

/** The TypeScript type of a field's value in JSON (without null). */
function wireBase(f: FieldIR): string {
  let t: string;
  switch (f.type) {
    case "smallint":
    case "integer":
    case "bigint":
    case "number":
    case "double":
    case "real":
    case "decimal":
      t = "number";
      break;
    case "boolean":
      t = "boolean";
      break;
    case "json":
      t = "JsonValue";
      break;
    case "enum":
      t = (f.enumValues ?? []).map(ts).join(" | ") || "string";
      break;
    default:
      // Text, uuids, money (exact decimal text), dates and times (ISO 8601), base64.
      t = "string";
  }
  return f.array ? (t.includes("|") ? `(${t})[]` : `${t}[]`) : t;
}

const wire = (f: FieldIR, nullable: boolean) => `${wireBase(f)}${nullable ? " | null" : ""}`;

/** `/** text *\/` above a member, when there is text. */
const doc = (text: string | undefined, indent = "  ") => (text ? `${indent}/** ${text.replace(/\*\//g, "*\\/").replace(/\s*\n\s*/g, " ")} */\n` : "");

/**
 * A declaration of src/sdk/types.ts, as data: what kind of type, and of which entity, schema or
 * endpoint (by name). Declarations refer to each other by these, so each one is built from its
 * own part of the IR alone and can be reused by `yamac dev` while that part is unchanged.
 */
type Decl =
  | { kind: "json" | "authSession" | "authRegister" | "offsetPage" | "cursorPage" }
  | { kind: "row" | "create" | "update" | "listQuery" | "getQuery"; entity: string }
  | { kind: "schema"; name: string }
  | { kind: "schemaInput"; name: string; inline: boolean }
  | { kind: "query"; typeName: string; endpoint: string };

/** A built declaration, and the declarations it refers to. */
interface Built<T> {
  value: T;
  needs: Decl[];
}

/**
 * Builds src/sdk/types.ts on demand: only the types some method uses, and what they refer to.
 * Asking for a type returns its name at once and queues its declaration; names() builds the
 * queue (each declaration through `memo`, keyed by the part of the IR it reads).
 */
class WireTypes {
  /** Declared names, in the order they were asked for. */
  private readonly queued = new Map<string, Decl>();
  private readonly texts = new Map<string, string>();
  /** The declarations asked for while one build runs (see record()). */
  private asked: Decl[] | undefined;
  private schemasByName: Map<string, SchemaIR> | undefined;
  /** The `schemas:` entries' names: they decide how a body's references to schemas are named (namedInput). */
  readonly schemaNames: string;
  constructor(private readonly ir: ProjectIR, private readonly memo: PartMemo) {
    this.schemaNames = ir.schemas.map((x) => x.name).join(",");
  }

  private entity(name: string): EntityIR {
    return entityNamed(this.ir, name);
  }

  private anySchema(name: string): SchemaIR {
    this.schemasByName ??= new Map(allSchemas(this.ir).reverse().map((x) => [x.name, x]));
    return this.schemasByName.get(name)!;
  }

  private need(decl: Decl): string {
    const name = nameOf(decl);
    if (!this.queued.has(name)) this.queued.set(name, decl);
    this.asked?.push(decl);
    return name;
  }

  /** Runs `build` and returns what it built with the declarations it asked for (builds do not nest). */
  record<T>(build: () => T): Built<T> {
    const needs: Decl[] = [];
    this.asked = needs;
    try {
      return { value: build(), needs };
    } finally {
      this.asked = undefined;
    }
  }

  /** Asks again for what a reused build asked for. */
  replay<T>(built: Built<T>): T {
    for (const decl of built.needs) this.need(decl);
    return built.value;
  }

  json(): string {
    return this.need({ kind: "json" });
  }

  private use(type: string): string {
    if (type.includes("JsonValue")) this.json();
    return type;
  }

  /** A row as the API sends it: every column but hidden ones; relations when asked for with `?include=`. */
  row(entity: string): string {
    return this.need({ kind: "row", entity });
  }

  /** POST and PUT bodies: the writable fields; those with a default or null may be left out. */
  create(entity: string): string {
    return this.need({ kind: "create", entity });
  }

  /** What the /auth sign-in routes answer. */
  authSession(): string {
    return this.need({ kind: "authSession" });
  }

  /** The body of POST /auth/register: the fields a registration may set, and the password. */
  authRegister(): string {
    return this.need({ kind: "authRegister" });
  }

  /** PATCH bodies: any subset of the writable fields. */
  update(entity: string): string {
    return this.need({ kind: "update", entity });
  }

  listQuery(entity: string): string {
    return this.need({ kind: "listQuery", entity });
  }

  getQuery(entity: string): string {
    return this.need({ kind: "getQuery", entity });
  }

  offsetPage(): string {
    return this.need({ kind: "offsetPage" });
  }

  cursorPage(): string {
    return this.need({ kind: "cursorPage" });
  }

  /** A named schema as the API sends it (a response DTO). */
  schema(name: string): string {
    return this.need({ kind: "schema", name });
  }

  /** A named or inline schema as a request body. Inline bodies have only this form, so they keep their name. */
  schemaInput(s: SchemaIR, inline: boolean): string {
    return this.need({ kind: "schemaInput", name: s.name, inline });
  }

  /** A schema named by a body reference: a `schemas:` entry, or the inline body another endpoint declared. */
  namedInput(name: string): string {
    const named = this.ir.schemas.find((x) => x.name === name);
    return named ? this.schemaInput(named, false) : this.schemaInput(this.anySchema(name), true);
  }

  /** An endpoint's query as an object type. */
  query(typeName: string, ep: EndpointIR): string {
    return this.need({ kind: "query", typeName, endpoint: ep.name });
  }

  /** The part of the IR a declaration is built from: its memo key. */
  private source(decl: Decl): (string | object)[] {
    switch (decl.kind) {
      case "row": case "create": case "listQuery": case "getQuery": return [this.entity(decl.entity)];
      case "schema": return [this.anySchema(decl.name)];
      case "schemaInput": return [decl.inline ? this.anySchema(decl.name) : this.ir.schemas.find((x) => x.name === decl.name)!, this.schemaNames];
      case "query": return [this.endpoint(decl.endpoint)];
      case "authRegister": return [userModel(this.ir)!];
      default: return [];
    }
  }

  private endpointsByName: Map<string, EndpointIR> | undefined;

  private endpoint(name: string): EndpointIR {
    // (The first of a name, as a search would find it.)
    this.endpointsByName ??= new Map([...this.ir.endpoints].reverse().map((e) => [e.name, e]));
    return this.endpointsByName.get(name)!;
  }

  private build(decl: Decl): string {
    switch (decl.kind) {
      case "json":
        return "/** Any JSON value (json fields). */\nexport type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };";
      case "row": {
        const name = decl.entity;
        const e = this.entity(name);
        const hidden = new Set(hiddenFields(e));
        const fields = e.fields.filter((f) => !hidden.has(f)).map((f) => `${doc(f.description)}  ${key(f.name)}: ${this.use(wire(f, !f.notNull))};`);
        const relations = e.crud ? e.relations.map((r) => {
          const target = this.row(r.target);
          const type = r.kind === "hasMany" || r.kind === "manyToMany" ? `${target}[]` : `${target} | null`;
          return `  /** With \`?include=${r.name}\`. */\n  ${key(r.name)}?: ${type};`;
        }) : [];
        return `/** A ${name} row (${e.loc.file}:${e.loc.line}). */\nexport interface ${name} {\n${[...fields, ...relations].join("\n")}\n}`;
      }
      case "create": {
        const name = decl.entity;
        const fields = writableFields(this.entity(name)).map((f) => `${doc(f.description)}  ${key(f.name)}${isRequiredOnCreate(f) ? "" : "?"}: ${this.use(wire(f, !f.notNull))};`);
        return `/** The body that creates (POST) or replaces (PUT) a ${name}. */\nexport interface ${name}Create {\n${fields.join("\n")}\n}`;
      }
      case "authSession":
        return `/** What register, login and refresh answer: the user and a new token pair. */\nexport interface AuthSession<User> {\n  user: User;\n  accessToken: string;\n  refreshToken: string;\n  tokenType: "Bearer";\n  /** Seconds until the access token expires. */\n  expiresIn: number;\n}`;
      case "authRegister": {
        const model = userModel(this.ir)!;
        const fields = registerFields(model).map((f) => `${doc(f.description)}  ${key(f.name)}${f === model.identifier || isRequiredOnCreate(f) ? "" : "?"}: ${this.use(wire(f, !f.notNull && f !== model.identifier))};`);
        return `/** The body of the register route: the new user's fields, with a password (8 to 256 characters) instead of its hash. */\nexport interface AuthRegisterBody {\n${[...fields, "  password: string;"].join("\n")}\n}`;
      }
      case "update":
        return `/** The body of a PATCH: any subset of the writable fields. */\nexport type ${decl.entity}Update = Partial<${this.create(decl.entity)}>;`;
      case "listQuery": {
        const name = decl.entity;
        const e = this.entity(name);
        const crud = e.crud!;
        const lines = [`  /** Page size, 1 to ${crud.pagination.maxLimit} (default ${crud.pagination.defaultLimit}). */\n  limit?: number;`];
        if (crud.pagination.type === "cursor") lines.push("  /** `pagination.nextCursor` of the previous page. */\n  cursor?: string;");
        else {
          lines.push("  offset?: number;");
          if (crud.sortable.length) lines.push(`  /** Comma-separated fields, \`-\` for descending: ${crud.sortable.slice(0, 4).join(", ")}${crud.sortable.length > 4 ? ", …" : "."} */\n  sort?: string;`);
          lines.push("  /** Adds `pagination.total`. */\n  count?: boolean;");
        }
        if (crud.search) lines.push(`  /** Matches ${crud.search.fields.join(", ")}. */\n  search?: string;`);
        lines.push(...shapeParams(e));
        for (const f of filterFields(e)) lines.push(`  ${key(f.name)}?: ${this.use(wireBase(f))};`);
        return `/** The query of list${name}: paging, sorting, search and equality filters. */\nexport interface ${name}ListQuery {\n${lines.join("\n")}\n}`;
      }
      case "getQuery":
        return `/** The query of get${decl.entity}. */\nexport interface ${decl.entity}GetQuery {\n${shapeParams(this.entity(decl.entity)).join("\n")}\n}`;
      case "offsetPage":
        return `/** A page of a list: \`pagination.total\` only with \`count: true\`. */
export interface OffsetPage<T> {
  data: T[];
  pagination: { type: "offset"; limit: number; offset: number; hasNext: boolean; hasPrev: boolean; total?: number };
}`;
      case "cursorPage":
        return `/** A page of a keyset-paginated list: pass \`nextCursor\` as \`cursor\` for the next one. */
export interface CursorPage<T> {
  data: T[];
  pagination: { type: "cursor"; limit: number; hasNext: boolean; nextCursor: string | null };
}`;
      case "schema": {
        const name = decl.name;
        const s = this.anySchema(name);
        const lines = s.fields.map((f) => {
          if (f.kind === "scalar") return `${doc(f.field.description)}  ${key(f.field.name)}${f.field.notNull || f.field.default ? "" : "?"}: ${this.use(wire(f.field, f.nullable))};`;
          const target = f.ref.kind === "entity" ? this.row(f.ref.name) : this.schema(f.ref.name);
          return `  ${key(f.name)}${f.required ? "" : "?"}: ${target}${f.ref.array ? "[]" : ""}${f.nullable ? " | null" : ""};`;
        });
        return `/** ${name}${s.source ? `, a view of ${s.source}` : ""} (${s.loc.file}:${s.loc.line}). */\nexport interface ${name} {\n${lines.join("\n")}\n}`;
      }
      case "schemaInput": {
        const { inline } = decl;
        const s = this.source(decl)[0] as SchemaIR;
        const lines = s.fields.map((f) => {
          if (f.kind === "scalar") return `${doc(f.field.description)}  ${key(f.field.name)}${f.field.default?.kind === "literal" || !f.field.notNull ? "?" : ""}: ${this.use(wire(f.field, f.nullable))};`;
          const target = f.ref.kind === "entity" ? this.create(f.ref.name) : this.namedInput(f.ref.name);
          return `  ${key(f.name)}${f.required ? "" : "?"}: ${target}${f.ref.array ? "[]" : ""};`;
        });
        const what = `/** ${inline ? `The body of ${s.name.replace(/Body$/, "")}` : `${s.name} as a request body`} (${s.loc.file}:${s.loc.line})`;
        if (lines.length === 0) return `${what}: no fields. */\nexport type ${nameOf(decl)} = Record<string, never>;`;
        return `${what}. */\nexport interface ${nameOf(decl)} {\n${lines.join("\n")}\n}`;
      }
      case "query": {
        const ep = this.endpoint(decl.endpoint);
        const lines = ep.query.map((f) => {
          const base = this.use(wireBase({ ...f, array: false }));
          // Lists (`in` filters) may be sent as an array; they travel comma-separated.
          const type = f.array ? `${base} | readonly ${base.includes("|") ? `(${base})` : base}[]` : base;
          return `${doc(f.description)}  ${key(f.name)}${f.notNull && f.default === undefined ? "" : "?"}: ${type};`;
        });
        return `/** The query of ${ep.name} (${ep.method} ${ep.path}). */\nexport interface ${decl.typeName} {\n${lines.join("\n")}\n}`;
      }
    }
  }

  /** Builds every declaration asked for (and those they ask for); the names, sorted. */
  names(): string[] {
    for (const [name, decl] of this.queued) {
      if (this.texts.has(name)) continue;
      this.texts.set(name, this.replay(this.memo(`sdk type ${name}`, [JSON.stringify(decl), ...this.source(decl)], () => this.record(() => this.build(decl)))));
    }
    return [...this.texts.keys()].sort((a, b) => compareText(a, b));
  }

  /** The declarations, sorted by name and separated by a blank line, as pieces (see fileOfParts). */
  parts(): string[] {
    const parts: string[] = [];
    pushJoined(parts, this.names().map((name) => this.texts.get(name)!), "\n\n");
    return parts;
  }
}

/** The exported name of a declaration. */
function nameOf(decl: Decl): string {
  switch (decl.kind) {
    case "json": return "JsonValue";
    case "authSession": return "AuthSession";
    case "authRegister": return "AuthRegisterBody";
    case "offsetPage": return "OffsetPage";
    case "cursorPage": return "CursorPage";
    case "row": return decl.entity;
    case "create": return `${decl.entity}Create`;
    case "update": return `${decl.entity}Update`;
    case "listQuery": return `${decl.entity}ListQuery`;
    case "getQuery": return `${decl.entity}GetQuery`;
    case "schema": return decl.name;
    case "schemaInput": return decl.inline ? decl.name : `${decl.name}Input`;
    case "query": return decl.typeName;
  }
}

function shapeParams(e: EntityIR): string[] {
  return [
    ...(e.relations.length ? [`  /** Comma-separated relations to add to each row: ${e.relations.map((r) => r.name).join(", ")}. */\n  include?: string;`] : []),
    "  /** Comma-separated fields to send (the others are left out of the answer). */\n  fields?: string;",
  ];
}

/** The user model of the auth module, when it serves its own routes. */
function userModel(ir: ProjectIR): UserModel | undefined {
  const options = ir.plugins.find((p) => p.name === AUTH_PLUGIN)?.options as AuthOptions | undefined;
  return options && authRoutes(options).length ? resolveUserModel(options, ir.entities) : undefined;
}

/** An endpoint's success answer as a TypeScript type; `void` for 204. */
function endpointResponse(ep: EndpointIR, types: WireTypes, ir: ProjectIR): string {
  const h = ep.handler;
  const status = ep.status ?? (ep.method === "POST" ? 201 : ep.method === "DELETE" ? 204 : 200);
  const shape = (s: ShapeRef) => `${s.kind === "entity" ? types.row(s.name) : types.schema(s.name)}${s.array ? "[]" : ""}`;
  const item = (s: ShapeRef | undefined, entity: string) => (s ? (s.kind === "entity" ? types.row(s.name) : types.schema(s.name)) : types.row(entity));
  switch (h.kind) {
    case "query":
      if (h.pagination) return `${types.offsetPage()}<${item(ep.response, h.entity)}>`;
      return h.single ? item(ep.response, h.entity) : `${item(ep.response, h.entity)}[]`;
    case "relation":
    {
      const rel = entityMap(ir).get(h.entity)?.relations.find((r) => r.name === h.relation);
      const target = rel?.target ?? h.entity;
      if (h.pagination) return `${types.offsetPage()}<${item(ep.response, target)}>`;
      if (ep.response) return shape(ep.response);
      return rel?.kind === "hasMany" || rel?.kind === "manyToMany" ? `${types.row(target)}[]` : types.row(target);
    }
    case "write":
      return ep.response ? shape(ep.response) : types.row(h.entity);
    case "operation":
      if (h.action === "delete") return "void";
      if (h.action === "list" || h.action === "search") return `${item(ep.response, h.entity)}[]`;
      return item(ep.response, h.entity);
    case "default":
      if (h.operation === "delete") return "void";
      return h.operation === "list" ? `${item(ep.response, h.entity)}[]` : item(ep.response, h.entity);
    case "aggregate":
      return ep.response ? shape(ep.response) : h.groupBy.length ? "Record<string, unknown>[]" : "Record<string, unknown>";
    case "sql":
      return ep.response ? shape(ep.response) : h.single ? "Record<string, unknown>" : "Record<string, unknown>[]";
    default:
      // file and expression handlers: what they return, as declared.
      if (status === 204) return "void";
      return ep.response ? shape(ep.response) : "unknown";
  }
}

/** An endpoint's request body type, or undefined when it takes none. `optional`: it may be left out. */
function endpointBody(ep: EndpointIR, types: WireTypes): { type: string; optional: boolean } | undefined {
  const h = ep.handler;
  if (h.kind === "write") return { type: h.operation === "update" ? `Partial<${types.create(h.entity)}>` : types.create(h.entity), optional: false };
  const optional = ep.bodyOptional === true;
  if (ep.body && "inline" in ep.body) return { type: types.schemaInput(ep.body.inline, true), optional };
  if (ep.body) {
    const ref = ep.body.ref;
    if (ref.kind === "schema") return { type: `${types.namedInput(ref.name)}${ref.array ? "[]" : ""}`, optional };
    let type = types.create(ref.name);
    if (h.kind === "operation" && h.parent) type = `Omit<${type}, ${ts(h.parent.foreignKey)}>`;
    if (ep.bodyPartial) type = `Partial<${type}>`;
    return { type: ref.array ? `${type}[]` : type, optional };
  }
  if (h.kind === "default" && (h.operation === "create" || h.operation === "update")) {
    const type = types.create(h.entity);
    return { type: h.operation === "update" ? `Partial<${type}>` : type, optional: false };
  }
  if ((h.kind === "file" || h.kind === "expression") && ["POST", "PUT", "PATCH"].includes(ep.method)) return { type: "unknown", optional: true };
  return undefined;
}

/** Identifiers the generated methods use themselves; path parameters with these names are renamed. */
const TAKEN = new Set(["body", "query", "options", "send", "segment", "default", "delete", "new", "class", "function", "var", "in", "for", "if", "return", "this", "void", "typeof"]);
const paramName = (name: string) => (TAKEN.has(name) ? `${name}Param` : name);

interface Method {
  name: string;
  doc: string;
  params: string[];
  result: string;
  method: string;
  /** The path as a TypeScript expression (a template literal with path parameters). */
  path: string;
  call: string[];
}

/** `/posts/:id/comments` with its parameters: a template literal that encodes each one. */
function pathExpression(path: string): { expr: string; names: string[] } {
  const names: string[] = [];
  const template = path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (_, name: string) => {
    names.push(name);
    return `\${segment(${paramName(name)})}`;
  });
  return { expr: names.length ? `\`${template.replace(/`/g, "\\`")}\`` : ts(path), names };
}

function crudMethods(entity: EntityIR, plan: CrudRoutePlan, types: WireTypes, access: (method: string, path: string) => string): Method[] {
  const pk = entity.fields.find((f) => f.name === entity.primaryKey)!;
  const id = `id: ${wireBase(pk)}`;
  const E = entity.name;
  const { expr } = pathExpression(plan.path);
  const base = (name: string, what: string, params: string[], result: string, call: string[], path = expr, method = plan.method, accessPath = plan.path): Method => ({
    name, doc: `${method} ${accessPath}: ${what}${access(method, accessPath)}`, params: [...params, "options?: RequestOptions"], result, method, path, call: [...call, "options"],
  });
  switch (plan.operation) {
    case "list": {
      const page = entity.crud!.pagination.type === "cursor" ? types.cursorPage() : types.offsetPage();
      return [base(`list${E}`, `a page of ${E} rows.`, [`query: ${types.listQuery(E)} = {}`], `${page}<${types.row(E)}>`, ["query"])];
    }
    case "get":
      return [base(`get${E}`, `one ${E}; ApiError NOT_FOUND when there is none.`, [id, `query?: ${types.getQuery(E)}`], types.row(E), ["query"])];
    case "create": {
      const out = [base(`create${E}`, `creates a ${E} and answers it.`, [`body: ${types.create(E)}`], types.row(E), ["body"])];
      if (entity.crud!.bulk) {
        out.push(base(`bulkCreate${E}`, `creates up to 1,000 ${E} rows, all or none.`, [`body: ${types.create(E)}[]`], `{ data: ${types.row(E)}[] }`, ["body"], ts(bulkPath(plan.path)), "POST", bulkPath(plan.path)));
      }
      return out;
    }
    case "replace":
      return [base(`replace${E}`, `replaces a ${E}; omitted fields return to their defaults.`, [id, `body: ${types.create(E)}`], types.row(E), ["body"])];
    case "update":
      return [base(`update${E}`, `changes the given fields of a ${E}.`, [id, `body: ${types.update(E)}`], types.row(E), ["body"])];
    case "delete":
      return [base(`delete${E}`, `deletes a ${E}.`, [id], "void", [])];
  }
}

/** The routes the auth module serves (auth.endpoints): register, login, refresh, me, logout, change-password. */
function authMethods(ir: ProjectIR, types: WireTypes): Method[] {
  const options = ir.plugins.find((p) => p.name === AUTH_PLUGIN)?.options as AuthOptions | undefined;
  const routes = options ? authRoutes(options) : [];
  const model = routes.length ? resolveUserModel(options!, ir.entities) : undefined;
  if (!model) return [];
  const user = types.row(model.entity.name);
  const session = `${types.authSession()}<${user}>`;
  const signatures: Record<AuthRoute, { doc: string; params: string[]; result: string; call: string[] }> = {
    register: { doc: "creates a user and signs them in; ApiError CONFLICT when the login is taken.", params: [`body: ${types.authRegister()}`], result: session, call: ["body"] },
    login: { doc: "signs in; ApiError AUTH_INVALID_CREDENTIALS on a wrong login or password.", params: [`body: { ${key(model.identifier.name)}: string; password: string }`], result: session, call: ["body"] },
    refresh: { doc: "exchanges a refresh token for a new pair (the old one is used up).", params: ["body: { refreshToken: string }"], result: session, call: ["body"] },
    me: { doc: "the signed-in user.", params: [], result: user, call: [] },
    logout: { doc: "revokes the given refresh token, or without one every refresh token of the caller.", params: ["body: { refreshToken?: string } = {}"], result: "void", call: ["body"] },
    changePassword: { doc: "changes the caller's password and revokes their refresh tokens.", params: ["body: { currentPassword: string; newPassword: string }"], result: "void", call: ["body"] },
  };
  return routes.map(({ route, path }) => {
    const s = signatures[route];
    const method = authMethod(route);
    return { name: authOperationId(route), doc: `${method} ${path}: ${s.doc}`, params: [...s.params, "options?: RequestOptions"], result: s.result, method, path: ts(path), call: [...s.call, "options"] };
  });
}

function endpointMethod(ep: EndpointIR, types: WireTypes, ir: ProjectIR, access: (method: string, path: string) => string): Method {
  const { expr, names } = pathExpression(ep.path);
  const params = names.map((n) => {
    const f = ep.params.find((p) => p.name === n);
    return `${paramName(n)}: ${f ? wireBase(f) : "string"}`;
  });
  const call: string[] = [];
  const body = endpointBody(ep, types);
  if (body) {
    params.push(`body${body.optional ? "?" : ""}: ${body.type}`);
    call.push("body");
  }
  if (ep.query.length) {
    const type = types.query(`${ep.name[0]!.toUpperCase()}${ep.name.slice(1)}Query`, ep);
    const required = ep.query.some((f) => f.notNull && f.default === undefined);
    params.push(required ? `query: ${type}` : `query: ${type} = {}`);
    call.push("query");
  }
  // A required parameter cannot follow an optional one: an optional body then takes `undefined` explicitly.
  if (body?.optional && ep.query.some((f) => f.notNull && f.default === undefined)) params[params.findIndex((p) => p.startsWith("body?"))] = `body: ${body.type}`;
  params.push("options?: RequestOptions");
  call.push("options");
  const summary = ep.description ? `${ep.description.replace(/\.$/, "")}.` : "";
  const rule = access(ep.method, ep.path);
  return { name: ep.name, doc: `${ep.method} ${ep.path}${summary ? `: ${summary}` : rule ? "." : ""}${rule}`, params, result: endpointResponse(ep, types, ir), method: ep.method, path: expr, call };
}

/** Each method's text and the identifiers its signature mentions, once per method object (reused methods are shared between compiles). */
const printedMethods = new WeakMap<Method, { text: string; mentions: string[] }>();

function printMethod(m: Method): { text: string; mentions: string[] } {
  let printed = printedMethods.get(m);
  if (printed === undefined) {
    const text = `${doc(m.doc, "    ")}    ${m.name}: (${m.params.join(", ")}) => send<${m.result}>(${ts(m.method)}, ${m.path}, { ${m.call.join(", ")} }),`;
    printed = { text, mentions: `${m.params.join(" ")} ${m.result}`.match(/[A-Za-z_$][\w$]*/g) ?? [] };
    printedMethods.set(m, printed);
  }
  return printed;
}

/**
 * src/sdk/. With `memo` (`yamac dev`, see cache.ts), each route's methods and each declaration of
 * types.ts are reused while the part of the IR they are built from is unchanged: a route's plan,
 * its entity or endpoint and its access rule; a declaration's entity, schema or endpoint.
 */
export function emitSdk(ir: ProjectIR, memo: PartMemo = noMemo): OutputFile[] {
  if (ir.routes.length === 0) return [];
  const types = new WireTypes(ir, memo);
  const rules = new Map(routeAccess(ir).map((r) => [`${r.method} ${r.path}`, r.rule]));
  const auth = ir.plugins.some((p) => p.name === AUTH_PLUGIN);
  const access = (method: string, path: string) => (auth ? ` Access: ${describeRule(rules.get(`${method} ${path}`))}.` : "");
  const methods: Method[] = [];
  for (const route of ir.routes) {
    if (route.kind === "endpoint") {
      const ep = route.endpoint;
      // endpointResponse reads the relation a relation handler follows from its entity.
      const related = ep.handler.kind === "relation" ? [entityMap(ir).get(ep.handler.entity) ?? "none"] : [];
      methods.push(...types.replay(memo(`sdk endpoint ${ep.name}`, [ep, access(ep.method, ep.path), types.schemaNames, ...related], () => types.record(() => [endpointMethod(ep, types, ir, access)]))));
    } else {
      const entity = entityNamed(ir, route.entity);
      const rules = [access(route.method, route.path), access("POST", bulkPath(route.path))];
      methods.push(...types.replay(memo(`sdk route ${route.method} ${route.path}`, [route, entity, ...rules], () => types.record(() => crudMethods(entity, route, types, access)))));
    }
  }
  methods.push(...authMethods(ir, types));
  // Names are operationIds, unique per app; a clash (an endpoint named like a CRUD method) keeps the first.
  // (Renamed copies: reused methods are shared with the next compile.)
  const seen = new Map<string, number>();
  for (let i = 0; i < methods.length; i++) {
    const m = methods[i]!;
    const n = seen.get(m.name) ?? 0;
    seen.set(m.name, n + 1);
    if (n > 0) methods[i] = { ...m, name: `${m.name}${n + 1}` };
  }
  const apiKey = (ir.plugins.find((p) => p.name === AUTH_PLUGIN)?.options as AuthOptions | undefined)?.auth.providers.find((p) => p.type === "api-key");
  const typeNames = types.names();
  const typeParts = types.parts();
  const printed = methods.map(printMethod);
  // Identifiers the method signatures mention (one scan; testing each type name against each method is quadratic).
  const mentioned = new Set(printed.flatMap((m) => m.mentions));
  const used = typeNames.filter((n) => mentioned.has(n));
  const imports = new Imports().add("./http.js", "createTransport", ...(methods.some((m) => m.path.includes("segment(")) ? ["segment"] : [])).type("./http.js", "ClientOptions", "RequestOptions");
  if (used.length) imports.type("./types.js", ...used);
  const head = `export { ApiError, isApiError } from "./http.js";
export type { ClientOptions, Credential, ErrorCode, ErrorDetail, ErrorEnvelope, RequestOptions } from "./http.js";
export type * from "./types.js";

/**
 * A typed client of the ${ir.name} API: one method per route, named by its operationId in
 * src/openapi.json. Errors are thrown as ApiError (status, code, details, requestId).
 *
 *   const api = createClient({ baseUrl: "http://localhost:3000", token: () => session.token });
 */
export function createClient(options: ClientOptions = {}) {
  const send = createTransport(options${apiKey?.type === "api-key" ? `, ${ts(apiKey.header)}` : ""});
  return {
`;
  const tail = `
  };
}

export type Client = ReturnType<typeof createClient>;
`;
  const what = (w: string) => header(w, ir.configFile);
  // As pieces (fileOfParts): `file(...blocks)` of the declarations and of the imports and methods.
  const indexParts = [`${what("typed client")}${imports.toString().trimEnd()}\n\n${head}`];
  pushJoined(indexParts, printed.map((m) => m.text), "\n");
  indexParts.push(tail);
  const last = typeParts.length - 1;
  if (last >= 0) typeParts[last] = typeParts[last]!.trimEnd();
  return [
    { path: "src/sdk/http.ts", content: header("typed client: transport", "runtime-lib/client-http.ts") + TRANSPORT },
    // Routes that declare no JSON shapes leave no types: the file is still a module for index.ts's `export type *`.
    fileOfParts("src/sdk/types.ts", [what("typed client: the JSON of each route"), ...(typeParts.length ? typeParts : ["export {};"]), "\n"]),
    fileOfParts("src/sdk/index.ts", indexParts),
  ];
}
