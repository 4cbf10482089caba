/**
 * Row policies in emitted statements: a policy's `where:` becomes extra conditions in the WHERE
 * of the route's statements, with the caller's values bound as parameters (placeholders named
 * `caller.<claim>` in prepared statements). Creates set the policy's columns instead, so a new
 * row always belongs to its creator. Field rules (`writableBy`) are checked after validation.
 */
import type { EntityIR, FieldIR, RowConditionIR } from "../ir.js";
import { pascalCase } from "../2-analyze/types.js";
import { roleRuledFields } from "./statuses.js";
import { type Imports, key, literal, ts } from "./writer.js";

/** The column kind runtime-lib's callerValue converts a claim to. */
export function columnKind(field: FieldIR): "uuid" | "integer" | "text" {
  if (field.type === "uuid") return "uuid";
  if (["smallint", "integer", "bigint"].includes(field.type)) return "integer";
  return "text";
}

/** `callerId`, `callerTenantId`: the local variable holding a caller value. */
export const callerVar = (claim: string) => `caller${pascalCase(claim)}`;

/** Claims a scope compares with, each once, with the kind of the first column it meets. */
export function callerClaims(entity: EntityIR, scope: readonly RowConditionIR[]): { claim: string; kind: "uuid" | "integer" | "text" }[] {
  const out = new Map<string, "uuid" | "integer" | "text">();
  for (const c of scope) {
    if (c.value.kind !== "caller" || out.has(c.value.claim)) continue;
    out.set(c.value.claim, columnKind(entity.fields.find((f) => f.name === c.field)!));
  }
  return [...out].map(([claim, kind]) => ({ claim, kind }));
}

/** `  const callerId = callerValue(c, "id", "uuid");` for each claim (403 for a caller that cannot own rows). */
export function callerSetup(entity: EntityIR, scope: readonly RowConditionIR[], imports: Imports): string {
  const claims = callerClaims(entity, scope);
  if (claims.length) imports.add("../lib/policy.js", "callerValue");
  return claims.map(({ claim, kind }) => `  const ${callerVar(claim)} = callerValue(c, ${ts(claim)}, ${ts(kind)});\n`).join("");
}

/** callerSetup's lines that `existing` (a route's lines so far) does not already declare: each caller variable once per route. */
export function callerSetupOnce(entity: EntityIR, scope: readonly RowConditionIR[], imports: Imports, existing: readonly string[]): string[] {
  return callerSetup(entity, scope, imports)
    .split("\n")
    .filter((line) => {
      const name = /const (\w+) =/.exec(line)?.[1];
      return name !== undefined && !existing.some((l) => l.includes(`const ${name} =`));
    });
}

/** `, "caller.id": callerId` for a prepared statement's arguments. */
export function callerArgs(entity: EntityIR, scope: readonly RowConditionIR[]): string {
  return callerClaims(entity, scope).map(({ claim }) => `, ${ts(`caller.${claim}`)}: ${callerVar(claim)}`).join("");
}

/** The conditions as Drizzle expressions: `placeholder` for prepared statements, `value` to use the local variables. */
export function scopeConditions(entity: EntityIR, scope: readonly RowConditionIR[], mode: "placeholder" | "value", imports: Imports): string[] {
  const t = entity.varName;
  return scope.map((c) => {
    if (c.value.kind === "literal" && c.value.value === null) {
      imports.add("drizzle-orm", "isNull");
      return `isNull(${t}.${c.field})`;
    }
    imports.add("drizzle-orm", "eq");
    if (c.value.kind === "literal") return `eq(${t}.${c.field}, ${literal(c.value.value)})`;
    if (mode === "placeholder") {
      imports.add("drizzle-orm", "sql");
      return `eq(${t}.${c.field}, sql.placeholder(${ts(`caller.${c.value.claim}`)}))`;
    }
    return `eq(${t}.${c.field}, ${callerVar(c.value.claim)})`;
  });
}

/** `authorId: callerId, published: true`: the columns a create sets from the policy. */
export function scopeValues(scope: readonly RowConditionIR[], mode: "placeholder" | "value"): string[] {
  return scope.map((c) => {
    const value = c.value.kind === "literal" ? literal(c.value.value) : mode === "placeholder" ? `sql.placeholder(${ts(`caller.${c.value.claim}`)})` : callerVar(c.value.claim);
    return `${key(c.field)}: ${value}`;
  });
}

/** "only rows whose authorId is the caller's id". */
export function rowsText(scope: readonly RowConditionIR[]): string {
  const parts = scope.map((c) => `${c.field} ${c.value.kind === "caller" ? `is the caller's ${c.value.claim === "id" ? "id" : c.value.claim}` : `is ${literal(c.value.value)}`}`);
  return `only rows whose ${parts.join(" and ")}`;
}

/** "Policy owner: only rows whose authorId is the caller's id.", for route comments. */
export function scopeText(policy: string, scope: readonly RowConditionIR[]): string {
  return `Policy ${policy}: ${rowsText(scope)}.`;
}

/** "sets authorId to the caller's id", for the comment of a create route. */
export function scopeSetText(policy: string, scope: readonly RowConditionIR[]): string {
  const parts = scope.map((c) => `${c.field} to ${c.value.kind === "caller" ? `the caller's ${c.value.claim}` : literal(c.value.value)}`);
  return `Policy ${policy}: sets ${parts.join(" and ")}.`;
}

/** The fields with `writableBy` among those a body may carry, as `{ field: ["role"] }`; undefined when none. */
export function fieldRoleRules(fields: readonly FieldIR[]): string | undefined {
  const ruled = roleRuledFields(fields);
  if (ruled.length === 0) return undefined;
  return `{ ${ruled.map((f) => `${key(f.name)}: [${f.writableBy!.map(ts).join(", ")}]`).join(", ")} }`;
}
