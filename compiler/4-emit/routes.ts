/**
 * Emits src/routes/<entities>.ts: one Hono router per entity with a handler per CRUD
 * route plan. Point reads and deletes are prepared once at module load; lists build
 * their WHERE from the filters the request actually sent.
 */
import type { CrudRoutePlan, EntityIR, FieldIR, ProjectIR } from "../ir.js";
import type { OutputFile } from "./index.js";
import { validationHelpers, zodForQuery } from "./column-types.js";
import { hasHooks, hookLines } from "./hooks.js";
import { emitIncludes, includeRules, includesNeedCaller } from "./includes.js";
import { pathParam } from "./path-params.js";
import { filterFields, hiddenFields, schemaNames, writableFields } from "./validation.js";
import { file, header, Imports, key, ts } from "./writer.js";
import { crudGuard } from "../plugins/auth/emit.js";
import { pascalCase } from "../2-analyze/types.js";
import { callerArgs, callerSetup, fieldRoleRules, scopeConditions, scopeSetText, scopeText, scopeValues } from "./policies.js";
import { crudBodyFields, crudScope } from "./statuses.js";
import { authEnabled, crudAccess } from "../plugins/auth/rules.js";
import { bulkPath } from "../3-lower/crud.js";
import { referenceChecks } from "./references.js";

/** The tsvector of an entity's searchable fields; the same text builds the GIN index and the query. */
export function searchVectorSql(columns: readonly string[]): string {
  return `to_tsvector('simple', ${columns.map((c) => `coalesce(${c}, '')`).join(" || ' ' || ")})`;
}

export const routerName = (entity: EntityIR) => `${entity.name[0]!.toLowerCase()}${entity.name.slice(1)}Routes`;
export const routesFile = (entity: EntityIR) => `src/routes/${entity.fileName}.ts`;

export function emitRoutes(entity: EntityIR, plans: readonly CrudRoutePlan[], ir: ProjectIR): OutputFile {
  const imports = new Imports()
    .add("hono", "Hono")
    .add("../db/client.js", "db")
    .add(`../db/tables/${entity.fileName}.js`, entity.varName)
    .type("../lib/http.js", "AppEnv");
  const t = entity.varName;
  const pk = entity.fields.find((f) => f.name === entity.primaryKey)!;
  const names = schemaNames(entity);
  const hidden = hiddenFields(entity);
  const soft = entity.softDelete ? entity.fields.find((f) => f.name === entity.softDelete!.field)! : undefined;
  const autoUpdate = entity.fields.filter((f) => f.autoUpdate);
  const ops = new Set(plans.map((p) => p.operation));
  const prefix = `${entity.table}`;
  const top: string[] = [];
  const handlers: string[] = [];
  const routeDoc = (p: CrudRoutePlan, what: string) => `/** ${p.method} ${p.path}: ${what}${authEnabled(ir) && !crudAccess(ir, entity, p.operation).rule ? " Public." : ""} */`;
  /** The route's access check (auth module), placed before its handler; empty for public routes. */
  const guard = (p: CrudRoutePlan) => crudGuard(ir, entity, p.operation, imports);

  // Projection: all columns, unless some must never leave the server.
  const sel = hidden.length ? "columns" : "";
  if (hidden.length) {
    top.push(`/** Columns sent to clients: all but ${hidden.map((f) => f.name).join(", ")}. */\nconst columns = {\n${entity.fields.filter((f) => !hidden.includes(f)).map((f) => `  ${key(f.name)}: ${t}.${f.name},`).join("\n")}\n};`);
  }
  const live = soft ? `isNull(${t}.${soft.name})` : undefined;
  if (live) imports.add("drizzle-orm", "isNull");
  const includes = emitIncludes(entity, ir, imports);
  if (includes) top.push(includes);
  const includeChecks = includeRules(entity, ir).length > 0;
  const visible = entity.fields.filter((f) => !hidden.includes(f)).map((f) => f.name);
  top.push(`/** Properties \`?fields=\` may select. */\nconst selectable = [${visible.map(ts).join(", ")}];`);
  /** Validates ?include= and ?fields= before any query runs. */
  const shapeParse = () => {
    imports.add("../lib/shape.js", "parseNames");
    return `  const include = ${includes ? `parseNames(query.include, includable, "include")` : "[] as string[]"};
  const fields = query.fields === undefined ? undefined : [...parseNames(query.fields, selectable, "fields"), ...include];${includeChecks ? "\n  authorizeIncludes(c, include);" : ""}`;
  };
  const shapeApply = (rowsExpr: string) => {
    imports.add("../lib/shape.js", "pickFields");
    return `${includes ? `  if (include.length > 0) await loadIncludes(${rowsExpr}, include${includesNeedCaller(entity, ir) ? `, c.get("auth")` : ""});\n` : ""}`;
  };
  /** The row policy of an operation (`where:` of its policy), and what the route's comment says about it. */
  const scope = (op: CrudRoutePlan["operation"]) => crudScope(entity, op);
  const scopeNote = (op: CrudRoutePlan["operation"]) => (scope(op).length ? ` ${(op === "create" ? scopeSetText : scopeText)(entity.crud!.auth![op]!.policy, scope(op))}` : "");
  /** Prepared point reads, one per policy among the operations that read by id. */
  const finders = new Map<string, string>();
  const finder = (op: CrudRoutePlan["operation"]) => {
    const policy = scope(op).length ? entity.crud!.auth![op]!.policy : "";
    let name = finders.get(policy);
    if (name === undefined) {
      name = policy ? `findByIdFor${pascalCase(policy)}` : "findById";
      finders.set(policy, name);
      imports.add("drizzle-orm", "sql").add("../lib/prepared.js", "direct");
      top.push(`const ${name} = direct(db.select(${sel}).from(${t}).where(${rowWhere(`sql.placeholder("id")`, op, "placeholder")}).prepare(${ts(`${prefix}_find_by_id${policy ? `_${policy.toLowerCase().replace(/[^a-z0-9]+/g, "_")}` : ""}`)}));`);
    }
    return name;
  };
  const ifMatch = (op: CrudRoutePlan["operation"]) => {
    imports.add("../lib/shape.js", "entityTag", "tagMatches", "PreconditionFailedError").add("../lib/http.js", "requestHeader");
    return `  const ifMatch = requestHeader(c, "if-match");
  if (ifMatch !== undefined) {
    const [current] = await ${finder(op)}.execute({ id${callerArgs(entity, scope(op))} });
    if (!current) throw ${notFound()};
    if (!tagMatches(ifMatch, entityTag(current), "strong")) throw new PreconditionFailedError();
  }
`;
  };
  const byId = (idExpr: string) => {
    imports.add("drizzle-orm", "eq");
    const cond = `eq(${t}.${pk.name}, ${idExpr})`;
    if (live) {
      imports.add("drizzle-orm", "and");
      return `and(${cond}, ${live})`;
    }
    return cond;
  };
  /** The row with this id, within the operation's policy. */
  const rowWhere = (idExpr: string, op: CrudRoutePlan["operation"], mode: "placeholder" | "value") => {
    const conds = scopeConditions(entity, scope(op), mode, imports);
    if (conds.length === 0) return byId(idExpr);
    imports.add("drizzle-orm", "and", "eq");
    return `and(${[`eq(${t}.${pk.name}, ${idExpr})`, ...(live ? [live] : []), ...conds].join(", ")})`;
  };
  const notFound = () => {
    imports.add("../lib/errors.js", "NotFoundError");
    return `new NotFoundError(\`${entity.name} \${id} not found\`)`;
  };
  for (const op of ["get", "update", "replace", "delete"] as const) if (ops.has(op)) finder(op);
  /** Keys the database alone would accept (soft-deleted rows, rows outside their entity's policy), checked before a write (references.ts). */
  const references = referenceChecks(entity, ir, imports, "../db", prefix);
  /** The body schema of a write: the entity's, or a copy without the columns its policy sets. */
  const bodySchema = (base: string, fields: readonly FieldIR[], forced: ReadonlySet<string>, local: string, what: string) => {
    imports.add(`../validation/${entity.fileName}.js`, base);
    const omitted = fields.filter((f) => forced.has(f.name));
    if (omitted.length === 0) return base;
    top.push(`/** ${what[0]!.toUpperCase()}${what.slice(1)} without ${omitted.map((f) => f.name).join(", ")}, which the policy sets. */
const ${local} = ${base}.omit({ ${omitted.map((f) => `${key(f.name)}: true`).join(", ")} });`);
    return local;
  };
  /** `checkFieldRoles(…)` for fields only some roles may set; empty when there are none. */
  const fieldRoleCheck = (fields: readonly FieldIR[], rows: string) => {
    const rules = fieldRoleRules(fields);
    if (!rules) return "";
    imports.add("../lib/policy.js", "checkFieldRoles");
    return `  checkFieldRoles(c, ${ts(entity.name)}, ${rows}, ${rules});
`;
  };
  if (ops.has("delete")) {
    imports.add("drizzle-orm", "sql");
    const stmt = soft
      ? `db.update(${t}).set({ ${soft.name}: sql\`now()\` }).where(${rowWhere(`sql.placeholder("id")`, "delete", "placeholder")}).returning({ ${pk.name}: ${t}.${pk.name} })`
      : `db.delete(${t}).where(${rowWhere(`sql.placeholder("id")`, "delete", "placeholder")}).returning({ ${pk.name}: ${t}.${pk.name} })`;
    imports.add("../lib/prepared.js", "direct");
    top.push(`const deleteById = direct(${stmt}.prepare(${ts(`${prefix}_delete_by_id`)}));`);
  }

  for (const plan of plans) {
    const local = plan.path.slice(entity.crud!.basePath === "/" ? 0 : entity.crud!.basePath.length) || "/";
    switch (plan.operation) {
      case "list": {
        imports.add("../lib/http.js", "validateQuery").add("../lib/prepared.js", "preparedPerShape").add(`../validation/${entity.fileName}.js`, names.listQuery);
        imports.add("drizzle-orm", "sql");
        const sortable = entity.crud!.sortable;
        if (entity.crud!.pagination.type === "offset") top.push(`/** Fields a list may be sorted by (\`?sort=-${sortable[0] ?? pk.name}\`). */\nconst sortable = {\n${sortable.map((n) => `  ${key(n)}: ${t}.${n},`).join("\n")}\n};`);
        const filters = filterFields(entity);
        const conditions = filters.map((f, i) => {
          imports.add("drizzle-orm", "eq");
          return `    present[${i}] === "1" ? eq(${t}.${f.name}, sql.placeholder(${ts(f.name)})) : undefined,`;
        });
        const search = entity.crud!.search;
        const searchBit = filters.length;
        const paging = entity.crud!.pagination;
        const cursorMode = paging.type === "cursor";
        let order = `parseSort(sort, sortable, ${t}.${pk.name})`;
        let searchArgs = "";
        if (search) {
          if (search.fullText) {
            imports.add("drizzle-orm", "asc", "desc");
            top.push(`/** The document full-text search matches (the GIN index in the table module is on the same expression). */\nconst searchVector = sql\`${searchVectorSql(search.fields.map((f) => `\${${t}.${f}}`))}\`;\nconst searchQuery = sql\`websearch_to_tsquery('simple', \${sql.placeholder("search")})\`;`);
            conditions.push(`    present[${searchBit}] === "1" ? sql\`\${searchVector} @@ \${searchQuery}\` : undefined,`);
            order = `sort === undefined && present[${searchBit}] === "1" ? [desc(sql\`ts_rank(\${searchVector}, \${searchQuery})\`), asc(${t}.${pk.name})] : ${order}`;
          } else {
            imports.add("drizzle-orm", "ilike").add("../lib/search.js", "likePattern");
            if (search.fields.length > 1) imports.add("drizzle-orm", "or");
            const terms = search.fields.map((f) => `ilike(${t}.${f}, sql.placeholder("searchPattern"))`);
            conditions.push(`    present[${searchBit}] === "1" ? ${terms.length > 1 ? `or(${terms.join(", ")})` : terms[0]} : undefined,`);
            searchArgs = `, searchPattern: query.search === undefined ? undefined : likePattern(query.search, ${ts(search.mode)})`;
          }
        }
        let cursorSetup = "";
        let cursorArgs = "";
        if (cursorMode) {
          const cf = entity.fields.find((f) => f.name === paging.cursorField)!;
          const cmp = paging.direction === "desc" ? "<" : ">";
          const dir = paging.direction === "desc" ? "desc" : "asc";
          imports.add("drizzle-orm", dir).add("../lib/shape.js", "decodeCursor", "encodeCursor", "invalidCursor").add("zod", "z");
          const keyFields = cf.name === pk.name ? [pk] : [cf, pk];
          const tuple = keyFields.map((f) => zodForQuery(f));
          for (const h of validationHelpers(tuple.join(" "))) imports.add("../lib/validation.js", h);
          top.push(`/** A cursor holds the ${keyFields.map((f) => f.name).join(" and ")} of the last row of a page. */\nconst cursorSchema = z.tuple([${tuple.join(", ")}]);`);
          const lhs = keyFields.length === 1 ? `\${${t}.${pk.name}}` : `(\${${t}.${cf.name}}, \${${t}.${pk.name}})`;
          const rhs = keyFields.length === 1 ? `\${sql.placeholder("after0")}` : `(\${sql.placeholder("after0")}, \${sql.placeholder("after1")})`;
          conditions.push(`    present[${filters.length + (search ? 1 : 0)}] === "1" ? sql\`${lhs} ${cmp} ${rhs}\` : undefined,`);
          order = `[${keyFields.map((f) => `${dir}(${t}.${f.name})`).join(", ")}]`;
          cursorSetup = `  let after: z.output<typeof cursorSchema> | undefined;
  if (query.cursor !== undefined) {
    const decoded = cursorSchema.safeParse(decodeCursor(query.cursor));
    if (!decoded.success) throw invalidCursor();
    after = decoded.data;
  }
`;
          cursorArgs = keyFields.map((_, i) => `, after${i}: after?.[${i}]`).join("");
          imports.add("../lib/pagination.js", "cursorPage");
        }
        conditions.unshift(...scopeConditions(entity, scope("list"), "placeholder", imports).map((cond) => `    ${cond},`));
        if (live) conditions.unshift(`    ${live},`);
        if (conditions.length) imports.add("drizzle-orm", "and");
        const presentBits = filters.length + (search ? 1 : 0) + (cursorMode ? 1 : 0);
        const whereArg = presentBits ? "present: string" : "";
        const listArgs = callerArgs(entity, scope("list"));
        const whereFn = conditions.length
          ? `/** The WHERE of a list; \`present\` has a "1" for each filter the request sent (${filters.map((f) => f.name).join(", ") || "none"}). */\nfunction listWhere(${whereArg}) {\n  return and(\n${conditions.join("\n")}\n  );\n}`
          : "";
        if (whereFn) top.push(whereFn);
        const whereCall = conditions.length ? `.where(listWhere(${presentBits ? "present" : ""}))` : "";
        const presentExpr = presentBits ? [...filters.map((f) => f.name), ...(search ? ["search"] : []), ...(cursorMode ? ["cursor"] : [])].map((n) => `(query.${n} === undefined ? "0" : "1")`).join(" +\n    ") : `""`;
        if (!cursorMode) imports.add("drizzle-orm", "count");
        top.push(cursorMode
          ? `/** One prepared statement per list shape (filters sent, cursor or not). */
const listStatement = preparedPerShape((present: string) =>
  db
    .select(${sel})
    .from(${t})${whereCall ? `\n    ${whereCall}` : ""}
    .orderBy(...${order})
    .limit(sql.placeholder("limit"))
    .prepare(${ts(`${prefix}_list`)}),
);`
          : `/** One prepared statement per list shape (filters sent, sort order). */
const listStatement = preparedPerShape((present: string, sort: string | undefined) =>
  db
    .select(${sel})
    .from(${t})${whereCall ? `\n    ${whereCall}` : ""}
    .orderBy(...(${order}))
    .limit(sql.placeholder("limit"))
    .offset(sql.placeholder("offset"))
    .prepare(${ts(`${prefix}_list`)}),
);
const countStatement = preparedPerShape((present: string) =>
  db.select({ total: count() }).from(${t})${whereCall}.prepare(${ts(`${prefix}_count`)}),
);`);
        const keyOf = cursorMode ? (entity.fields.find((f) => f.name === paging.cursorField)!.name === pk.name ? [pk.name] : [paging.cursorField!, pk.name]) : [];
        const fetch = cursorMode
          ? `${cursorSetup}  const rows = await listStatement(present).execute({ ...query, limit: query.limit + 1${searchArgs}${cursorArgs}${listArgs} });
${shapeApply("rows")}  const page = cursorPage(rows, query.limit, (row) => encodeCursor([${keyOf.map((k) => `row.${k}`).join(", ")}]));`
          : `  const rows = await listStatement(present, query.sort ?? query.orderBy).execute({ ...query, limit: query.limit + 1${searchArgs}${listArgs} });
  const total = query.count ? (await countStatement(present).execute({ ...query${searchArgs}${listArgs} }))[0]?.total : undefined;
${shapeApply("rows")}  const page = offsetPage(rows, query.limit, query.offset, total);`;
        if (!cursorMode) imports.add("../lib/pagination.js", "offsetPage", "parseSort");
        handlers.push(`${routeDoc(plan, `a page of ${entity.name} rows, filtered and sorted.${scopeNote("list")}`)}
${routerName(entity)}.get(${ts(local)}, ${guard(plan)}async (c) => {
  const query = validateQuery(${names.listQuery}, c);
${shapeParse()}
${callerSetup(entity, scope("list"), imports)}  const present =
    ${presentExpr};
${fetch}
  return c.json(fields === undefined ? page : { ...page, data: pickFields(page.data, fields) });
});`);
        break;
      }
      case "get": {
        imports.add("../lib/http.js", "requestHeader", "validateQuery").add(`../validation/${entity.fileName}.js`, names.getQuery).add("../lib/shape.js", "textTag", "tagMatches");
        top.push(`/** The parsed query of a GET /:id without a query string, built once. */\nconst noGetQuery = ${names.getQuery}.parse({});`);
        handlers.push(`${routeDoc(plan, `one ${entity.name}, or 404; an ETag, and 304 for a matching If-None-Match.${scopeNote("get")}`)}
${routerName(entity)}.get(${ts(local)}, ${guard(plan)}async (c) => {
  const id = ${pathParam(pk, "id", imports)};
  const query = c.req.url.includes("?") ? validateQuery(${names.getQuery}, c) : noGetQuery;
${shapeParse()}
${callerSetup(entity, scope("get"), imports)}  const [row] = await ${finder("get")}.execute({ id${callerArgs(entity, scope("get"))} });
  if (!row) throw ${notFound()};
${shapeApply("[row]")}  const json = JSON.stringify(fields === undefined ? row : pickFields([row], fields)[0]);
  const tag = textTag(json);
  // A Response with plain headers: c.body() would build a Headers object for the two.
  if (tagMatches(requestHeader(c, "if-none-match"), tag)) return new Response(null, { status: 304, headers: { ETag: tag } });
  return new Response(json, { headers: { "Content-Type": "application/json", ETag: tag } });
});`);
        break;
      }
      case "create": {
        imports.add("../lib/http.js", "readJson", "validate").add(`../validation/${entity.fileName}.js`, names.create);
        // The policy's columns are set from the caller, never from the body (which may not name them).
        const forced = scope("create");
        const forcedNames = new Set(forced.map((c) => c.field));
        const writable = crudBodyFields(entity, "create");
        const body = bodySchema(names.create, writableFields(entity), forcedNames, "createBody", "the create body");
        const setup = callerSetup(entity, forced, imports);
        const roleCheck = fieldRoleCheck(writable, "[input]");
        // A placeholder in .values() is bound through its column's encoder, as a value would be
        // (a timestamp's Date becomes ISO text there); json, arrays and binary keep the per-request builder.
        // Before-hooks may set any column, so their writes build the INSERT per request.
        const before = hasHooks(entity, "before", "create");
        const afterCreate = (row: string) => hookLines(entity, "after", "create", row, { request: "c" }, imports, "src/routes");
        const preparable = !before && writable.every((f) => !f.array && !["json", "binary", "base64", "interval"].includes(f.type));
        if (preparable) {
          imports.add("../lib/prepared.js", "preparedPerShape").add("drizzle-orm", "sql");
          const optional = writable.filter((f) => !(f.notNull && f.default === undefined && !f.generated));
          const values = writable.map((f) => {
            const i = optional.indexOf(f);
            const v = `${key(f.name)}: sql.placeholder(${ts(f.name)})`;
            return i < 0 ? `      ${v},` : `      ...(present[${i}] === "1" ? { ${v} } : {}),`;
          });
          values.push(...scopeValues(forced, "placeholder").map((v) => `      ${v},`));
          top.push(`/** One prepared INSERT per set of optional fields a body sends; omitted fields take their column defaults.${forced.length ? ` ${forced.map((c) => c.field).join(", ")} come${forced.length === 1 ? "s" : ""} from policy ${entity.crud!.auth!.create!.policy}.` : ""} */
const insertStatement = preparedPerShape((${optional.length ? "present: string" : ""}) =>
  db
    .insert(${t})
    .values({
${values.join("\n")}
    })
    .returning(${sel})
    .prepare(${ts(`${prefix}_insert`)}),
);`);
          const presentExpr = optional.length ? optional.map((f) => `(input.${f.name} === undefined ? "0" : "1")`).join(" +\n    ") : "";
          const extra = callerArgs(entity, forced);
          const args = extra ? `{ ...input${extra} }` : "input";
          handlers.push(`${routeDoc(plan, `creates a ${entity.name}; 201 with the new row.${scopeNote("create")}`)}
${routerName(entity)}.post(${ts(local)}, ${guard(plan)}async (c) => {
  const input = validate(${body}, await readJson(c), "VALIDATION_BODY", "Invalid request body");
${roleCheck}${references.lines((f) => `[input.${f}]`, writable.map((f) => f.name))}${setup}${optional.length ? `  const present =\n    ${presentExpr};\n` : ""}  const [row] = await insertStatement(${optional.length ? "present" : ""}).execute(${args});
${afterCreate("row")}  return c.json(row, 201);
});`);
        } else {
          // The policy's columns are set again after the hooks: a hook cannot hand the row to someone else.
          const withPolicy = (source: string) => (forced.length ? `{ ...${source}, ${scopeValues(forced, "value").join(", ")} }` : source);
          const values = withPolicy(before ? "data" : "input");
          const hooked = before ? `${setup}${hookLines(entity, "before", "create", withPolicy("input"), { request: "c" }, imports, "src/routes")}${references.lines((f) => `[data.${f}]`, entity.fields.map((f) => f.name))}` : `${references.lines((f) => `[input.${f}]`, writable.map((f) => f.name))}${setup}`;
          handlers.push(`${routeDoc(plan, `creates a ${entity.name}; 201 with the new row.${scopeNote("create")}`)}
${routerName(entity)}.post(${ts(local)}, ${guard(plan)}async (c) => {
  const input = validate(${body}, await readJson(c), "VALIDATION_BODY", "Invalid request body");
${roleCheck}${hooked}  const [row] = await db.insert(${t}).values(${values}).returning(${sel});
${afterCreate("row")}  return c.json(row, 201);
});`);
        }
        if (entity.crud!.bulk) {
          let bulk = names.bulk;
          if (forced.length) {
            imports.add("zod", "z");
            top.push(`/** Body of POST /bulk: rows without the policy's columns. */\nconst bulkBody = z.array(${body}).min(1).max(1000);`);
            bulk = "bulkBody";
          } else imports.add(`../validation/${entity.fileName}.js`, names.bulk);
          const each = (list: string) => (forced.length ? `${list}.map((row) => ({ ...row, ${scopeValues(forced, "value").join(", ")} }))` : list);
          // With before-hooks, each row goes through them in order before the one INSERT.
          const hooked = before
            ? `${setup}  const data = [];\n  for (const row of input) {\n${hookLines(entity, "before", "create", forced.length ? `{ ...row, ${scopeValues(forced, "value").join(", ")} }` : "row", { request: "c", into: "changed" }, imports, "src/routes", "    ")}    data.push(changed);\n  }\n${references.lines((f) => `data.map((row) => row.${f})`, entity.fields.map((f) => f.name))}`
            : `${references.lines((f) => `input.map((row) => row.${f})`, writable.map((f) => f.name))}${setup}`;
          const after = hookLines(entity, "after", "create", "row", { request: "c" }, imports, "src/routes", "");
          handlers.push(`/** POST ${bulkPath(entity.crud!.basePath)}: creates up to 1,000 ${entity.name} rows in one statement, all or nothing; 201 with \`{data}\`.${scopeNote("create")} */
${routerName(entity)}.post(${ts(bulkPath(local))}, ${guard(plan)}async (c) => {
  const input = validate(${bulk}, await readJson(c), "VALIDATION_BODY", "Invalid request body");
${fieldRoleCheck(writable, "input")}${hooked}  const rows = await db.insert(${t}).values(${each(before ? "data" : "input")}).returning(${sel});
${after ? `  for (const row of rows) ${after}` : ""}  return c.json({ data: rows }, 201);
});`);
        }
        break;
      }
      case "replace":
      case "update": {
        const op = plan.operation;
        const isPut = op === "replace";
        const forcedNames = new Set(scope(op).map((c) => c.field));
        const schema = bodySchema(isPut ? names.replace : names.update, writableFields(entity), forcedNames, isPut ? "replaceBody" : "updateBody", isPut ? "the replace body" : "the update body");
        imports.add("../lib/http.js", "readJson", "validate").add("../lib/shape.js", "taggedJson");
        const bump = autoUpdate.map((f) => `, ${f.name}: sql\`now()\``).join("");
        if (bump) imports.add("drizzle-orm", "sql");
        const before = hookLines(entity, "before", "update", "input", { id: "id", request: "c", into: "changes" }, imports, "src/routes");
        const changes = before ? "changes" : "input";
        const emptyGuard = !isPut && !bump
          ? `  if (Object.keys(${changes}).length === 0) {
    const [current] = await ${finder(op)}.execute({ id${callerArgs(entity, scope(op))} });
    if (!current) throw ${notFound()};
    return taggedJson(current);
  }
`
          : "";
        handlers.push(`${routeDoc(plan, `${isPut ? `replaces a ${entity.name}; omitted fields return to their defaults.` : `changes the given fields of a ${entity.name}.`}${scopeNote(op)}`)}
${routerName(entity)}.${isPut ? "put" : "patch"}(${ts(local)}, ${guard(plan)}async (c) => {
  const id = ${pathParam(pk, "id", imports)};
  const input = validate(${schema}, await readJson(c), "VALIDATION_BODY", "Invalid request body");
${fieldRoleCheck(crudBodyFields(entity, op), "[input]")}${before}${references.lines((f) => `[${changes}.${f}]`, (before ? entity.fields : crudBodyFields(entity, op)).map((f) => f.name))}${callerSetup(entity, scope(op), imports)}${ifMatch(op)}${emptyGuard}  const [row] = await db
    .update(${t})
    .set({ ...${changes}${bump} })
    .where(${rowWhere("id", op, "value")})
    .returning(${sel});
  if (!row) throw ${notFound()};
${hookLines(entity, "after", "update", "row", { id: "id", request: "c", changed: changes }, imports, "src/routes")}  return taggedJson(row);
});`);
        break;
      }
      case "delete": {
        handlers.push(`${routeDoc(plan, `${soft ? `soft-deletes a ${entity.name} (sets ${soft.name}); 204.` : `deletes a ${entity.name}; 204.`}${scopeNote("delete")}`)}
${routerName(entity)}.delete(${ts(local)}, ${guard(plan)}async (c) => {
  const id = ${pathParam(pk, "id", imports)};
${callerSetup(entity, scope("delete"), imports)}${ifMatch("delete")}${hookLines(entity, "before", "delete", "id", { id: "id", request: "c" }, imports, "src/routes")}  const [row] = await deleteById.execute({ id${callerArgs(entity, scope("delete"))} });
  if (!row) throw ${notFound()};
${hookLines(entity, "after", "delete", "id", { id: "id", request: "c" }, imports, "src/routes")}  return c.body(null, 204);
});`);
        break;
      }
    }
  }
  top.push(...references.top);
  const router = `/** ${entity.name} CRUD, mounted at ${entity.crud!.basePath}. */\nexport const ${routerName(entity)} = new Hono<AppEnv>();`;
  return {
    path: routesFile(entity),
    content: header(`CRUD routes for ${entity.name}`, entity.crud!.loc) + file(imports.toString(), ...top, router, ...handlers),
  };
}
