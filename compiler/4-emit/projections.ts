/**
 * Emits src/projections/<dto>.ts for every DTO with `source:` (see ProjectionIR): the query
 * that reads exactly the DTO's fields from its source entity, with belongsTo paths joined in,
 * and the loaders that attach related rows with one query per relation, whatever the number
 * of rows. Each module exports:
 *
 *   list<Dto>(where, {limit, offset})   the DTOs of the matching rows, in primary-key order
 *   get<Dto>(where)                     the first one, or null
 *   load<Dto>By<Field>(keys)            (when another DTO nests this one) the DTOs grouped by a field
 */
import type { EntityIR, FieldIR, ProjectIR, ProjectionFieldIR, SchemaIR } from "../ir.js";
import { kebabCase } from "../2-analyze/types.js";
import { tsType } from "./column-types.js";
import type { OutputFile } from "./index.js";
import { hiddenFields } from "./validation.js";
import { file, header, Imports, key, literal, ts } from "./writer.js";
import { entityMap } from "../ir-lookup.js";

const upperFirst = (s: string) => s[0]!.toUpperCase() + s.slice(1);

export const projectionModule = (dto: string) => `../projections/${kebabCase(dto)}.js`;
export const projectionFunctions = (dto: string) => ({ list: `list${dto}`, get: `get${dto}` });
const loaderName = (target: string, field: string) => `load${target}By${upperFirst(field)}`;

type Relation = Extract<ProjectionFieldIR, { kind: "relation" }>;

/** The TypeScript type of a key column's values (never null: null keys are skipped). */
const keyType = (field: FieldIR) => tsType({ ...field, notNull: true, array: false });

/** Columns sent to clients, as a Drizzle selection (`{ id: t.id, … }`). */
function visibleSelection(entity: EntityIR, table: string, indent: string): string {
  const hidden = new Set(hiddenFields(entity).map((f) => f.name));
  return `{\n${entity.fields.filter((f) => !hidden.has(f.name)).map((f) => `${indent}  ${key(f.name)}: ${table}.${f.name},`).join("\n")}\n${indent}}`;
}

/** Is this relation a belongsTo (the key lives on the source row and points at the target)? */
function isBelongsTo(source: EntityIR, r: Relation): boolean {
  return source.fields.find((f) => f.name === r.localField)?.references?.entity === r.target;
}

/** Which `load<Dto>By<Field>` functions each DTO module must export, because another DTO nests it. */
function loadersNeeded(ir: ProjectIR): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const s of ir.schemas) {
    for (const f of s.projection?.fields ?? []) {
      if (f.kind !== "relation" || f.shape.kind !== "schema") continue;
      const set = out.get(f.shape.name) ?? new Set<string>();
      set.add(f.remoteField);
      out.set(f.shape.name, set);
    }
  }
  return out;
}

interface Join {
  varName: string;
  entity: EntityIR;
  /** `innerJoin(authorJoin, eq(authorJoin.id, posts.authorId))` */
  code: string;
}

export function emitProjection(schema: SchemaIR, ir: ProjectIR, loaders: ReadonlySet<string>): OutputFile {
  const projection = schema.projection!;
  const entities = entityMap(ir);
  const source = entities.get(projection.entity)!;
  const t = source.varName;
  const pk = source.fields.find((f) => f.name === source.primaryKey)!;
  const Dto = schema.name;
  const fns = projectionFunctions(Dto);
  const imports = new Imports()
    .add("drizzle-orm", "asc")
    .type("drizzle-orm", "SQL")
    .add("../db/client.js", "db")
    .add(`../db/tables/${source.fileName}.js`, t)
    .type("../schemas.js", Dto);
  const blocks: string[] = [];

  // Joins, one per belongsTo path (shared by the fields that read through it).
  const joins = new Map<string, Join>();
  const joinFor = (chain: readonly { from: EntityIR; fk: FieldIR; target: EntityIR }[]): { varName: string; inner: boolean } => {
    let parentVar = t;
    let inner = true;
    let keyPath = "";
    const names: string[] = [];
    for (const step of chain) {
      keyPath += `/${step.fk.name}`;
      names.push(step.fk.name.replace(/Id$/, "") || step.fk.name);
      inner = inner && step.fk.notNull;
      let join = joins.get(keyPath);
      if (!join) {
        const varName = `${names.map((n, i) => (i === 0 ? n : upperFirst(n))).join("")}Join`;
        const remote = step.fk.references?.field ?? step.target.primaryKey;
        imports.add(`../db/tables/${step.target.fileName}.js`, step.target.varName).add("drizzle-orm/pg-core", "alias").add("drizzle-orm", "eq");
        blocks.push(`/** ${step.target.table} joined through ${step.from.name}.${step.fk.name}. */\nconst ${varName} = alias(${step.target.varName}, ${ts(names.map((n) => kebabCase(n).replace(/-/g, "_")).join("_"))});`);
        join = { varName, entity: step.target, code: `.${inner ? "innerJoin" : "leftJoin"}(${varName}, eq(${varName}.${remote}, ${parentVar}.${step.fk.name}))` };
        joins.set(keyPath, join);
      }
      parentVar = join.varName;
    }
    return { varName: parentVar, inner };
  };
  const chainOf = (path: readonly string[]) => {
    const chain: { from: EntityIR; fk: FieldIR; target: EntityIR }[] = [];
    let current = source;
    for (const name of path) {
      const relation = current.relations.find((r) => r.name === name)!;
      const target = entities.get(relation.target)!;
      chain.push({ from: current, fk: current.fields.find((f) => f.name === relation.foreignKey)!, target });
      current = target;
    }
    return chain;
  };

  // The selection: the DTO's columns, belongsTo entities as nested objects, and the keys loaders need.
  const selection: string[] = [];
  const mapping: string[] = [];
  const loads: string[] = [];
  const keyOf = new Map<string, string>();
  const selectKey = (field: string): string => {
    const direct = projection.fields.find((f) => f.kind === "column" && f.path.length === 0 && f.field === field && f.fallback === undefined);
    if (direct) return direct.name;
    let k = keyOf.get(field);
    if (!k) {
      k = `$${field}`;
      keyOf.set(field, k);
      selection.push(`  ${k}: ${t}.${field},`);
    }
    return k;
  };
  for (const f of projection.fields) {
    if (f.kind === "column") {
      const table = f.path.length ? joinFor(chainOf(f.path)).varName : t;
      selection.push(`  ${key(f.name)}: ${table}.${f.field},`);
      mapping.push(`    ${key(f.name)}: row.${f.name}${f.fallback !== undefined ? ` ?? ${literal(f.fallback)}` : ""},`);
      continue;
    }
    const target = entities.get(f.target)!;
    if (f.shape.kind === "entity" && f.cardinality === "one" && isBelongsTo(source, f)) {
      const fk = source.fields.find((x) => x.name === f.localField)!;
      const join = joinFor([{ from: source, fk, target }]);
      selection.push(`  ${key(f.name)}: ${visibleSelection(target, join.varName, "  ")},`);
      mapping.push(`    ${key(f.name)}: row.${f.name},`);
      continue;
    }
    // Loaded with one more query for all rows.
    const local = source.fields.find((x) => x.name === f.localField)!;
    const remote = target.fields.find((x) => x.name === f.remoteField)!;
    const k = selectKey(local.name);
    const mapVar = `${f.name}ByKey`;
    let loader: string;
    if (f.shape.kind === "schema") {
      loader = loaderName(f.shape.name, remote.name);
      imports.add(`./${kebabCase(f.shape.name)}.js`, loader);
    } else {
      loader = loaderName(target.name, remote.name);
      if (!blocks.some((b) => b.includes(`async function ${loader}(`))) blocks.push(entityLoader(target, remote, loader, imports));
    }
    const keys = local.notNull ? `rows.map((row) => row.${k})` : `rows.flatMap((row) => (row.${k} === null ? [] : [row.${k}]))`;
    loads.push(`  const ${mapVar} = await ${loader}(${keys});`);
    const lookup = local.notNull ? `${mapVar}.get(row.${k})` : `(row.${k} === null ? undefined : ${mapVar}.get(row.${k}))`;
    mapping.push(`    ${key(f.name)}: ${f.cardinality === "many" ? `${lookup} ?? []` : f.nullable ? `${lookup}?.[0] ?? null` : `${lookup}![0]!`},`);
  }

  const joinCode = [...joins.values()].map((j) => `\n    ${j.code}`).join("");
  const live = source.softDelete ? `isNull(${t}.${source.softDelete.field})` : undefined;
  if (live) imports.add("drizzle-orm", "and", "isNull");
  const scoped = (where: string) => (live ? `and(${live}, ${where})` : where);
  const readFrom = source.fields.filter((f) => projection.fields.some((p) => p.kind === "column" && p.path.length === 0 && p.field === f.name)).length;
  blocks.push(`/** What ${Dto} reads: ${readFrom} column${readFrom === 1 ? "" : "s"} of ${source.table}${joins.size ? `, and ${[...joins.values()].map((j) => j.entity.table).join(", ")} through ${joins.size === 1 ? "a join" : "joins"}` : ""}; nothing else. */
const fields = {
${selection.join("\n")}
};

function select() {
  return db
    .select(fields)
    .from(${t})${joinCode}
    .$dynamic();
}

type Row = Awaited<ReturnType<typeof select>>[number];

/** Rows to ${Dto} values${loads.length ? `, with their related rows (one query per relation for all rows)` : ""}. */
async function hydrate(rows: readonly Row[]): Promise<${Dto}[]> {
${loads.join("\n")}${loads.length ? "\n" : ""}  return rows.map((row) => ({
${mapping.join("\n")}
  }));
}`);

  blocks.push(`/** ${Dto} views of the ${source.name} rows matching \`where\`, in ${pk.name} order. */
export async function ${fns.list}(where: SQL | undefined, page: { limit?: number; offset?: number } = {}): Promise<${Dto}[]> {
  let query = select().where(${scoped("where")}).orderBy(asc(${t}.${pk.name}));
  if (page.limit !== undefined) query = query.limit(page.limit);
  if (page.offset !== undefined) query = query.offset(page.offset);
  return hydrate(await query);
}

/** The ${Dto} view of the first ${source.name} row matching \`where\`, or null. */
export async function ${fns.get}(where: SQL | undefined): Promise<${Dto} | null> {
  const [first] = await ${fns.list}(where, { limit: 1 });
  return first ?? null;
}`);

  // Loaders by primary key resolve references (even to soft-deleted rows); loaders by another field list children.
  for (const fieldName of [...loaders].sort()) {
    const field = source.fields.find((f) => f.name === fieldName)!;
    const T = keyType(field);
    imports.add("drizzle-orm", "inArray");
    blocks.push(`/** ${Dto} views of the ${source.name} rows whose ${field.name} is one of \`keys\`, grouped by it: one query for all keys. */
export async function ${loaderName(Dto, field.name)}(keys: readonly ${T}[]): Promise<Map<${T}, ${Dto}[]>> {
  const groups = new Map<${T}, ${Dto}[]>();
  if (keys.length === 0) return groups;
  const rows = await db
    .select({ ...fields, $key: ${t}.${field.name} })
    .from(${t})${joinCode}
    .where(${field.primary ? `inArray(${t}.${field.name}, [...new Set(keys)])` : scoped(`inArray(${t}.${field.name}, [...new Set(keys)])`)})
    .orderBy(asc(${t}.${pk.name}));
  const values = await hydrate(rows);
  rows.forEach((row, i) => {${field.notNull ? "" : "\n    if (row.$key === null) return;"}
    const group = groups.get(row.$key);
    if (group) group.push(values[i]!);
    else groups.set(row.$key, [values[i]!]);
  });
  return groups;
}`);
  }
  return { path: `src/projections/${kebabCase(Dto)}.ts`, content: header(`projection ${Dto} of ${source.name}`, schema.loc) + file(imports.toString(), ...blocks) };
}

/** Rows of an entity grouped by one of its fields, for a DTO nesting the entity itself (`comments: Comment[]`). */
function entityLoader(target: EntityIR, remote: FieldIR, name: string, imports: Imports): string {
  const tv = target.varName;
  const pk = target.fields.find((f) => f.name === target.primaryKey)!;
  const T = keyType(remote);
  const hidden = hiddenFields(target);
  const keyVisible = !hidden.includes(remote);
  imports.add(`../db/tables/${target.fileName}.js`, tv).add("drizzle-orm", "inArray").type(`../repositories/${target.fileName}.js`, target.name);
  // A reference by primary key resolves even to a soft-deleted row; lists of children leave deleted ones out.
  const live = target.softDelete && !remote.primary ? `isNull(${tv}.${target.softDelete.field})` : undefined;
  if (live) imports.add("drizzle-orm", "and", "isNull");
  const where = `inArray(${tv}.${remote.name}, [...new Set(keys)])`;
  const sel = keyVisible ? (hidden.length ? visibleSelection(target, tv, "  ") : "") : `{ ...${visibleSelection(target, tv, "  ")}, $key: ${tv}.${remote.name} }`;
  return `/** ${target.name} rows whose ${remote.name} is one of \`keys\`, grouped by it: one query for all keys. */
async function ${name}(keys: readonly ${T}[]): Promise<Map<${T}, ${target.name}[]>> {
  const groups = new Map<${T}, ${target.name}[]>();
  if (keys.length === 0) return groups;
  const rows = await db
    .select(${sel})
    .from(${tv})
    .where(${live ? `and(${live}, ${where})` : where})
    .orderBy(asc(${tv}.${pk.name}));
  for (const ${keyVisible ? "row" : "{ $key, ...row }"} of rows) {
    const value = ${keyVisible ? `row.${remote.name}` : "$key"};${remote.notNull ? "" : "\n    if (value === null) continue;"}
    const group = groups.get(value);
    if (group) group.push(row);
    else groups.set(value, [row]);
  }
  return groups;
}`;
}

export function emitProjections(ir: ProjectIR): OutputFile[] {
  const loaders = loadersNeeded(ir);
  return ir.schemas.filter((s) => s.projection).map((s) => emitProjection(s, ir, loaders.get(s.name) ?? new Set()));
}
