/**
 * Foreign keys the database alone would let through. Its foreign key accepts a soft-deleted row,
 * which the API treats as gone, and a row the caller may not read under the target's row policy
 * (another tenant's contact), which would link rows across owners and tell a caller which keys
 * exist. Every write path that sets such a key (CRUD create, bulk create, PUT, PATCH, dialect-B
 * operations; repositories for soft deletes, since they run without a caller) checks it with one
 * prepared point lookup per target and answers 422 VALIDATION_REFERENCE, as for a row that does
 * not exist.
 */
import type { EntityIR, FieldIR, ProjectIR } from "../ir.js";
import { entityNamed } from "../ir-lookup.js";
import { readScope } from "./includes.js";
import { callerClaims, scopeConditions } from "./policies.js";
import { Imports, key, ts } from "./writer.js";

interface CheckedReference {
  field: FieldIR;
  target: EntityIR;
}

/**
 * The part of a target's row policy a reference must satisfy: its conditions on fields other than
 * the primary key. A policy on the key itself (`self: {where: {id: auth.user.id}}` on the users)
 * keeps other users' rows private to read, but a task may still name another user as assignee.
 */
function referenceScope(target: EntityIR) {
  return readScope(target).filter((c) => c.field !== target.primaryKey);
}

/**
 * The writable foreign keys of `entity` the database cannot check alone: their target soft-deletes,
 * or (with `policies`) its CRUD list has a row policy on a field other than its key.
 */
function checkedReferences(entity: EntityIR, ir: ProjectIR, policies: boolean): CheckedReference[] {
  const out: CheckedReference[] = [];
  for (const field of entity.fields) {
    if (!field.references || field.generated) continue;
    const target = entityNamed(ir, field.references.entity);
    if (target.softDelete || (policies && referenceScope(target).length > 0)) out.push({ field, target });
  }
  return out;
}

/**
 * The lookups (module-level statements) and the check lines for one module. `dbPath` is the
 * import path of the db folder from the module (`../db`). `statementPrefix` keeps statement names
 * apart between modules. `caller`: the module's code runs in a request (`c`), so row policies of
 * the targets apply; repositories have no caller.
 */
export function referenceChecks(entity: EntityIR, ir: ProjectIR, imports: Imports, dbPath: string, statementPrefix: string, caller = true) {
  const refs = checkedReferences(entity, ir, caller);
  const lookups = new Map<string, string>();
  const top: string[] = [];
  const lookupOf = (ref: CheckedReference): string => {
    const id = `${ref.target.name}.${ref.field.references!.field}`;
    let name = lookups.get(id);
    if (name !== undefined) return name;
    const target = ref.target;
    const tv = target.varName;
    const column = ref.field.references!.field;
    const scope = caller ? referenceScope(target) : [];
    name = `${target.softDelete ? "live" : "visible"}${target.name}${column === target.primaryKey ? "" : column[0]!.toUpperCase() + column.slice(1)}`;
    lookups.set(id, name);
    imports.add("drizzle-orm", "eq", "sql").add("../lib/prepared.js", "direct");
    if (target !== entity) imports.add(`${dbPath}/tables/${target.fileName}.js`, tv);
    const conds = [`eq(${tv}.${column}, sql.placeholder("id"))`];
    if (target.softDelete) {
      imports.add("drizzle-orm", "isNull");
      conds.push(`isNull(${tv}.${target.softDelete.field})`);
    }
    conds.push(...scopeConditions(target, scope, "placeholder", imports));
    if (conds.length > 1) imports.add("drizzle-orm", "and");
    const users = refs.filter((r) => r.target === target && r.field.references!.field === column).map((r) => `${entity.name}.${r.field.name}`);
    const what = [target.softDelete ? "that is not soft-deleted" : "", scope.length ? `that the caller may read (policy ${target.crud!.auth!.list!.policy})` : ""].filter(Boolean).join(" and ");
    top.push(`/** A ${target.name} ${what}: ${users.join(" and ")} may only name one of those. */
const ${name} = direct(db.select({ ${key(column)}: ${tv}.${column} }).from(${tv}).where(${conds.length > 1 ? `and(${conds.join(", ")})` : conds[0]}).prepare(${ts(`${statementPrefix}_${target.softDelete ? "live" : "visible"}_${target.table}`)}));`);
    return name;
  };
  /** `, { "caller.id": callerValue(c, "id", "uuid") }`: the caller values a lookup's policy binds. */
  const callerValues = (ref: CheckedReference): string => {
    const claims = caller ? callerClaims(ref.target, referenceScope(ref.target)) : [];
    if (claims.length === 0) return "";
    imports.add("../lib/policy.js", "callerValue");
    return `, { ${claims.map(({ claim, kind }) => `${ts(`caller.${claim}`)}: callerValue(c, ${ts(claim)}, ${ts(kind)})`).join(", ")} }`;
  };
  return {
    top,
    /**
     * `await requireLive(...)` lines for the keys among `bodyFields` (the fields a body may carry);
     * `values(field)` is an array expression of that field's values.
     */
    lines(values: (field: string) => string, bodyFields: readonly string[], indent = "  "): string {
      const checks = refs.filter((r) => bodyFields.includes(r.field.name));
      if (checks.length === 0) return "";
      imports.add("../lib/references.js", "requireLive");
      return checks.map((r) => `${indent}await requireLive(${lookupOf(r)}, ${values(r.field.name)}, ${ts(r.field.name)}${callerValues(r)});\n`).join("");
    },
  };
}
