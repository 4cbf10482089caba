/**
 * Foreign keys to soft-deleting entities. The database's foreign key accepts a soft-deleted row,
 * which the API treats as gone: every write path that sets such a key (CRUD create, bulk create,
 * PUT, PATCH, dialect-B operations, repositories) checks it with one prepared point lookup per
 * target entity and answers 422 VALIDATION_REFERENCE, as for a row that does not exist.
 */
import type { EntityIR, FieldIR, ProjectIR } from "../ir.js";
import { entityNamed } from "../ir-lookup.js";
import { Imports, key, ts } from "./writer.js";

interface SoftReference {
  field: FieldIR;
  target: EntityIR;
}

/** The writable foreign keys of `entity` whose target entity soft-deletes. */
export function softReferences(entity: EntityIR, ir: ProjectIR): SoftReference[] {
  const out: SoftReference[] = [];
  for (const field of entity.fields) {
    if (!field.references || field.generated) continue;
    const target = entityNamed(ir, field.references.entity);
    if (target.softDelete) out.push({ field, target });
  }
  return out;
}

/**
 * The lookups (module-level statements) and the check lines for one module. `dbPath` is the
 * import path of the db folder from the module (`../db`). `statementPrefix` keeps statement names
 * apart between modules.
 */
export function referenceChecks(entity: EntityIR, ir: ProjectIR, imports: Imports, dbPath: string, statementPrefix: string) {
  const refs = softReferences(entity, ir);
  const lookups = new Map<string, string>();
  const top: string[] = [];
  const lookupOf = (ref: SoftReference): string => {
    const id = `${ref.target.name}.${ref.field.references!.field}`;
    let name = lookups.get(id);
    if (name !== undefined) return name;
    const target = ref.target;
    const tv = target.varName;
    const soft = target.softDelete!.field;
    const column = ref.field.references!.field;
    name = `live${target.name}${column === target.primaryKey ? "" : column[0]!.toUpperCase() + column.slice(1)}`;
    lookups.set(id, name);
    imports.add("drizzle-orm", "and", "eq", "isNull", "sql").add("../lib/prepared.js", "direct");
    if (target !== entity) imports.add(`${dbPath}/tables/${target.fileName}.js`, tv);
    const users = refs.filter((r) => r.target === target && r.field.references!.field === column).map((r) => r.field.name);
    top.push(`/** A ${target.name} that is not soft-deleted: ${users.map((u) => `${entity.name}.${u}`).join(" and ")} may only name one of those. */
const ${name} = direct(db.select({ ${key(column)}: ${tv}.${column} }).from(${tv}).where(and(eq(${tv}.${column}, sql.placeholder("id")), isNull(${tv}.${soft}))).prepare(${ts(`${statementPrefix}_live_${target.table}`)}));`);
    return name;
  };
  return {
    any: refs.length > 0,
    top,
    /**
     * `await requireLive(...)` lines for the keys among `bodyFields` (the fields a body may carry);
     * `values(field)` is an array expression of that field's values.
     */
    lines(values: (field: string) => string, bodyFields: readonly string[], indent = "  "): string {
      const checks = refs.filter((r) => bodyFields.includes(r.field.name));
      if (checks.length === 0) return "";
      imports.add("../lib/references.js", "requireLive");
      return checks.map((r) => `${indent}await requireLive(${lookupOf(r)}, ${values(r.field.name)}, ${ts(r.field.name)});\n`).join("");
    },
  };
}
