/**
 * Emits the module of an endpoint that exposes a dialect-B operation without a handler file
 * (OperationHandlerIR): one Hono route whose query is written out in Drizzle. Lists and
 * searches page with `limit`/`offset`; nested operations check their parent (404) and filter
 * or set its foreign key; DTO outputs are read through src/projections/<dto>.ts.
 */
import type { EndpointIR, EntityIR, FieldIR, OperationHandlerIR, ProjectIR } from "../ir.js";
import { validationHelpers, zodForParam } from "./column-types.js";
import { endpointFile, endpointRouter } from "./endpoints.js";
import type { OutputFile } from "./index.js";
import { pathParam } from "./path-params.js";
import { projectionFunctions, projectionModule } from "./projections.js";
import { schemaConst } from "./schemas.js";
import { hiddenFields, schemaNames, writableFields } from "./validation.js";
import { callerSetup, callerSetupOnce, fieldRoleRules, rowsText, scopeConditions, scopeValues } from "./policies.js";
import { endpointMiddleware } from "./route-middleware.js";
import { file, header, Imports, key, literal, ts } from "./writer.js";
import { entityMap } from "../ir-lookup.js";
import { referenceChecks } from "./references.js";
import { hookLines } from "./hooks.js";
import { readScope } from "./includes.js";

const ACTION_TEXT: Readonly<Record<OperationHandlerIR["action"], string>> = {
  list: "a page of", search: "a page of matching", get: "one", create: "creates a", update: "changes the given fields of a", delete: "deletes a",
};

/** Reads a path parameter, checked by its type (a malformed id is a 400 before any query). */
function policyText(ep: EndpointIR): string {
  if (!ep.auth) return "";
  const a = ep.auth;
  const who = !a.required ? "no sign-in needed" : [a.roles.length ? `roles ${a.roles.join(", ")}` : "", a.permissions.length ? `permissions ${a.permissions.join(", ")}` : ""].filter(Boolean).join("; ") || "signed-in callers";
  return `\n * Policy ${a.policy} (${who}${a.where?.length ? `; ${rowsText(a.where)}` : ""}).`;
}

/**
 * The entity fields a create or update operation's body may carry: the entity's writable fields
 * when the body is the entity's own schema, else those its input declares (never the parent's key,
 * which comes from the path).
 */
export function operationBodyFields(ep: EndpointIR, h: OperationHandlerIR, entity: EntityIR, ir: ProjectIR): string[] {
  const body = ep.body;
  const writable = writableFields(entity).map((f) => f.name).filter((f) => f !== h.parent?.foreignKey);
  if (!body || ("ref" in body && body.ref.kind === "entity")) return writable;
  const shape = "inline" in body ? body.inline : ir.schemas.find((x) => x.name === body.ref.name);
  const own = new Set(writable);
  return (shape?.fields ?? []).flatMap((f) => (f.kind === "scalar" && own.has(f.field.name) ? [f.field.name] : []));
}

export function emitOperationEndpoint(ep: EndpointIR, h: OperationHandlerIR, ir: ProjectIR): OutputFile {
  const entities = entityMap(ir);
  const entity = entities.get(h.entity)!;
  const t = entity.varName;
  const pk = entity.fields.find((f) => f.name === entity.primaryKey)!;
  const imports = new Imports().add("hono", "Hono").type("../lib/http.js", "AppEnv").add("../db/client.js", "db").add(`../db/tables/${entity.fileName}.js`, t);
  const blocks: string[] = [];
  const lines: string[] = [];
  const response = ep.response;
  const dto = response?.kind === "schema" ? response.name : undefined;
  if (response) imports.type(response.kind === "schema" ? "../schemas.js" : `../repositories/${entity.fileName}.js`, response.name);
  const hidden = hiddenFields(entity);
  const sel = hidden.length ? `{\n${entity.fields.filter((f) => !hidden.includes(f)).map((f) => `  ${key(f.name)}: ${t}.${f.name},`).join("\n")}\n}` : "";
  if (sel) blocks.push(`/** Columns sent to clients: all but ${hidden.map((f) => f.name).join(", ")}. */\nconst columns = ${sel};`);
  const columns = sel ? "columns" : "";
  const notFound = (what: EntityIR, idExpr: string) => {
    imports.add("../lib/errors.js", "NotFoundError");
    return `throw new NotFoundError(\`${what.name} \${${idExpr}} not found\`);`;
  };
  /** `, 201` after the JSON of a create; nothing for 200. */
  const status = (code: 200 | 201) => (code === 200 ? "" : `, ${code}`);

  // Path parameters and query.
  const idParam = ep.params.find((p) => p.name !== h.parent?.param);
  for (const p of ep.params) lines.push(`  const ${p.name} = ${pathParam(p, p.name, imports)};`);
  // The policy's row conditions (`where:`): caller values first, checked before any query.
  const scope = ep.auth?.where ?? [];
  const setup = callerSetup(entity, scope, imports);
  if (setup) lines.push(setup.replace(/\n$/, ""));
  if (ep.query.length) {
    imports.add("zod", "z").add("../lib/http.js", "validateQuery");
    const fields = ep.query.map((f) => {
      const expr = zodForParam(f);
      const helpers = validationHelpers(expr);
      if (helpers.length) imports.add("../lib/validation.js", ...helpers);
      return `  ${key(f.name)}: ${expr},`;
    });
    blocks.push(`/** Query parameters; unknown ones are rejected. */\nconst querySchema = z.strictObject({\n${fields.join("\n")}\n});`);
    lines.push(`  const query = validateQuery(querySchema, c);`);
  }

  // Body (create, update).
  /** The entity fields the body may carry, when it is the entity's own schema. */
  let entityBodyFields: string[] = [];
  if (h.action === "create" || h.action === "update") {
    imports.add("../lib/http.js", "readJson", "validate");
    let schema: string;
    const body = ep.body;
    if (!body || ("ref" in body && body.ref.kind === "entity")) {
      schema = schemaNames(entity).create;
      imports.add(`../validation/${entity.fileName}.js`, schema);
      entityBodyFields = operationBodyFields(ep, h, entity, ir);
      const derived = `${schema}${h.parent ? `.omit({ ${key(h.parent.foreignKey)}: true })` : ""}${h.action === "update" ? ".partial()" : ""}`;
      if (derived !== schema) {
        blocks.push(`/** Body: ${entity.name}'s writable fields${h.parent ? ` but ${h.parent.foreignKey} (from the path)` : ""}${h.action === "update" ? ", any subset" : ""}. */\nconst bodySchema = ${derived};`);
        schema = "bodySchema";
      }
    } else {
      schema = schemaConst("ref" in body ? body.ref.name : body.inline.name);
      imports.add("../schemas.js", schema);
      entityBodyFields = operationBodyFields(ep, h, entity, ir);
    }
    lines.push(`  const body = validate(${schema}, await readJson(c), "VALIDATION_BODY", "Invalid request body");`);
    const rules = fieldRoleRules(writableFields(entity));
    if (rules) {
      imports.add("../lib/policy.js", "checkFieldRoles");
      lines.push(`  checkFieldRoles(c, ${ts(entity.name)}, [body], ${rules});`);
    }
  }

  // The parent must exist before its children are listed or one is created.
  const parent = h.parent ? entities.get(h.parent.entity)! : undefined;
  if (parent && h.parent && (h.action === "list" || h.action === "search" || h.action === "create")) {
    const ppk = parent.fields.find((f) => f.name === parent.primaryKey)!;
    imports.add(`../db/tables/${parent.fileName}.js`, parent.varName).add("drizzle-orm", "eq");
    // The parent as the caller may see it: not soft-deleted, and within its own list's row policy.
    const extra: string[] = [];
    if (parent.softDelete) {
      imports.add("drizzle-orm", "isNull");
      extra.push(`isNull(${parent.varName}.${parent.softDelete.field})`);
    }
    const parentScope = readScope(parent);
    lines.push(...callerSetupOnce(parent, parentScope, imports, lines));
    extra.push(...scopeConditions(parent, parentScope, "value", imports));
    if (extra.length) imports.add("drizzle-orm", "and");
    const cond = extra.length ? `and(${[`eq(${parent.varName}.${ppk.name}, ${h.parent.param})`, ...extra].join(", ")})` : `eq(${parent.varName}.${ppk.name}, ${h.parent.param})`;
    lines.push(`  const [parent] = await db.select({ ${key(ppk.name)}: ${parent.varName}.${ppk.name} }).from(${parent.varName}).where(${cond}).limit(1);`);
    lines.push(`  if (!parent) ${notFound(parent, h.parent.param)}`);
  }

  // Keys the body sets must name rows the caller may reference (references.ts).
  const references = referenceChecks(entity, ir, imports, "../db", `${entity.table}_${endpointRouter(ep)}`);
  const referenceLines = references.lines((f) => `[body.${f}]`, entityBodyFields);
  if (referenceLines) lines.push(referenceLines.replace(/\n$/, ""));
  blocks.push(...references.top);

  // WHERE: the row, its parent, the operation's filter, the query's filters and search term.
  const conditions: string[] = [];
  if (entity.softDelete) {
    imports.add("drizzle-orm", "isNull");
    conditions.push(`isNull(${t}.${entity.softDelete.field})`);
  }
  if (idParam && (h.action === "get" || h.action === "update" || h.action === "delete")) {
    imports.add("drizzle-orm", "eq");
    conditions.push(`eq(${t}.${pk.name}, ${idParam.name})`);
  }
  if (h.parent && h.action !== "create") {
    imports.add("drizzle-orm", "eq");
    conditions.push(`eq(${t}.${h.parent.foreignKey}, ${h.parent.param})`);
  }
  if (h.action !== "create") conditions.push(...scopeConditions(entity, scope, "value", imports));
  for (const f of h.filter) {
    if (f.value === null) {
      imports.add("drizzle-orm", "isNull");
      conditions.push(`isNull(${t}.${f.field})`);
    } else {
      imports.add("drizzle-orm", "eq");
      conditions.push(`eq(${t}.${f.field}, ${literal(f.value)})`);
    }
  }
  for (const name of h.queryFilters) {
    const q = ep.query.find((x) => x.name === name)!;
    imports.add("drizzle-orm", "eq");
    const required = q.notNull || q.default !== undefined;
    conditions.push(required ? `eq(${t}.${name}, query.${name})` : `query.${name} === undefined ? undefined : eq(${t}.${name}, query.${name})`);
  }
  if (h.search) {
    const q = ep.query.find((x) => x.name === h.search!.param)!;
    const required = q.notNull || q.default !== undefined;
    const mode = entity.crud?.search?.mode ?? "contains";
    imports.add("drizzle-orm", "ilike").add("../lib/search.js", "likePattern");
    if (h.search.fields.length > 1) imports.add("drizzle-orm", "or");
    const terms = h.search.fields.map((f) => `ilike(${t}.${f}, pattern)`);
    const match = terms.length > 1 ? `or(${terms.join(", ")})` : terms[0]!;
    lines.push(`  const pattern = ${required ? "" : `query.${h.search.param} === undefined ? undefined : `}likePattern(query.${h.search.param}, ${ts(mode)});`);
    conditions.push(required ? match : `pattern === undefined ? undefined : ${match}`);
  }
  let where = "undefined";
  if (conditions.length === 1) where = conditions[0]!;
  else if (conditions.length > 1) {
    imports.add("drizzle-orm", "and");
    where = `and(\n    ${conditions.join(",\n    ")},\n  )`;
  }
  if (conditions.length && h.action !== "create") lines.push(`  const where = ${where};`);
  const fns = dto ? projectionFunctions(dto) : undefined;
  if (fns) imports.add(projectionModule(dto!), ...(h.action === "list" || h.action === "search" ? [fns.list] : [fns.get]));
  const whereArg = conditions.length ? "where" : "undefined";
  const idExpr = idParam?.name ?? "id";

  switch (h.action) {
    case "list":
    case "search": {
      const page = `{ limit: query.${h.paging!.limit}, offset: query.${h.paging!.offset} }`;
      if (fns) lines.push(`  const rows: ${dto}[] = await ${fns.list}(${whereArg}, ${page});`);
      else {
        imports.add("drizzle-orm", "asc");
        lines.push(`  const rows: ${entity.name}[] = await db\n    .select(${columns})\n    .from(${t})\n    .where(${whereArg})\n    .orderBy(asc(${t}.${pk.name}))\n    .limit(query.${h.paging!.limit})\n    .offset(query.${h.paging!.offset});`);
      }
      lines.push(`  return c.json(rows${status(200)});`);
      break;
    }
    case "get": {
      if (fns) lines.push(`  const row: ${dto} | null = await ${fns.get}(${whereArg});`);
      else lines.push(`  const [row]: ${entity.name}[] = await db.select(${columns}).from(${t}).where(${whereArg}).limit(1);`);
      lines.push(`  if (!row) ${notFound(entity, idExpr)}`);
      lines.push(`  return c.json(row${status(200)});`);
      break;
    }
    case "create": {
      const parentSet = h.parent ? [h.parent.foreignKey === h.parent.param ? h.parent.param : `${key(h.parent.foreignKey)}: ${h.parent.param}`] : [];
      const set = [...parentSet, ...scopeValues(scope, "value")];
      // Before-hooks see the row to insert; the parent and the policy's columns are set again after them.
      const before = hookLines(entity, "before", "create", set.length ? `{ ...body, ${set.join(", ")} }` : "body", { request: "c" }, imports, "src/endpoints");
      if (before) lines.push(before.trimEnd());
      const source = before ? "data" : "body";
      const values = set.length ? `{ ...${source}, ${set.join(", ")} }` : source;
      const after = hookLines(entity, "after", "create", fns ? "created!" : "row", { request: "c" }, imports, "src/endpoints").trimEnd();
      if (fns) {
        imports.add("drizzle-orm", "eq");
        lines.push(`  const [created] = await db.insert(${t}).values(${values}).returning(${after ? columns : `{ ${key(pk.name)}: ${t}.${pk.name} }`});`);
        if (after) lines.push(after);
        lines.push(`  const row: ${dto} | null = await ${fns.get}(eq(${t}.${pk.name}, created!.${pk.name}));`);
        lines.push(`  if (!row) ${notFound(entity, `created!.${pk.name}`)}`);
      } else {
        lines.push(`  const [row]: ${entity.name}[] = await db.insert(${t}).values(${values}).returning(${columns});`);
        if (after) lines.push(after);
      }
      lines.push(`  return c.json(row${status(201)});`);
      break;
    }
    case "update": {
      const bump = entity.fields.filter((f) => f.autoUpdate);
      // The policy's columns keep their values: a body cannot hand the row to someone else.
      const keep = scopeValues(scope, "value");
      const hookContext = { ...(idParam ? { id: idExpr } : {}), request: "c", into: "changes" };
      const before = hookLines(entity, "before", "update", "body", hookContext, imports, "src/endpoints");
      if (before) lines.push(before.trimEnd());
      const source = before ? "changes" : "body";
      const changes = keep.length ? `{ ...${source}, ${keep.join(", ")} }` : source;
      const after = hookLines(entity, "after", "update", "changed", { ...hookContext, changed: source }, imports, "src/endpoints").trimEnd();
      // After-hooks see the row as clients do; otherwise a DTO is read back by its key.
      const returning = fns && !after ? `{ ${key(pk.name)}: ${t}.${pk.name} }` : columns;
      const readBack = returning;
      if (bump.length) {
        imports.add("drizzle-orm", "sql");
        lines.push(`  const [changed] = await db\n    .update(${t})\n    .set({ ...${source}${bump.map((f) => `, ${key(f.name)}: sql\`now()\``).join("")}${keep.map((v) => `, ${v}`).join("")} })\n    .where(${whereArg})\n    .returning(${returning});`);
      } else {
        // An empty body changes nothing: answer with the row as it is.
        lines.push(`  const [changed] =\n    Object.keys(${source}).length === 0\n      ? await db.select(${readBack}).from(${t}).where(${whereArg}).limit(1)\n      : await db.update(${t}).set(${changes}).where(${whereArg}).returning(${returning});`);
      }
      lines.push(`  if (!changed) ${notFound(entity, idExpr)}`);
      if (after) lines.push(after);
      if (fns) {
        imports.add("drizzle-orm", "eq");
        lines.push(`  const row: ${dto} | null = await ${fns.get}(eq(${t}.${pk.name}, changed.${pk.name}));`);
        lines.push(`  if (!row) ${notFound(entity, idExpr)}`);
        lines.push(`  return c.json(row${status(200)});`);
      } else {
        lines.push(`  const row: ${entity.name} = changed;`);
        lines.push(`  return c.json(row${status(200)});`);
      }
      break;
    }
    case "delete": {
      const soft = entity.softDelete;
      if (soft) imports.add("drizzle-orm", "sql");
      const stmt = soft ? `db.update(${t}).set({ ${key(soft.field)}: sql\`now()\` })` : `db.delete(${t})`;
      const hookContext = { ...(idParam ? { id: idExpr } : {}), request: "c" };
      const before = hookLines(entity, "before", "delete", idExpr, hookContext, imports, "src/endpoints");
      if (before) lines.push(before.trimEnd());
      lines.push(`  const [deleted] = await ${stmt}.where(${whereArg}).returning({ ${key(pk.name)}: ${t}.${pk.name} });`);
      lines.push(`  if (!deleted) ${notFound(entity, idExpr)}`);
      const after = hookLines(entity, "after", "delete", `deleted.${pk.name}`, { ...hookContext, id: `deleted.${pk.name}` }, imports, "src/endpoints").trimEnd();
      if (after) lines.push(after);
      lines.push(`  return c.body(null, 204);`);
      break;
    }
  }

  const route = endpointRouter(ep);
  const op = ep.operation;
  const what = `${ACTION_TEXT[h.action]} ${entity.name}${h.action === "list" || h.action === "search" ? " rows" : ""}${dto ? ` as ${dto}` : ""}`;
  const doc = `/**\n * ${ep.method} ${ep.path}: ${op ? `${op.name}${op.api !== "default" ? ` (API ${op.api})` : ""}` : ep.name}, ${what}${h.parent ? ` of one ${h.parent.entity}` : ""} (${ir.configFile}:${ep.loc.line}).${ep.description ? `\n * ${ep.description}` : ""}${policyText(ep)}\n */`;
  blocks.push(`${doc}\nexport const ${route} = new Hono<AppEnv>();\n\n${route}.${ep.method.toLowerCase()}(${ts(ep.path)}, ${endpointMiddleware(ir, ep, imports)}async (c) => {\n${lines.join("\n")}\n});`);
  return { path: endpointFile(ep), content: header(`endpoint ${ep.method} ${ep.path}`, ep.loc) + file(imports.toString(), ...blocks) };
}
