/**
 * Filters (`{field, operator, param | value}`) become the WHERE of a prepared statement. Every
 * decision is made here, at compile time: each operator becomes its Drizzle condition, each
 * optional input a character of the statement's *shape* ("1" when the request sent it), so one
 * statement is prepared per combination of filters actually used and absent filters cost nothing.
 */
import type { BaseType, EntityIR, FieldIR, FilterIR, FilterValue, InputRef } from "../../ir.js";
import { ts } from "../writer.js";
import { readScope } from "../includes.js";
import { callerClaims, callerSetupOnce, callerVar, scopeConditions } from "../policies.js";
import { bindExpr, inputExpr, type Placeholders, type RouteModule } from "./inputs.js";

/**
 * The row policy of `entity`'s CRUD list (`where:` of its policy) as conditions of a prepared
 * statement: a declarative handler reads only the rows the entity's own list would return. The
 * caller values are read once per route (401 without a caller, 403 without the claim) and bound
 * as `caller.<claim>` placeholders, added to `values`.
 */
export function policyConditions(m: RouteModule, entity: EntityIR, values: [string, string][]): string[] {
  const scope = readScope(entity);
  if (scope.length === 0) return [];
  m.lines.push(...callerSetupOnce(entity, scope, m.imports, m.lines));
  for (const { claim } of callerClaims(entity, scope)) {
    if (!values.some(([k]) => k === `caller.${claim}`)) values.push([`caller.${claim}`, callerVar(claim)]);
  }
  return scopeConditions(entity, scope, "placeholder", m.imports);
}

export interface Where {
  /** Conditions (Drizzle expressions); those of optional filters test `shape[i]`. */
  conditions: string[];
  /** One expression per shape character, computed from the request. */
  shape: string[];
  /** Placeholder name → the request expression bound to it. */
  values: [string, string][];
}

/** PostgreSQL array types for `= ANY($1::type[])` (a list bound as one parameter). */
const ARRAY_TYPE: Partial<Record<BaseType, string>> = {
  uuid: "uuid", smallint: "int4", integer: "int4", bigint: "int8", number: "float8", double: "float8", real: "float4",
  decimal: "numeric", money: "numeric", boolean: "bool", date: "date", time: "time", timestamp: "timestamptz",
  timestamplocal: "timestamp", interval: "interval",
};

const LIKE_MODE: Readonly<Record<string, "contains" | "starts" | "ends">> = { like: "contains", ilike: "contains", contains: "contains", startsWith: "starts", endsWith: "ends" };

/** The same escaping as runtime-lib/search.ts, for patterns known at compile time. */
function likeLiteral(value: string, mode: "contains" | "starts" | "ends"): string {
  const escaped = value.replace(/[\\%_]/g, (ch) => `\\${ch}`);
  return mode === "starts" ? `${escaped}%` : mode === "ends" ? `%${escaped}` : `%${escaped}%`;
}

/** A constant from the config as a value of the column's TypeScript type. */
export function literalFor(field: FieldIR, value: string | number | boolean): string {
  if (field.type === "timestamp" || field.type === "timestamplocal") return `new Date(${ts(String(value))})`;
  if (field.type === "money") return ts(String(value));
  return JSON.stringify(value);
}

/** The test for an input the request left out; a JSON body may also send null, which counts as left out. */
const absent = (input: InputRef) => (input.source === "body" ? `${inputExpr(input)} === undefined || ${inputExpr(input)} === null` : `${inputExpr(input)} === undefined`);

/** Presence of an input: always (required), or the shape character that says it was sent. */
type Presence = { always: true } | { always: false; test: string };

export function buildWhere(m: RouteModule, entity: EntityIR, filters: readonly FilterIR[], placeholders: Placeholders): Where {
  const { imports } = m;
  const t = entity.varName;
  const where: Where = { conditions: [], shape: [], values: [] };
  const drizzle = (...names: string[]) => imports.add("drizzle-orm", ...names);
  if (entity.softDelete) {
    drizzle("isNull");
    where.conditions.push(`isNull(${t}.${entity.softDelete.field})`);
  }
  where.conditions.push(...policyConditions(m, entity, where.values));
  const presence = (input: InputRef): Presence => {
    if (input.required) return { always: true };
    const i = where.shape.length;
    where.shape.push(`(${absent(input)} ? "0" : "1")`);
    return { always: false, test: `shape[${i}] === "1"` };
  };
  const bind = (input: InputRef, transform?: (expr: string) => string): string => {
    drizzle("sql");
    const name = placeholders.take(input.name);
    where.values.push([name, transform ? transform(bindExpr(input)) : bindExpr(input)]);
    return `sql.placeholder(${ts(name)})`;
  };
  const guard = (p: Presence, cond: string) => (p.always ? cond : `${p.test} ? ${cond} : undefined`);

  for (const f of filters) {
    const field = entity.fields.find((x) => x.name === f.field)!;
    const col = `${t}.${field.name}`;
    const v: FilterValue | undefined = f.value;
    switch (f.operator) {
      case "isNull": {
        if (!v || (v.kind === "literal" && v.value === true)) {
          drizzle("isNull");
          where.conditions.push(`isNull(${col})`);
        } else if (v.kind === "literal") {
          drizzle("isNotNull");
          where.conditions.push(`isNotNull(${col})`);
        } else {
          // true: IS NULL, false: IS NOT NULL, absent: no condition.
          drizzle("isNull", "isNotNull");
          const i = where.shape.length;
          const ref = inputExpr(v.input);
          where.shape.push(v.input.required ? `(${ref} ? "1" : "2")` : `(${absent(v.input)} ? "0" : ${ref} ? "1" : "2")`);
          where.conditions.push(`shape[${i}] === "1" ? isNull(${col}) : ${v.input.required ? "" : `shape[${i}] === "2" ? `}isNotNull(${col})${v.input.required ? "" : " : undefined"}`);
        }
        break;
      }
      case "between": {
        const lo = v!;
        const hi = f.upper!;
        if (lo.kind === "literal" && hi.kind === "literal") {
          drizzle("between");
          where.conditions.push(`between(${col}, ${literalFor(field, lo.value as string | number)}, ${literalFor(field, hi.value as string | number)})`);
          break;
        }
        // Both bounds sent: BETWEEN; one: >= or <=.
        const a = lo.kind === "input" ? lo.input : undefined;
        const b = hi.kind === "input" ? hi.input : undefined;
        const pa = a ? presence(a) : { always: true as const };
        const pb = b ? presence(b) : { always: true as const };
        const va = a ? bind(a) : literalFor(field, (lo as { value: string | number }).value);
        const vb = b ? bind(b) : literalFor(field, (hi as { value: string | number }).value);
        const A = pa.always ? undefined : pa.test;
        const B = pb.always ? undefined : pb.test;
        const range = `between(${col}, ${va}, ${vb})`;
        drizzle("between");
        if (A) drizzle("lte");
        if (B) drizzle("gte");
        if (!A && !B) where.conditions.push(range);
        else if (A && B) where.conditions.push(`${A} && ${B}\n  ? ${range}\n  : ${A}\n    ? gte(${col}, ${va})\n    : ${B}\n      ? lte(${col}, ${vb})\n      : undefined`);
        else if (A) where.conditions.push(`${A} ? ${range} : lte(${col}, ${vb})`);
        else where.conditions.push(`${B} ? ${range} : gte(${col}, ${va})`);
        break;
      }
      case "in":
      case "notIn": {
        if (v!.kind === "literal") {
          const list = (v!.value as readonly (string | number | boolean)[]).map((x) => literalFor(field, x)).join(", ");
          drizzle(f.operator === "in" ? "inArray" : "notInArray");
          where.conditions.push(`${f.operator === "in" ? "inArray" : "notInArray"}(${col}, [${list}])`);
        } else {
          // The list is bound as one array parameter: one statement whatever its length.
          const p = presence(v!.input);
          const ph = bind(v!.input);
          const type = ARRAY_TYPE[field.type] ?? "text";
          const cond = f.operator === "in" ? `sql\`\${${col}} = any(\${${ph}}::${type}[])\`` : `sql\`\${${col}} <> all(\${${ph}}::${type}[])\``;
          where.conditions.push(guard(p, cond));
        }
        break;
      }
      case "like":
      case "ilike":
      case "contains":
      case "startsWith":
      case "endsWith": {
        const fn = f.operator === "ilike" ? "ilike" : "like";
        drizzle(fn);
        const mode = LIKE_MODE[f.operator]!;
        if (v!.kind === "literal") where.conditions.push(`${fn}(${col}, ${ts(likeLiteral(String(v!.value), mode))})`);
        else {
          // The input matches literally: %, _ and \ are escaped before it is bound.
          imports.add("../lib/queries.js", "likeValue");
          const p = presence(v!.input);
          where.conditions.push(guard(p, `${fn}(${col}, ${bind(v!.input, (e) => `likeValue(${e}, ${ts(mode)})`)})`));
        }
        break;
      }
      default: {
        drizzle(f.operator);
        if (v!.kind === "literal") where.conditions.push(`${f.operator}(${col}, ${literalFor(field, v!.value as string | number | boolean)})`);
        else {
          const p = presence(v!.input);
          where.conditions.push(guard(p, `${f.operator}(${col}, ${bind(v!.input)})`));
        }
      }
    }
  }
  return where;
}

/** `and(...)` of the conditions, or the one condition, or undefined when there is none. */
export function whereExpr(m: RouteModule, where: Where, indent = "    "): string | undefined {
  if (where.conditions.length === 0) return undefined;
  if (where.conditions.length === 1) return where.conditions[0]!.replace(/\n/g, `\n${indent}`);
  m.imports.add("drizzle-orm", "and");
  return `and(\n${where.conditions.map((c) => `${indent}  ${c.replace(/\n/g, `\n${indent}  `)},`).join("\n")}\n${indent})`;
}

/** The statement computing the shape, or nothing when every condition is unconditional. */
export function shapeLine(where: Where): string | undefined {
  if (where.shape.length === 0) return undefined;
  return `  const shape = ${where.shape.join(" +\n    ")};`;
}

/** The object bound to a prepared statement's placeholders. */
export function valuesObject(values: readonly [string, string][]): string {
  if (values.length === 0) return "";
  const entries = values.map(([k, v]) => (k === v ? k : `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : ts(k)}: ${v}`));
  const inline = `{ ${entries.join(", ")} }`;
  return inline.length <= 80 ? inline : `{\n${entries.map((e) => `    ${e},`).join("\n")}\n  }`;
}
