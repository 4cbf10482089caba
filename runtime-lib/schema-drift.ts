/**
 * `migrate verify`: the live schema, read from PostgreSQL's catalogs, against drizzle-kit's
 * snapshot of the last applied migration. Compared: tables, columns (type as format_type() prints
 * it, nullability), primary keys, foreign keys, unique and check constraints, indexes by name,
 * enum values. Column defaults are not compared.
 */
import type { SqlSession } from "./migrations.js";

interface SnapshotColumn {
  name: string;
  type: string;
  typeSchema?: string;
  notNull: boolean;
  primaryKey: boolean;
  isUnique?: boolean;
  uniqueName?: string;
}

interface SnapshotTable {
  name: string;
  schema: string;
  columns: Record<string, SnapshotColumn>;
  indexes?: Record<string, unknown>;
  foreignKeys?: Record<string, unknown>;
  compositePrimaryKeys?: Record<string, unknown>;
  uniqueConstraints?: Record<string, unknown>;
  checkConstraints?: Record<string, unknown>;
}

export interface Snapshot {
  tables: Record<string, SnapshotTable>;
  enums?: Record<string, { name: string; schema: string; values: string[] }>;
}

const ALIASES: Record<string, string> = {
  int: "integer", int4: "integer", serial: "integer", serial4: "integer", int8: "bigint", bigserial: "bigint", serial8: "bigint",
  int2: "smallint", smallserial: "smallint", serial2: "smallint", float8: "double precision", float4: "real", decimal: "numeric",
  bool: "boolean", varchar: "character varying", char: "character", timestamptz: "timestamp with time zone", timetz: "time with time zone",
};

/** A type as PostgreSQL's format_type() prints it: `varchar(80)` → `character varying(80)`. */
export function normalizeType(type: string): string {
  let t = type.trim().toLowerCase().replace(/\s+/g, " ").replace(/\s*,\s*/g, ",").replace(/\s*\(\s*/g, "(").replace(/\s*\)/g, ")").replace(/"/g, "");
  let array = "";
  while (t.endsWith("[]")) {
    array += "[]";
    t = t.slice(0, -2);
  }
  const m = /^([a-z0-9_ .]+?)(\([0-9,]+\))?( with(?:out)? time zone)?$/.exec(t);
  if (!m) return t + array;
  let base = m[1]!.replace(/^public\./, "");
  const args = m[2] ?? "";
  let zone = m[3] ?? "";
  base = ALIASES[base] ?? base;
  if ((base === "timestamp" || base === "time") && zone === "") zone = " without time zone";
  return `${base}${args}${zone}${array}`;
}

/** Differences between the live database and a drizzle-kit snapshot, as sentences. */
export async function schemaDrift(s: SqlSession, snapshot: Snapshot): Promise<string[]> {
  const schemaOf = (t: { schema: string }) => t.schema || "public";
  const schemas = [...new Set(["public", ...Object.values(snapshot.tables).map(schemaOf)])];
  const columns = await s.query<{ schema: string; tbl: string; col: string; type: string; not_null: boolean }>(
    `SELECT n.nspname AS schema, c.relname AS tbl, a.attname AS col, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped`,
    [schemas],
  );
  const constraints = await s.query<{ schema: string; tbl: string; name: string; kind: string }>(
    `SELECT n.nspname AS schema, c.relname AS tbl, k.conname AS name, k.contype::text AS kind
       FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1) AND k.contype IN ('f', 'u', 'p', 'c')`,
    [schemas],
  );
  const indexes = await s.query<{ schema: string; tbl: string; name: string }>(
    `SELECT n.nspname AS schema, t.relname AS tbl, i.relname AS name
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname = ANY($1) AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)`,
    [schemas],
  );
  const enums = await s.query<{ schema: string; name: string; label: string }>(
    `SELECT n.nspname AS schema, t.typname AS name, e.enumlabel AS label
       FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = ANY($1) ORDER BY t.typname, e.enumsortorder`,
    [schemas],
  );

  const problems: string[] = [];
  const live = new Map<string, Map<string, { type: string; notNull: boolean }>>();
  for (const c of columns) {
    const key = `${c.schema}.${c.tbl}`;
    if (!live.has(key)) live.set(key, new Map());
    live.get(key)!.set(c.col, { type: normalizeType(c.type), notNull: c.not_null });
  }
  const expectedTables = new Set<string>();
  for (const table of Object.values(snapshot.tables)) {
    const key = `${schemaOf(table)}.${table.name}`;
    expectedTables.add(key);
    const cols = live.get(key);
    if (!cols) {
      problems.push(`table ${table.name} is missing`);
      continue;
    }
    for (const col of Object.values(table.columns)) {
      const have = cols.get(col.name);
      if (!have) {
        problems.push(`column ${table.name}.${col.name} is missing`);
        continue;
      }
      const want = normalizeType(col.type);
      if (have.type !== want) problems.push(`column ${table.name}.${col.name} is ${have.type}, expected ${want}`);
      const notNull = col.notNull || col.primaryKey;
      if (have.notNull !== notNull) problems.push(`column ${table.name}.${col.name} is ${have.notNull ? "NOT NULL" : "nullable"}, expected ${notNull ? "NOT NULL" : "nullable"}`);
    }
    for (const name of cols.keys()) if (!(name in table.columns)) problems.push(`column ${table.name}.${name} is not in the schema`);

    const kinds = new Map(constraints.filter((k) => `${k.schema}.${k.tbl}` === key).map((k) => [k.name, k.kind]));
    const want = new Map<string, string>();
    for (const name of Object.keys(table.foreignKeys ?? {})) want.set(name, "f");
    for (const name of Object.keys(table.uniqueConstraints ?? {})) want.set(name, "u");
    for (const name of Object.keys(table.checkConstraints ?? {})) want.set(name, "c");
    for (const name of Object.keys(table.compositePrimaryKeys ?? {})) want.set(name, "p");
    for (const col of Object.values(table.columns)) if (col.isUnique) want.set(col.uniqueName ?? `${table.name}_${col.name}_unique`, "u");
    const label = { f: "foreign key", u: "unique constraint", c: "check constraint", p: "primary key" } as Record<string, string>;
    for (const [name, kind] of want) if (kinds.get(name) !== kind) problems.push(`${label[kind]} ${name} on ${table.name} is missing`);
    const hasPk = Object.values(table.columns).some((c) => c.primaryKey) || Object.keys(table.compositePrimaryKeys ?? {}).length > 0;
    for (const [name, kind] of kinds) {
      if (kind === "p" && hasPk) continue;
      if (!want.has(name)) problems.push(`${label[kind]} ${name} on ${table.name} is not in the schema`);
    }
    if (hasPk && ![...kinds.values()].includes("p")) problems.push(`the primary key of ${table.name} is missing`);

    const liveIndexes = new Set(indexes.filter((i) => `${i.schema}.${i.tbl}` === key).map((i) => i.name));
    const wantIndexes = new Set(Object.keys(table.indexes ?? {}));
    for (const name of wantIndexes) if (!liveIndexes.has(name)) problems.push(`index ${name} on ${table.name} is missing`);
    for (const name of liveIndexes) if (!wantIndexes.has(name)) problems.push(`index ${name} on ${table.name} is not in the schema`);
  }
  for (const key of live.keys()) if (!expectedTables.has(key)) problems.push(`table ${key.replace(/^public\./, "")} is not in the schema`);

  const liveEnums = new Map<string, string[]>();
  for (const e of enums) {
    const key = `${e.schema}.${e.name}`;
    liveEnums.set(key, [...(liveEnums.get(key) ?? []), e.label]);
  }
  for (const e of Object.values(snapshot.enums ?? {})) {
    const key = `${e.schema || "public"}.${e.name}`;
    const have = liveEnums.get(key);
    if (!have) problems.push(`enum ${e.name} is missing`);
    else if (have.join(",") !== e.values.join(",")) problems.push(`enum ${e.name} has values (${have.join(", ")}), expected (${e.values.join(", ")})`);
    liveEnums.delete(key);
  }
  for (const key of liveEnums.keys()) problems.push(`enum ${key.replace(/^public\./, "")} is not in the schema`);
  return problems;
}
