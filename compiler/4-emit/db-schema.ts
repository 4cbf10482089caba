/**
 * Emits the Drizzle schema: one table module per entity (src/db/tables/<entity>.ts),
 * one per junction table, src/db/relations.ts and the src/db/schema.ts barrel that
 * drizzle-kit reads.
 */
import type { ComputedPart, DefaultValue, EntityIR, FieldIR, JunctionIR, ProjectIR } from "../ir.js";
import { columnCode } from "./column-types.js";
import { searchVectorSql } from "./routes.js";
import type { OutputFile } from "./index.js";
import { file, header, Imports, key, literal, ts } from "./writer.js";
import { entityMap, junctionSides } from "../ir-lookup.js";
import { compareText } from "../order.js";

const ACTION: Readonly<Record<string, string>> = {
  cascade: "cascade", "set null": "set null", restrict: "restrict", "no action": "no action", "set default": "set default",
};

function defaultCall(field: FieldIR, value: DefaultValue, imports: Imports): string {
  if (value.kind === "now" && field.type === "date") {
    imports.add("drizzle-orm", "sql");
    return ".default(sql`current_date`)";
  }
  if (value.kind === "now") return ".defaultNow()";
  if (value.kind === "uuid") return ".defaultRandom()";
  if (value.value === null) return "";
  if (field.type === "json" || field.array) {
    return `.default(${literal(value.value)})`;
  }
  if (field.type === "money") return `.default(${ts(String(value.value))})`;
  if ((field.type === "timestamp" || field.type === "timestamplocal") && typeof value.value === "string") {
    return `.default(new Date(${ts(value.value)}))`;
  }
  return `.default(${literal(value.value)})`;
}

function columnLine(entity: EntityIR, field: FieldIR, byName: ReadonlyMap<string, EntityIR>, imports: Imports): string {
  const { builder, call } = columnCode(field);
  imports.add("drizzle-orm/pg-core", builder);
  let line = call;
  if (field.array) line += ".array()";
  if (field.primary) line += ".primaryKey()";
  else if (field.notNull) line += ".notNull()";
  if (field.computedFrom) {
    imports.add("drizzle-orm", "sql");
    line += `.generatedAlwaysAs(sql\`${computedSql(field.computedFrom)}\`)`;
  }
  else if (field.generated && field.default === undefined) {
    if (field.type === "uuid") line += ".defaultRandom()";
    else line += ".generatedByDefaultAsIdentity()";
  }
  if (field.default) line += defaultCall(field, field.default, imports);
  if (field.references) {
    const target = byName.get(field.references.entity)!;
    const targetField = target.fields.find((f) => f.name === field.references!.field)!;
    const options = [`onDelete: ${ts(ACTION[field.references.onDelete]!)}`];
    if (field.references.onUpdate) options.push(`onUpdate: ${ts(ACTION[field.references.onUpdate]!)}`);
    const type = target.name === entity.name ? ": AnyPgColumn" : "";
    if (type) imports.type("drizzle-orm/pg-core", "AnyPgColumn");
    line += `.references(()${type} => ${target.varName}.${targetField.name}, { ${options.join(", ")} })`;
  }
  if (field.type === "enum" && field.enumValues) {
    // The CHECK constraint is added in the table's extra config.
  }
  return `${key(field.name)}: ${line},`;
}

/** A computed field's expression: its parts joined with ||, columns as text, NULL as "" (immutable, as PostgreSQL requires). */
function computedSql(parts: readonly ComputedPart[]): string {
  return parts
    .map((p) => {
      if ("text" in p) return sqlString(p.text);
      const column = `"${p.column}"::text`;
      return p.nullable ? `coalesce(${column}, '')` : column;
    })
    .join(" || ");
}

function sqlString(value: string): string {
  // A SQL string literal inside a JS template literal.
  return `'${value.replace(/'/g, "''")}'`.replace(/\\/g, "\\\\").replace(/`/g, "\\`").replace(/\$\{/g, "\\${");
}

export function emitTable(entity: EntityIR, ir: ProjectIR): OutputFile {
  const imports = new Imports();
  const byName = entityMap(ir);
  imports.add("drizzle-orm/pg-core", "pgTable");
  for (const target of new Set(entity.fields.flatMap((f) => (f.references ? [f.references.entity] : [])))) {
    if (target !== entity.name) imports.add(`./${byName.get(target)!.fileName}.js`, byName.get(target)!.varName);
  }
  const columns = entity.fields.map((f) => `  ${columnLine(entity, f, byName, imports)}`);
  const extras: string[] = [];
  const fields = new Map(entity.fields.map((f) => [f.name, f]));
  for (const index of entity.indexes) {
    const fn = index.unique ? "uniqueIndex" : "index";
    imports.add("drizzle-orm/pg-core", fn);
    const using = index.method && index.method !== "btree" ? `.using(${ts(index.method)}, ${index.fields.map((f) => `t.${f}`).join(", ")})` : `.on(${index.fields.map((f) => `t.${f}`).join(", ")})`;
    const why = index.origin === "foreign-key" ? " // foreign key" : "";
    extras.push(`  ${fn}(${ts(index.name)})${using},${why}`);
  }
  if (entity.crud?.search?.fullText) {
    imports.add("drizzle-orm/pg-core", "index").add("drizzle-orm", "sql");
    const vector = searchVectorSql(entity.crud.search.fields.map((f) => `\${t.${f}}`));
    extras.push(`  index(${ts(`${entity.table}_search_idx`)}).using("gin", sql\`${vector}\`), // full-text search`);
  }
  for (const field of entity.fields) {
    if (field.type !== "enum" || !field.enumValues) continue;
    imports.add("drizzle-orm/pg-core", "check");
    imports.add("drizzle-orm", "sql");
    const list = field.enumValues.map(sqlString).join(", ");
    // An enum array holds only listed values: `<@` (is contained by) is true for an empty array
    // and NULL (so the check passes) for a NULL column, like `in` on a single value.
    const test = field.array ? `<@ ARRAY[${list}]::text[]` : `in (${list})`;
    extras.push(`  check(${ts(`${entity.table}_${field.column}_check`)}, sql\`\${t.${field.name}} ${test}\`),`);
  }
  void fields;
  const doc = `/** ${entity.description ?? entity.name} (${ir.configFile}:${entity.loc.line}). */`;
  const table = extras.length
    ? `export const ${entity.varName} = pgTable(${ts(entity.table)}, {\n${columns.join("\n")}\n}, (t) => [\n${extras.join("\n")}\n]);`
    : `export const ${entity.varName} = pgTable(${ts(entity.table)}, {\n${columns.join("\n")}\n});`;
  const types = `/** A ${entity.name} row as read from the database. */\nexport type ${entity.name}Row = typeof ${entity.varName}.$inferSelect;\n/** What inserting a ${entity.name} needs. */\nexport type New${entity.name}Row = typeof ${entity.varName}.$inferInsert;`;
  return {
    path: `src/db/tables/${entity.fileName}.ts`,
    content: header(`table ${entity.table}`, entity.loc) + file(imports.toString(), `${doc}\n${table}`, types),
  };
}

export function emitJunction(junction: JunctionIR, ir: ProjectIR): OutputFile {
  const byName = entityMap(ir);
  const from = byName.get(junction.from.entity)!;
  const to = byName.get(junction.to.entity)!;
  const imports = new Imports().add("drizzle-orm/pg-core", "index", "pgTable", "primaryKey");
  const col = (side: JunctionIR["from"], entity: EntityIR) => {
    const pk = entity.fields.find((f) => f.name === entity.primaryKey)!;
    const { builder, call } = columnCode({ ...pk, column: side.column });
    imports.add("drizzle-orm/pg-core", builder);
    imports.add(`./${entity.fileName}.js`, entity.varName);
    return `  ${side.field}: ${call}.notNull().references(() => ${entity.varName}.${pk.name}, { onDelete: "cascade" }),`;
  };
  const body = `/** Links ${from.name} and ${to.name} (many-to-many). */
export const ${junction.varName} = pgTable(${ts(junction.table)}, {
${col(junction.from, from)}
${col(junction.to, to)}
}, (t) => [
  primaryKey({ columns: [t.${junction.from.field}, t.${junction.to.field}] }),
  index(${ts(`${junction.table}_${junction.to.column}_idx`)}).on(t.${junction.to.field}), // foreign key
]);`;
  return { path: `src/db/tables/${junctionFile(junction)}.ts`, content: header(`junction table ${junction.table}`, ir.configFile) + file(imports.toString(), body) };
}

export const junctionFile = (j: JunctionIR) => j.table.replace(/_/g, "-");

const relationName = (entity: string, fk: string) => `${entity}.${fk}`;

export function emitRelations(ir: ProjectIR): OutputFile | undefined {
  const byName = entityMap(ir);
  const imports = new Imports().add("drizzle-orm", "relations");
  const blocks: string[] = [];
  for (const entity of ir.entities) {
    if (entity.relations.length === 0) continue;
    imports.add(`./tables/${entity.fileName}.js`, entity.varName);
    const helpers = new Set<string>();
    const lines: string[] = [];
    for (const rel of [...entity.relations].sort((a, b) => compareText(a.name, b.name))) {
      const target = byName.get(rel.target)!;
      imports.add(`./tables/${target.fileName}.js`, target.varName);
      if (rel.kind === "belongsTo") {
        helpers.add("one");
        const fk = entity.fields.find((f) => f.name === rel.foreignKey)!;
        // Drizzle pairs a hasOne with its belongsTo by table, so that pair carries no relationName.
        const pairedWithHasOne = target.relations.some((r) => r.kind === "hasOne" && r.target === entity.name && r.inverse === rel.name);
        const name = pairedWithHasOne ? "" : `, relationName: ${ts(relationName(entity.name, fk.name))}`;
        lines.push(`  ${key(rel.name)}: one(${target.varName}, { fields: [${entity.varName}.${fk.name}], references: [${target.varName}.${fk.references!.field}]${name} }),`);
      } else if (rel.kind === "hasOne") {
        helpers.add("one");
        lines.push(`  ${key(rel.name)}: one(${target.varName}),`);
      } else if (rel.kind === "hasMany") {
        helpers.add("many");
        lines.push(`  ${key(rel.name)}: many(${target.varName}, { relationName: ${ts(relationName(target.name, rel.foreignKey!))} }),`);
      } else {
        helpers.add("many");
        const { junction: j, mine } = junctionSides(rel);
        imports.add(`./tables/${junctionFile(j)}.js`, j.varName);
        lines.push(`  ${key(rel.name)}: many(${j.varName}, { relationName: ${ts(`${j.table}.${mine.field}`)} }),`);
      }
    }
    blocks.push(`export const ${entity.varName}Relations = relations(${entity.varName}, ({ ${[...helpers].sort().join(", ")} }) => ({\n${lines.join("\n")}\n}));`);
  }
  for (const j of ir.junctions) {
    const from = byName.get(j.from.entity)!;
    const to = byName.get(j.to.entity)!;
    imports.add(`./tables/${junctionFile(j)}.js`, j.varName);
    imports.add(`./tables/${from.fileName}.js`, from.varName);
    imports.add(`./tables/${to.fileName}.js`, to.varName);
    const fromPk = from.primaryKey;
    const toPk = to.primaryKey;
    blocks.push(`export const ${j.varName}Relations = relations(${j.varName}, ({ one }) => ({
  ${key(j.from.field.replace(/Id$/, ""))}: one(${from.varName}, { fields: [${j.varName}.${j.from.field}], references: [${from.varName}.${fromPk}], relationName: ${ts(`${j.table}.${j.from.field}`)} }),
  ${key(j.to.field.replace(/Id$/, ""))}: one(${to.varName}, { fields: [${j.varName}.${j.to.field}], references: [${to.varName}.${toPk}], relationName: ${ts(`${j.table}.${j.to.field}`)} }),
}));`);
  }
  if (blocks.length === 0) return undefined;
  return { path: "src/db/relations.ts", content: header("relations between tables", ir.configFile) + file(imports.toString(), blocks.join("\n\n")) };
}

export function emitSchemaIndex(ir: ProjectIR, hasRelations: boolean, pluginTables: readonly string[] = []): OutputFile {
  const lines = [
    ...ir.entities.map((e) => `export * from "./tables/${e.fileName}.js";`),
    ...ir.junctions.map((j) => `export * from "./tables/${junctionFile(j)}.js";`),
    ...pluginTables.map((t) => `export * from "./tables/${t}.js";`),
  ].sort();
  if (hasRelations) lines.push(`export * from "./relations.js";`);
  // Without tables the file must still be a module (src/db/client.ts imports it as one).
  if (lines.length === 0) lines.push("export {};");
  return {
    path: "src/db/schema.ts",
    content: header("database schema; drizzle-kit reads this file", ir.configFile) + file("/** Every table and relation of the app. drizzle-kit generates migrations from this module. */", lines.join("\n")),
  };
}
