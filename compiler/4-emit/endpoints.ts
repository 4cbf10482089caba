/**
 * Emits one module per endpoint (src/endpoints/<name>.ts): its parameter, query and body
 * schemas, the typed `ctx` its handler receives (`<Name>Context`), and the Hono route that
 * validates the request, calls the handler and sends the result. Also src/context.ts.
 */
import type { DefaultHandlerIR, EndpointIR, EntityIR, FieldIR, ProjectIR, ShapeRef } from "../ir.js";
import { validationHelpers, zodForParam } from "./column-types.js";
import { expressionHandler } from "./handlers/expression.js";
import { emitDeclarativeEndpoint, isDeclarative } from "./handlers/index.js";
import type { OutputFile } from "./index.js";
import { checkedByPathParam, pathParam } from "./path-params.js";
import { hookRequestArg, repositoryName } from "./repositories.js";
import { schemaConst } from "./schemas.js";
import { schemaNames } from "./validation.js";
import { endpointMiddleware } from "./route-middleware.js";
import { file, header, Imports, key, moduleSpecifier, ts } from "./writer.js";
import { kebabCase, pascalCase } from "../2-analyze/types.js";
import { usesPino } from "../plugins/logging.js";
import type { ContextMember } from "../plugins/types.js";
import { entityNamed } from "../ir-lookup.js";

export const endpointFile = (e: EndpointIR) => `src/endpoints/${kebabCase(e.name)}.ts`;
export const endpointRouter = (e: EndpointIR) => `${e.name}Route`;

const DEFAULT_STATUS: Readonly<Record<string, number>> = { POST: 201, DELETE: 204 };

function objectSchema(fields: readonly FieldIR[], imports: Imports): string {
  if (fields.length === 0) return "z.strictObject({})";
  const lines = fields.map((f) => {
    const expr = zodForParam(f);
    const helpers = validationHelpers(expr);
    if (helpers.length) imports.add("../lib/validation.js", ...helpers);
    return `  ${key(f.name)}: ${expr},`;
  });
  return `z.strictObject({\n${lines.join("\n")}\n})`;
}

function responseType(ref: ShapeRef | undefined, ir: ProjectIR, imports: Imports): string {
  if (!ref) return "unknown";
  if (ref.kind === "entity") {
    const entity = entityNamed(ir, ref.name);
    imports.type(`../repositories/${entity.fileName}.js`, entity.name);
  } else imports.type("../schemas.js", ref.name);
  return ref.array ? `${ref.name}[]` : ref.name;
}

/** Names the route handler declares itself (and words that cannot name a variable): parameters with them get another local name. */
const TAKEN = new Set(["c", "z", "query", "params", "body", "row", "rows", "found", "validate", "readJson", "NotFoundError", "uuidParam", "intParam", "bigintParam", "stringParam", "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do", "else", "enum", "export", "extends", "false", "finally", "for", "function", "if", "import", "in", "instanceof", "let", "new", "null", "return", "static", "super", "switch", "this", "throw", "true", "try", "typeof", "var", "void", "while", "with", "yield", "await"]);

/** Whether a path parameter is fully checked by a runtime-lib/params.ts function (else the route validates with zod). */
function plainPathParam(f: FieldIR): boolean {
  if (checkedByPathParam(f)) return true;
  if (f.array || !f.notNull || f.min !== undefined || f.max !== undefined) return false;
  return f.type === "bigint" || ((f.type === "string" || f.type === "text") && f.pattern === undefined && f.minLength === undefined);
}

/**
 * Reads a smart default's path parameters: one precompiled check each when that covers what they
 * declare, else a zod schema. Returns the expression of each parameter's value.
 */
function readPathParams(ep: EndpointIR, imports: Imports, blocks: string[], lines: string[]): Map<string, string> {
  const values = new Map<string, string>();
  if (ep.params.every(plainPathParam)) {
    for (const p of ep.params) {
      const local = TAKEN.has(p.name) ? `${p.name}Param` : p.name;
      lines.push(`  const ${local} = ${pathParam(p, p.name, imports)};`);
      values.set(p.name, local);
    }
  } else {
    imports.add("zod", "z").add("../lib/http.js", "validate");
    blocks.push(`const paramsSchema = ${objectSchema(ep.params, imports)};`);
    lines.push(`  const params = validate(paramsSchema, c.req.param(), "VALIDATION_PARAMS", "Invalid path parameters");`);
    for (const p of ep.params) values.set(p.name, /^[A-Za-z_$][\w$]*$/.test(p.name) ? `params.${p.name}` : `params[${ts(p.name)}]`);
  }
  return values;
}

/** `{ folder, limit: 1 }`: an object literal, with shorthand properties where the names agree. */
const objectLiteral = (entries: readonly (readonly [string, string])[]): string =>
  entries.length ? `{ ${entries.map(([k, v]) => (k === v ? k : `${key(k)}: ${v}`)).join(", ")} }` : "{}";

/** A handler-less endpoint: the repository call its method, response and path parameters imply. */
function defaultHandler(ep: EndpointIR, h: DefaultHandlerIR, entity: EntityIR, imports: Imports, blocks: string[]): string {
  const repo = repositoryName(entity);
  imports.add(`../repositories/${entity.fileName}.js`, repo);
  const names = schemaNames(entity);
  const status = ep.status ?? DEFAULT_STATUS[ep.method] ?? 200;
  const lines: string[] = [];
  const values = readPathParams(ep, imports, blocks, lines);
  if (ep.query.length) {
    imports.add("zod", "z").add("../lib/http.js", "validateQuery");
    blocks.push(`const querySchema = ${objectSchema(ep.query, imports)};`);
    lines.push(`  const query = validateQuery(querySchema, c);`);
  }
  // Path parameters that filter: `/folders/:folder/notes` compares Note.folder.
  const pathFilters = h.pathFilters.map((f) => [f.field, values.get(f.param)!] as const);
  const id = h.idParam === undefined ? undefined : values.get(h.idParam)!;
  const keyed: (readonly [string, string])[] = id === undefined ? pathFilters : [[entity.primaryKey, id], ...pathFilters];
  const notFound = () => {
    imports.add("../lib/errors.js", "NotFoundError");
    const which = id !== undefined ? ` \${${id}}` : ` with ${pathFilters.map(([field, v]) => `${field} \${${v}}`).join(" and ")}`;
    return `throw new NotFoundError(\`${entity.name}${which} not found\`);`;
  };
  /** For update and delete scoped by more than the key: the row must match the path first. */
  const scopeCheck = () => {
    if (!pathFilters.length) return;
    lines.push(`  const [found] = await ${repo}.findAll(${objectLiteral([...keyed, ["limit", "1"]])});`, `  if (!found) ${notFound()}`);
  };
  switch (h.operation) {
    case "list": {
      const fields = new Set(entity.fields.map((f) => f.name));
      const filters: (readonly [string, string])[] = [...pathFilters, ...ep.query.filter((q) => fields.has(q.name)).map((q) => [q.name, `query.${q.name}`] as const)];
      for (const paging of ["limit", "offset"]) if (ep.query.some((q) => q.name === paging && !fields.has(paging))) filters.push([paging, `query.${paging}`]);
      if (ep.query.some((q) => q.name === "orderBy" || q.name === "sort")) filters.push(["orderBy", `query.${ep.query.some((q) => q.name === "sort") ? "sort" : "orderBy"}`]);
      lines.push(`  const rows = await ${repo}.findAll(${filters.length ? objectLiteral(filters) : ""});`, `  return c.json(rows, ${status});`);
      break;
    }
    case "get":
      if (id !== undefined && !pathFilters.length) lines.push(`  const row = await ${repo}.findById(${id});`);
      else lines.push(`  const [row] = await ${repo}.findAll(${objectLiteral([...keyed, ["limit", "1"]])});`);
      lines.push(`  if (!row) ${notFound()}`, `  return c.json(row, ${status});`);
      break;
    case "create":
      imports.add(`../validation/${entity.fileName}.js`, names.create).add("../lib/http.js", "readJson", "validate");
      lines.push(`  const body = validate(${names.create}, await readJson(c), "VALIDATION_BODY", "Invalid request body");`, `  const row = await ${repo}.create(body${hookRequestArg(entity, "create")});`, `  return c.json(row, ${status});`);
      break;
    case "update":
      imports.add(`../validation/${entity.fileName}.js`, `${names.create}`).add("../lib/http.js", "readJson", "validate");
      lines.push(`  const body = validate(${names.create}.partial(), await readJson(c), "VALIDATION_BODY", "Invalid request body");`);
      scopeCheck();
      lines.push(`  const row = await ${repo}.update(${id}, body${hookRequestArg(entity, "update")});`, `  if (!row) ${notFound()}`, `  return c.json(row, ${status});`);
      break;
    default:
      scopeCheck();
      lines.push(`  if (!(await ${repo}.delete(${id}${hookRequestArg(entity, "delete")}))) ${notFound()}`, `  return c.body(null, ${status === 200 ? 204 : status});`);
  }
  return lines.join("\n");
}

export function emitEndpoint(ep: EndpointIR, ir: ProjectIR): OutputFile {
  const imports = new Imports().add("hono", "Hono").type("../lib/http.js", "AppEnv");
  const Name = pascalCase(ep.name);
  const route = endpointRouter(ep);
  const method = ep.method.toLowerCase();
  const blocks: string[] = [];
  const doc = `/** ${ep.method} ${ep.path}${ep.description ? `: ${ep.description}` : ""} (${ir.configFile}:${ep.loc.line}). */`;
  let handlerBody: string;
  const h = ep.handler;
  if (isDeclarative(h)) return emitDeclarativeEndpoint(ep, h, ir, endpointFile(ep), route);

  if (h.kind === "default") handlerBody = defaultHandler(ep, h, entityNamed(ir, h.entity), imports, blocks);
  else if (h.kind === "file" || h.kind === "expression") {
    imports.add("zod", "z").add("../lib/http.js", "validate", "validateQuery").add("../context.js", "createContext").type("../context.js", "HandlerContext").add("../lib/context.js", "invoke", "respond").type("../lib/context.js", "HandlerResult");
    if (h.kind === "expression") blocks.push(expressionHandler(ep, h, ir, imports));
    else {
      const specifier = moduleSpecifier("src/endpoints", h.file);
      if (h.exportName === "default") imports.default(specifier, "handler");
      else imports.add(specifier, `${h.exportName} as handler`);
    }
    blocks.push(`const paramsSchema = ${objectSchema(ep.params, imports)};\nconst querySchema = ${objectSchema(ep.query, imports)};`);
    const lines = [
      `  const params = validate(paramsSchema, c.req.param(), "VALIDATION_PARAMS", "Invalid path parameters");`,
      `  const query = validateQuery(querySchema, c);`,
    ];
    let bodyType = "undefined";
    if (ep.body) {
      const name = "ref" in ep.body ? ep.body.ref : { kind: "schema" as const, name: ep.body.inline.name, array: false };
      let schema: string;
      if (name.kind === "entity") {
        const entity = entityNamed(ir, name.name);
        schema = schemaNames(entity).create;
        imports.add(`../validation/${entity.fileName}.js`, schema);
        if (ep.bodyPartial) {
          blocks.push(`/** Body: any subset of ${entity.name}'s writable fields. */\nconst bodySchema = ${schema}.partial();`);
          schema = "bodySchema";
        }
      } else {
        schema = schemaConst(name.name);
        imports.add("../schemas.js", schema);
      }
      if (name.array) {
        blocks.push(`const bodySchema = z.array(${schema});`);
        schema = "bodySchema";
      }
      bodyType = `z.output<typeof ${schema}>`;
      if (ep.bodyOptional) {
        // Every body input is optional: no body at all is the same as `{}`.
        imports.add("../lib/http.js", "readOptionalJson");
        lines.push(`  const body = validate(${schema}, (await readOptionalJson(c)) ?? {}, "VALIDATION_BODY", "Invalid request body");`);
      } else {
        imports.add("../lib/http.js", "readJson");
        lines.push(`  const body = validate(${schema}, await readJson(c), "VALIDATION_BODY", "Invalid request body");`);
      }
    } else if (["POST", "PUT", "PATCH"].includes(ep.method)) {
      imports.add("../lib/http.js", "readOptionalJson");
      bodyType = "unknown";
      lines.push(`  const body = await readOptionalJson(c);`);
    } else lines.push(`  const body = undefined;`);
    const response = responseType(ep.response, ir, imports);
    blocks.push(`export type ${Name}Params = z.output<typeof paramsSchema>;
export type ${Name}Query = z.output<typeof querySchema>;
export type ${Name}Body = ${bodyType};
export type ${Name}Response = ${response};
/** The \`ctx\` a handler of ${ep.method} ${ep.path} receives. */
export type ${Name}Context = HandlerContext<${Name}Params, ${Name}Query, ${Name}Body>;

/** The user's handler, checked against this endpoint's context and response types. */
const run: (ctx: ${Name}Context) => HandlerResult<${Name}Response> | Promise<HandlerResult<${Name}Response>> = handler;`);
    lines.push(`  const ctx = createContext(c, params, query, body);`);
    lines.push(`  const result = await invoke(run, ctx);`);
    lines.push(`  return respond(c, ctx.statusCode, result, ${ep.status ?? DEFAULT_STATUS[ep.method] ?? 200});`);
    handlerBody = lines.join("\n");
  } else {
    throw new Error(`no emitter for ${(h as { kind: string }).kind} handlers`);
  }
  blocks.push(`${doc}\nexport const ${route} = new Hono<AppEnv>();\n\n${route}.${method}(${ts(ep.path)}, ${endpointMiddleware(ir, ep, imports)}async (c) => {\n${handlerBody}\n});`);
  return { path: endpointFile(ep), content: header(`endpoint ${ep.method} ${ep.path}`, ep.loc) + file(imports.toString(), ...blocks) };
}

export function emitContext(ir: ProjectIR, members: readonly ContextMember[] = []): OutputFile {
  const imports = new Imports()
    .type("hono", "Context")
    .add("./db/client.js", "db")
    .add("./entities.js", "entities")
    .type("./entities.js", "Entities")
    .add("./lib/context.js", "requestContext")
    .type("./lib/context.js", "RequestContext")
    .type("./lib/http.js", "AppEnv");
  if (usesPino(ir)) imports.add("./plugins/logging.js", "handlerLogger");
  else imports.add("./lib/logger.js", "createLogger");
  for (const m of members) {
    for (const [from, names] of Object.entries(m.imports)) imports.add(from, ...names);
    for (const [from, names] of Object.entries(m.typeImports ?? {})) imports.type(from, ...names);
  }
  const extra = members.map((m) => `  /** ${m.doc} */\n  ${m.name}: ${m.type};\n`).join("");
  const values = ["entities", "db", ...members.map((m) => (m.value === m.name ? m.name : `${m.name}: ${m.value}`))].join(", ");
  const what = ["the request", "`entities` (typed repositories)", "`db` (Drizzle)", ...members.map((m) => `\`${m.name}\``)];
  const body = `/** What every custom handler receives: ${what.slice(0, -1).join(", ")} and ${what.at(-1)}. */
export type HandlerContext<TParams = Record<string, string>, TQuery = Record<string, unknown>, TBody = unknown> = RequestContext<TParams, TQuery, TBody> & {
  entities: Entities;
  db: typeof db;
${extra}};

const logger = ${usesPino(ir) ? "handlerLogger({})" : `createLogger({ app: ${ts(ir.name)} })`};

export function createContext<TParams, TQuery, TBody>(c: Context<AppEnv>, params: TParams, query: TQuery, body: TBody): HandlerContext<TParams, TQuery, TBody> {
  return Object.assign(requestContext(c, logger, params, query, body), { ${values} });
}`;
  return { path: "src/context.ts", content: header("handler context", ir.configFile) + file(imports.toString(), body) };
}
