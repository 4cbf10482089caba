/**
 * Which index serves each condition of a statement, from the indexes the IR declares (the same
 * ones the table modules and migrations create): the primary key, unique and `indexed` fields,
 * `indexes:`, foreign keys, and the full-text GIN index of `crud.search.fullText`.
 */
import type { EntityIR, FieldIR, ProjectIR } from "../ir.js";
import type { ColumnUse, Condition } from "./statements.js";

export interface IndexUse {
  /** The input or rule the condition comes from (`?category`, `:id`). */
  what: string;
  entity: EntityIR;
  field: FieldIR;
  how: ColumnUse;
  /** The index that serves it; absent: none can. */
  index?: string;
  /** What to change in yama.yaml when no index serves it. */
  suggestion?: string;
  origin: Condition["origin"];
}

interface KnownIndex {
  name: string;
  columns: readonly string[];
  method: string;
}

export function indexesOf(entity: EntityIR): KnownIndex[] {
  const pk = entity.fields.find((f) => f.name === entity.primaryKey)!;
  const out: KnownIndex[] = [{ name: `${entity.table}_pkey`, columns: [pk.name], method: "btree" }];
  for (const i of entity.indexes) out.push({ name: i.name, columns: i.fields, method: i.method ?? "btree" });
  if (entity.crud?.search?.fullText) out.push({ name: `${entity.table}_search_idx`, columns: entity.crud.search.fields, method: "gin-fulltext" });
  return out;
}

/** The index whose leading column can answer `how` on `field`, if any. */
function servingIndex(entity: EntityIR, field: FieldIR, how: ColumnUse): string | undefined {
  const all = indexesOf(entity);
  if (how === "fulltext") return all.find((i) => i.method === "gin-fulltext" && i.columns.includes(field.name))?.name;
  if (how === "like") return undefined;
  return all.find((i) => i.columns[0] === field.name && (i.method === "btree" || (i.method === "hash" && how === "eq")))?.name;
}

/** The change to yama.yaml that gives these fields of one entity an index serving `how`. */
export function suggestIndex(entity: EntityIR, fields: readonly FieldIR[], how: ColumnUse, origin: Condition["origin"], configFile: string): string {
  if (how === "like") {
    if (origin === "crud-search") {
      return `set \`crud.search.fullText: true\` on ${entity.name} in ${configFile}: the search then uses a GIN full-text index. An ILIKE '%…%' match cannot use a B-tree index; a pg_trgm GIN index would serve it, but yama.yaml cannot declare one yet (create it in a hand-written migration)`;
    }
    return `a LIKE/ILIKE match with a leading wildcard cannot use a B-tree index: prefer an equality or range filter, or add a pg_trgm GIN index on ${fields.map((f) => `${entity.table}.${f.column}`).join(", ")} in a hand-written migration (yama.yaml cannot declare one yet)`;
  }
  if (how === "fulltext") return `set \`crud.search.fullText: true\` on ${entity.name} in ${configFile} (its migration creates ${entity.table}_search_idx)`;
  const example = fields[0]!;
  const them = fields.length === 1 ? "the field" : "these fields";
  return `add \`indexed\` to ${them} in ${configFile} (\`${example.name}: <type> indexed\`), or list ${fields.length === 1 ? "it" : "them"} under \`${entity.name}.indexes\`; then \`yamac migrate generate\``;
}

export function indexUses(conditions: readonly Condition[], ir: ProjectIR): IndexUse[] {
  const out: IndexUse[] = [];
  for (const c of conditions) {
    for (const u of c.uses) {
      if (u.softDelete) continue;
      const index = servingIndex(u.entity, u.field, u.how);
      const what = c.when ?? c.label ?? (c.origin === "key" ? "primary key" : c.origin === "parent" ? "parent key" : c.origin === "cursor" ? "?cursor" : `${u.field.name} filter`);
      out.push({ what, entity: u.entity, field: u.field, how: u.how, origin: c.origin, ...(index ? { index } : { suggestion: suggestIndex(u.entity, [u.field], u.how, c.origin, ir.configFile) }) });
    }
  }
  return out;
}
