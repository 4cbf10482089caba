/**
 * `?include=` on CRUD reads: a loader per relation that fetches the related rows of a whole
 * page in one query (never one per row) and attaches them to each row. Including a relation
 * needs what reading its entity needs (its read rule, checked before any query) and leaves out
 * the rows that entity's own list would leave out (row policy, soft delete, hidden fields).
 */
import type { AuthRequirementIR, EntityIR, FieldIR, ProjectIR, RelationIR, RowConditionIR } from "../ir.js";
import { accessRule } from "../plugins/auth/emit.js";
import { crudAccess, ruleImplies } from "../plugins/auth/rules.js";
import { callerClaims, callerVar, scopeConditions } from "./policies.js";
import { hiddenFields } from "./validation.js";
import { type Imports, key, ts } from "./writer.js";
import { entityNamed, junctionSides } from "../ir-lookup.js";
import { compareText } from "../order.js";

/** `{ id: tags.id, … }` when the entity has fields clients never see, else the whole table. */
export function publicSelection(entity: EntityIR): string {
  const hidden = hiddenFields(entity);
  if (hidden.length === 0) return entity.varName;
  return `{ ${entity.fields.filter((f) => !hidden.includes(f)).map((f) => `${key(f.name)}: ${entity.varName}.${f.name}`).join(", ")} }`;
}

/** `row.name` for identifiers, `row["…"]` otherwise. */
const prop = (name: string) => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? `.${name}` : `[${ts(name)}]`);

const keyHelper = (field: FieldIR) => (["smallint", "integer", "bigint"].includes(field.type) ? "numberKeys" : "stringKeys");

/** The row policy of a relation's target: the `where:` of the policy on its CRUD list, which `?include=` honours too. */
export function readScope(target: EntityIR): readonly RowConditionIR[] {
  return target.crud?.auth?.list?.where ?? [];
}

/** Whether some includable relation's rows are filtered by the caller (loadIncludes then takes the caller). */
export function includesNeedCaller(entity: EntityIR, ir: ProjectIR): boolean {
  return entity.relations.some((r) => readScope(entityNamed(ir, r.target)).some((c) => c.value.kind === "caller"));
}

/**
 * The relations whose entity has a read rule the reading routes' own rules do not already imply,
 * with that rule: including one checks it as the entity's own GET would (401, 403).
 */
export function includeRules(entity: EntityIR, ir: ProjectIR): { relation: RelationIR; rule: AuthRequirementIR }[] {
  const own = [crudAccess(ir, entity, "list").rule, crudAccess(ir, entity, "get").rule];
  return [...entity.relations]
    .sort((a, b) => compareText(a.name, b.name))
    .flatMap((relation) => {
      const rule = crudAccess(ir, entityNamed(ir, relation.target), "list").rule;
      return rule && !own.every((r) => ruleImplies(r, rule)) ? [{ relation, rule }] : [];
    });
}

/** `authorizeIncludes(c, include)`: the read rule of each requested relation's entity; undefined when no relation needs one. */
function emitIncludeChecks(entity: EntityIR, ir: ProjectIR, imports: Imports): string | undefined {
  const rules = includeRules(entity, ir);
  if (rules.length === 0) return undefined;
  imports.add("../lib/auth.js", "authorize").type("hono", "Context");
  const checks = rules.map(({ relation, rule }) => {
    const args = accessRule(rule);
    return `  if (include.includes(${ts(relation.name)})) authorize(c${args ? `, ${args}` : ""}); // ${relation.target}${rule.policy ? ` (policy ${rule.policy})` : ""}`;
  });
  return `/** Including a relation needs what reading its entity needs: 401 or 403 before any query runs. */
function authorizeIncludes(c: Context<AppEnv>, include: readonly string[]): void {
${checks.join("\n")}
}`;
}

function loader(entity: EntityIR, rel: RelationIR, ir: ProjectIR, imports: Imports): string {
  const target = entityNamed(ir, rel.target);
  imports.add(`../db/tables/${target.fileName}.js`, target.varName);
  const pk = entity.fields.find((f) => f.name === entity.primaryKey)!;
  const targetSoft = target.softDelete ? `isNull(${target.varName}.${target.softDelete.field})` : undefined;
  if (targetSoft) imports.add("drizzle-orm", "isNull");
  // Related rows outside the target's policy are left out, as its own routes would leave them out.
  const scope = readScope(target);
  const claims = callerClaims(target, scope);
  const extra = [...(targetSoft ? [targetSoft] : []), ...scopeConditions(target, scope, "value", imports)];
  const live = (cond: string) => (extra.length ? (imports.add("drizzle-orm", "and"), `and(${[cond, ...extra].join(", ")})`) : cond);
  if (claims.length) imports.add("../lib/policy.js", "callerClaim");
  const setup = claims.map(({ claim, kind }) => `      const ${callerVar(claim)} = callerClaim(auth, ${ts(claim)}, ${ts(kind)});
`).join("");
  const none = claims.map(({ claim }) => ` || ${callerVar(claim)} === undefined`).join("");
  const selectTarget = publicSelection(target);
  const plainSelect = selectTarget === target.varName ? "" : selectTarget;
  imports.add("drizzle-orm", "inArray");
  switch (rel.kind) {
    case "belongsTo": {
      const fk = entity.fields.find((f) => f.name === rel.foreignKey)!;
      const targetPk = fk.references!.field;
      imports.add("../lib/shape.js", keyHelper(fk));
      return `    case ${ts(rel.name)}: {
${setup}      const keys = ${keyHelper(fk)}(rows, ${ts(fk.name)});
      const related = keys.length === 0${none} ? [] : await db.select(${plainSelect}).from(${target.varName}).where(${live(`inArray(${target.varName}.${targetPk}, keys)`)});
      const byKey = new Map<unknown, unknown>(related.map((r) => [r.${targetPk}, r]));
      for (const row of rows) row${prop(rel.name)} = byKey.get(row${prop(fk.name)}) ?? null;
      break;
    }`;
    }
    case "hasOne":
    case "hasMany": {
      const fk = target.fields.find((f) => f.name === rel.foreignKey)!;
      imports.add("../lib/shape.js", keyHelper(pk), "groupBy");
      const attach = rel.kind === "hasOne" ? `groups.get(row${prop(pk.name)})?.[0] ?? null` : `groups.get(row${prop(pk.name)}) ?? []`;
      return `    case ${ts(rel.name)}: {
${setup}      const keys = ${keyHelper(pk)}(rows, ${ts(pk.name)});
      const related = keys.length === 0${none} ? [] : await db.select(${plainSelect}).from(${target.varName}).where(${live(`inArray(${target.varName}.${fk.name}, keys)`)}).orderBy(${target.varName}.${target.primaryKey});
      const groups = groupBy(related, (r) => r.${fk.name});
      for (const row of rows) row${prop(rel.name)} = ${attach};
      break;
    }`;
    }
    case "manyToMany": {
      const { junction: j, mine, theirs } = junctionSides(rel);
      const targetPk = target.primaryKey;
      imports.add(`../db/tables/${j.table.replace(/_/g, "-")}.js`, j.varName).add("drizzle-orm", "eq").add("../lib/shape.js", keyHelper(pk), "groupBy");
      return `    case ${ts(rel.name)}: {
${setup}      const keys = ${keyHelper(pk)}(rows, ${ts(pk.name)});
      const related = keys.length === 0${none} ? [] : await db
        .select({ owner: ${j.varName}.${mine.field}, item: ${selectTarget} })
        .from(${j.varName})
        .innerJoin(${target.varName}, eq(${j.varName}.${theirs.field}, ${target.varName}.${targetPk}))
        .where(${live(`inArray(${j.varName}.${mine.field}, keys)`)})
        .orderBy(${target.varName}.${targetPk});
      const groups = groupBy(related, (r) => r.owner);
      for (const row of rows) row${prop(rel.name)} = (groups.get(row${prop(pk.name)}) ?? []).map((r) => r.item);
      break;
    }`;
    }
  }
}

/**
 * The `loadIncludes` function, the list of includable names and, when some relation's entity has
 * a read rule of its own, `authorizeIncludes`; undefined when the entity has no relations.
 */
export function emitIncludes(entity: EntityIR, ir: ProjectIR, imports: Imports): string | undefined {
  if (entity.relations.length === 0) return undefined;
  const rels = [...entity.relations].sort((a, b) => compareText(a.name, b.name));
  const cases = rels.map((r) => loader(entity, r, ir, imports).replace(/^/gm, "  "));
  const caller = includesNeedCaller(entity, ir);
  if (caller) imports.type("../lib/http.js", "RequestAuth");
  const checks = emitIncludeChecks(entity, ir, imports);
  return `/** Relations \`?include=\` can load. */
const includable = [${rels.map((r) => ts(r.name)).join(", ")}];
${checks ? `\n${checks}\n` : ""}
/** Loads the requested relations for a page of rows: one query per relation, whatever the page size. */
async function loadIncludes(rows: Record<string, unknown>[], include: readonly string[]${caller ? ", auth: RequestAuth | undefined" : ""}): Promise<void> {
  for (const name of include) {
    switch (name) {
${cases.join("\n")}
    }
  }
}`;
}
