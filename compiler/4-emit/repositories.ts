/**
 * Emits src/repositories/<entity>.ts (the typed `ctx.entities.X` API of custom handlers) and
 * src/entities.ts, which gathers them. Methods keep the original YAMA names: findById,
 * findAll(options), create, update, delete, count, plus derived finders (findBySlug,
 * findByIdAndPublishedIsFalse, …).
 */
import type { EntityIR, FieldIR, ProjectIR } from "../ir.js";
import type { OutputFile } from "./index.js";
import { hiddenFields } from "./validation.js";
import { file, header, Imports, key, ts } from "./writer.js";
import { referenceChecks } from "./references.js";
import { hasHooks, hookLines } from "./hooks.js";

/** `, c` when a repository write of `op` runs hooks, which then see the route's request. */
export const hookRequestArg = (entity: EntityIR, op: "create" | "update" | "delete") => (hasHooks(entity, "before", op) || hasHooks(entity, "after", op) ? ", c" : "");

export const repositoryName = (entity: EntityIR) => `${entity.name[0]!.toLowerCase()}${entity.name.slice(1)}Repository`;
const upperFirst = (s: string) => s[0]!.toUpperCase() + s.slice(1);

function idType(pk: FieldIR): string {
  return ["smallint", "integer", "bigint"].includes(pk.type) ? "number" : "string";
}

/** Fields a finder or filter can compare by equality. */
const comparable = (f: FieldIR) => !f.array && f.type !== "json" && f.type !== "binary" && !f.writeOnly && !f.sensitive;

export function emitRepository(entity: EntityIR, ir: ProjectIR): OutputFile {
  const t = entity.varName;
  const pk = entity.fields.find((f) => f.name === entity.primaryKey)!;
  const hidden = hiddenFields(entity);
  const soft = entity.softDelete ? entity.fields.find((f) => f.name === entity.softDelete!.field)! : undefined;
  const imports = new Imports()
    .add("drizzle-orm", "and", "eq", "sql", "count")
    .add("../db/client.js", "db")
    .add(`../db/tables/${entity.fileName}.js`, t)
    .type(`../db/tables/${entity.fileName}.js`, `${entity.name}Row`, `New${entity.name}Row`)
    .add("../lib/pagination.js", "parseSort")
    .add("../lib/prepared.js", "direct");
  if (soft) imports.add("drizzle-orm", "isNull");
  const live = soft ? `isNull(${t}.${soft.name})` : undefined;
  const sel = hidden.length ? "columns" : "";
  const filters = entity.fields.filter(comparable);
  const blocks: string[] = [];

  blocks.push(
    hidden.length
      ? `/** A ${entity.name} as handlers and clients see it (without ${hidden.map((f) => f.name).join(", ")}). */\nexport type ${entity.name} = Omit<${entity.name}Row, ${hidden.map((f) => ts(f.name)).join(" | ")}>;`
      : `/** A ${entity.name} as handlers and clients see it. */\nexport type ${entity.name} = ${entity.name}Row;`,
  );
  if (hidden.length) {
    blocks.push(`const columns = {\n${entity.fields.filter((f) => !hidden.includes(f)).map((f) => `  ${key(f.name)}: ${t}.${f.name},`).join("\n")}\n};`);
  }
  blocks.push(`/** Equality filters: a field set to a value matches it; set to null matches NULL. */
export type ${entity.name}Filters = Partial<Pick<${entity.name}Row, ${filters.map((f) => ts(f.name)).join(" | ")}>>;

export interface ${entity.name}FindAllOptions extends ${entity.name}Filters {
  limit?: number;
  offset?: number;
  /** \`"-createdAt,name"\` or \`"createdAt:desc"\`. */
  orderBy?: string;
}

const sortable = {
${filters.map((f) => `  ${key(f.name)}: ${t}.${f.name},`).join("\n")}
};

function where(filters: ${entity.name}Filters) {
  return and(
${[...(live ? [`    ${live},`] : []), ...filters.map((f) => `    filters.${f.name} === undefined ? undefined : ${f.notNull ? "" : `filters.${f.name} === null ? isNull(${t}.${f.name}) : `}eq(${t}.${f.name}, filters.${f.name}),`)].join("\n")}
  );
}

const byId = direct(db.select(${sel}).from(${t}).where(${live ? `and(eq(${t}.${pk.name}, sql.placeholder("id")), ${live})` : `eq(${t}.${pk.name}, sql.placeholder("id"))`}).prepare(${ts(`${entity.table}_repository_find_by_id`)}));`);
  if (!filters.every((f) => f.notNull)) imports.add("drizzle-orm", "isNull");

  const idT = idType(pk);
  const references = referenceChecks(entity, ir, imports, "../db", `${entity.table}_repository`, false);
  const checks = references.lines((f) => `[data.${f}]`, entity.fields.map((f) => f.name), "    ");
  // Writes of an entity with hooks run them; the handler may pass its request (ctx.request) for them.
  const hooked = (op: "create" | "update" | "delete") => hookRequestArg(entity, op) !== "";
  if ((["create", "update", "delete"] as const).some(hooked)) imports.type("hono", "Context").type("../lib/http.js", "AppEnv");
  const requestParam = (op: "create" | "update" | "delete") => (hooked(op) ? ", request?: Context<AppEnv>" : "");
  const requestDoc = (op: "create" | "update" | "delete") => (hooked(op) ? "/** Runs the create hooks with `request` (the handler's `ctx.raw`) when given. */\n  " : "");
  /** With before-hooks, the argument is `input` and the hooks' result is `data`. */
  const hookedInput = (op: "create" | "update", type: string) => `${hasHooks(entity, "before", op) ? "input" : "data"}: ${type}`;
  /** The hooks' call, after `guard` (e.g. `if (row) `) when given. */
  const hook = (moment: "before" | "after", op: "create" | "update" | "delete", value: string, context: { id?: string; changed?: string }, guard = "") =>
    hookLines(entity, moment, op, value, { ...context, ...(hooked(op) ? { request: "request" } : {}) }, imports, "src/repositories", `    ${guard}`);
  const methods: string[] = [
    `  /** The ${entity.name} with this ${pk.name}, or null. */
  async findById(id: ${idT}): Promise<${entity.name} | null> {
    const [row] = await byId.execute({ id });
    return row ?? null;
  },`,
    `  /** Rows matching the filters, in a stable order (primary key last). */
  async findAll(options: ${entity.name}FindAllOptions = {}): Promise<${entity.name}[]> {
    const { limit, offset, orderBy, ...filters } = options;
    let query = db.select(${sel}).from(${t}).where(where(filters)).orderBy(...parseSort(orderBy, sortable, ${t}.${pk.name})).$dynamic();
    if (limit !== undefined) query = query.limit(limit);
    if (offset !== undefined) query = query.offset(offset);
    return query;
  },`,
    `  async count(filters: ${entity.name}Filters = {}): Promise<number> {
    const [row] = await db.select({ total: count() }).from(${t}).where(where(filters));
    return row?.total ?? 0;
  },`,
    `  ${requestDoc("create")}async create(${hookedInput("create", `New${entity.name}Row`)}${requestParam("create")}): Promise<${entity.name}> {
${hook("before", "create", "input", {})}${checks}    const [row] = await db.insert(${t}).values(data).returning(${sel});
${hook("after", "create", "row!", {})}    return row!;
  },`,
    `  /** Changes the given fields; null when no row has this ${pk.name}. ${hooked("update") ? "Runs the update hooks with `request` (the handler's `ctx.raw`) when given. " : ""}*/
  async update(id: ${idT}, ${hookedInput("update", `Partial<New${entity.name}Row>`)}${requestParam("update")}): Promise<${entity.name} | null> {
${hook("before", "update", "input", { id: "id" })}${checks}    const changes = { ...data${entity.fields.filter((f) => f.autoUpdate).map((f) => `, ${f.name}: sql\`now()\``).join("")} };
    if (Object.keys(changes).length === 0) return this.findById(id);
    const [row] = await db.update(${t}).set(changes).where(${live ? `and(eq(${t}.${pk.name}, id), ${live})` : `eq(${t}.${pk.name}, id)`}).returning(${sel});
${hook("after", "update", "row", { id: "id", changed: "data" }, "if (row) ")}    return row ?? null;
  },`,
    `  /** ${soft ? `Soft-deletes (sets ${soft.name})` : "Deletes"}; false when no row has this ${pk.name}. ${hooked("delete") ? "Runs the delete hooks with `request` when given. " : ""}*/
  async delete(id: ${idT}${requestParam("delete")}): Promise<boolean> {
${hook("before", "delete", "id", { id: "id" })}    const rows = await ${soft ? `db.update(${t}).set({ ${soft.name}: sql\`now()\` }).where(and(eq(${t}.${pk.name}, id), ${live}))` : `db.delete(${t}).where(eq(${t}.${pk.name}, id))`}.returning({ ${pk.name}: ${t}.${pk.name} });
${hook("after", "delete", "id", { id: "id" }, "if (rows.length > 0) ")}    return rows.length > 0;
  },`,
  ];
  for (const f of filters) {
    if (f.primary) continue;
    const one = f.unique;
    methods.push(`  ${one ? `async findBy${upperFirst(f.name)}(value: NonNullable<${entity.name}Row[${ts(f.name)}]>): Promise<${entity.name} | null> {
    const [row] = await this.findAll({ ${f.name}: value, limit: 1 });
    return row ?? null;
  },` : `findBy${upperFirst(f.name)}(value: ${entity.name}Row[${ts(f.name)}]): Promise<${entity.name}[]> {
    return this.findAll({ ${f.name}: value });
  },`}`);
    if (f.type === "boolean") {
      for (const v of [true, false]) {
        methods.push(`  async findByIdAnd${upperFirst(f.name)}Is${v ? "True" : "False"}(id: ${idT}): Promise<${entity.name} | null> {
    const [row] = await this.findAll({ ${pk.name}: id, ${f.name}: ${v}, limit: 1 });
    return row ?? null;
  },`);
      }
    }
  }
  blocks.push(...references.top);
  blocks.push(`/** \`ctx.entities.${entity.name}\` in handlers. */\nexport const ${repositoryName(entity)} = {\n${methods.join("\n\n")}\n};\n\nexport type ${entity.name}Repository = typeof ${repositoryName(entity)};`);
  return { path: `src/repositories/${entity.fileName}.ts`, content: header(`repository for ${entity.name}`, entity.loc) + file(imports.toString(), ...blocks) };
}

export function emitEntities(ir: ProjectIR): OutputFile {
  const imports = new Imports();
  for (const e of ir.entities) imports.add(`./repositories/${e.fileName}.js`, repositoryName(e));
  const body = `/** Typed repositories by entity name: \`ctx.entities.${ir.entities[0]?.name ?? "X"}.findById(id)\`. */
export const entities = {
${ir.entities.map((e) => `  ${e.name}: ${repositoryName(e)},`).join("\n")}
};

export type Entities = typeof entities;`;
  return { path: "src/entities.ts", content: header("repositories by entity", ir.configFile) + file(imports.toString(), body) };
}
