/**
 * The filter grammar of `query` and `aggregate` handlers: `[{field, operator, param | value}]`.
 * Each filter is checked against the field's type (operator, request value, constant).
 */
import { closest } from "../../diagnostics.js";
import type { EntityIR, FieldIR, FilterIR, FilterOperator, FilterValue } from "../../ir.js";
import { classOf, compatible, comparable, isSearchable, resolveField, resolveInput, type HandlerScope } from "./common.js";
import { checkKeys, type ConfigNode, isRecord } from "./node.js";


export const OPERATORS: readonly FilterOperator[] = ["eq", "ne", "gt", "gte", "lt", "lte", "in", "notIn", "like", "ilike", "contains", "startsWith", "endsWith", "isNull", "between"];
export const LIKE_OPERATORS: ReadonlySet<FilterOperator> = new Set(["like", "ilike", "contains", "startsWith", "endsWith"]);
const RANGE_OPERATORS: ReadonlySet<FilterOperator> = new Set(["gt", "gte", "lt", "lte", "between"]);
const FILTER_KEYS = ["field", "operator", "param", "value"];

type Literal = string | number | boolean;

function checkLiteral(field: FieldIR, value: unknown, node: ConfigNode, scope: HandlerScope, entity: EntityIR): value is Literal {
  const cls = classOf(field.type);
  const where = `${entity.name}.${field.name} (${field.type})`;
  const fail = (expected: string) => {
    scope.report.error("bad-filter", `the value ${JSON.stringify(value)} cannot be compared with ${where}`, node.loc(), `write ${expected}`);
    return false;
  };
  if (cls === "number") return typeof value === "number" || (field.type === "money" && typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value)) || fail("a number");
  if (cls === "boolean") return typeof value === "boolean" || fail("true or false");
  if (typeof value !== "string") return fail(cls === "time" ? "a date or time as a string" : "a string");
  if (field.type === "enum" && !field.enumValues?.includes(value)) {
    const s = closest(value, field.enumValues ?? []);
    scope.report.error("bad-filter", `"${value}" is not a value of ${where}`, node.loc(), s ? `did you mean "${s}"?` : `values: ${(field.enumValues ?? []).join(", ")}`);
    return false;
  }
  if ((field.type === "timestamp" || field.type === "timestamplocal" || field.type === "date") && Number.isNaN(Date.parse(value))) return fail("an ISO 8601 date, e.g. 2024-01-31");
  return true;
}

function inputValue(node: ConfigNode, field: FieldIR, operator: FilterOperator, scope: HandlerScope, entity: EntityIR): FilterValue | undefined {
  const input = resolveInput(node, scope, `the filter on ${entity.name}.${field.name}`);
  if (!input) return undefined;
  const p = input.field;
  const label = `${input.source}.${input.name}`;
  if (operator === "isNull") {
    if (p.type !== "boolean") scope.report.error("bad-filter", `an isNull filter reads a boolean (true: IS NULL, false: IS NOT NULL), but ${label} is ${p.type}`, input.loc, `declare ${input.name} as boolean`);
    return { kind: "input", input };
  }
  if (LIKE_OPERATORS.has(operator) && classOf(p.type) !== "text") {
    scope.report.error("bad-filter", `${operator} searches text, but ${label} is ${p.type}`, input.loc, `declare ${input.name} as string`);
    return undefined;
  }
  if (!LIKE_OPERATORS.has(operator) && !compatible(field, p)) {
    scope.report.error("bad-filter", `${entity.name}.${field.name} is ${field.type}, but ${label} is ${p.type}: they cannot be compared`, input.loc, `declare ${input.name} with the field's type (${field.type})`);
    return undefined;
  }
  if (operator === "in" || operator === "notIn") {
    if (input.source === "params") {
      scope.report.error("bad-filter", `${operator} needs a list, but ${label} is a path parameter`, input.loc, "use a query parameter (?name=a,b) or a body list");
      return undefined;
    }
    // A query parameter read by in/notIn is a comma-separated list (`?status=draft,active`).
    if (input.source === "query") p.array = true;
    else if (!p.array) {
      scope.report.error("bad-filter", `${operator} needs a list, but ${label} is a single ${p.type}`, input.loc, `declare it as a list, e.g. \`${input.name}: ${p.type}[]\``);
      return undefined;
    }
  } else if (p.array) {
    scope.report.error("bad-filter", `${label} is a list, but ${operator} compares with one value`, input.loc, `use in or notIn, or declare ${input.name} as a single value`);
    return undefined;
  }
  return { kind: "input", input };
}

export function analyzeFilters(node: ConfigNode, entity: EntityIR, scope: HandlerScope): FilterIR[] {
  if (node.value === undefined || node.value === null) return [];
  if (!Array.isArray(node.value)) {
    scope.report.error("bad-value", "`filters` should be a list of {field, operator, param}", node.loc(), "write e.g. `filters: [{field: name, operator: ilike, param: query.q}]`");
    return [];
  }
  const out: FilterIR[] = [];
  node.value.forEach((_, i) => {
    const item = node.at(i);
    if (!isRecord(item.value)) {
      scope.report.error("bad-value", "a filter should be a mapping {field, operator, param}", item.loc());
      return;
    }
    checkKeys(item, FILTER_KEYS, "a filter", scope.report);
    const field = resolveField(entity, item.value.field, item.at("field"), scope, "a filter");
    const opNode = item.at("operator");
    const operator = opNode.value === undefined ? "eq" : opNode.value;
    if (typeof operator !== "string" || !(OPERATORS as readonly string[]).includes(operator)) {
      const s = typeof operator === "string" ? closest(operator, OPERATORS) : undefined;
      scope.report.error("unknown-operator", `unknown filter operator ${JSON.stringify(operator)}`, opNode.loc(), s ? `did you mean "${s}"?` : `operators: ${OPERATORS.join(", ")}`);
      return;
    }
    if (!field) return;
    const op = operator as FilterOperator;
    const loc = item.loc();
    if (!comparable(field) && op !== "isNull") {
      scope.report.error("bad-filter", `${entity.name}.${field.name} is ${field.array ? "a list" : field.type}; it can only be tested with isNull`, item.at("field").loc());
      return;
    }
    if (LIKE_OPERATORS.has(op) && !isSearchable(field)) {
      scope.report.error("bad-filter", `${op} searches text, but ${entity.name}.${field.name} is ${field.type}`, opNode.loc(), "use eq, in, gt, lt or between");
      return;
    }
    if (RANGE_OPERATORS.has(op) && (classOf(field.type) === "boolean" || field.type === "uuid")) {
      scope.report.error("bad-filter", `${op} orders values, but ${entity.name}.${field.name} is ${field.type}`, opNode.loc(), "use eq, ne or in");
      return;
    }
    const paramNode = item.at("param");
    const valueNode = item.at("value");
    const hasParam = paramNode.value !== undefined && paramNode.value !== null;
    const hasValue = valueNode.value !== undefined;
    if (hasParam && hasValue) {
      scope.report.error("bad-filter", "a filter takes either `param` (a request value) or `value` (a constant), not both", valueNode.loc("key"));
      return;
    }
    if (!hasParam && !hasValue) {
      if (op === "isNull") out.push({ field: field.name, operator: op, loc });
      else scope.report.error("missing-key", `the ${op} filter on ${entity.name}.${field.name} needs \`param:\` (e.g. query.${field.name}) or \`value:\``, loc, `add \`param: query.${field.name}\` and declare it under the endpoint's \`query:\``);
      return;
    }
    if (op === "between") {
      const pair = hasParam ? paramNode : valueNode;
      if (!Array.isArray(pair.value) || pair.value.length !== 2) {
        scope.report.error("bad-filter", `between needs two bounds: \`${hasParam ? "param" : "value"}: [low, high]\``, pair.loc(), hasParam ? "write e.g. `param: [query.minPrice, query.maxPrice]`" : "write e.g. `value: [0, 100]`");
        return;
      }
      if (hasParam) {
        const lo = inputValue(pair.at(0), field, op, scope, entity);
        const hi = inputValue(pair.at(1), field, op, scope, entity);
        if (lo && hi) out.push({ field: field.name, operator: op, value: lo, upper: hi, loc });
      } else {
        const [a, b] = pair.value as unknown[];
        if (checkLiteral(field, a, pair.at(0), scope, entity) && checkLiteral(field, b, pair.at(1), scope, entity)) out.push({ field: field.name, operator: op, value: { kind: "literal", value: a }, upper: { kind: "literal", value: b }, loc });
      }
      return;
    }
    if (hasParam) {
      const value = inputValue(paramNode, field, op, scope, entity);
      if (value) out.push({ field: field.name, operator: op, value, loc });
      return;
    }
    const v = valueNode.value;
    if (op === "in" || op === "notIn") {
      if (!Array.isArray(v) || v.length === 0) {
        scope.report.error("bad-filter", `${op} needs a non-empty list of values`, valueNode.loc(), "write e.g. `value: [draft, active]`");
        return;
      }
      if (v.every((x, j) => checkLiteral(field, x, valueNode.at(j), scope, entity))) out.push({ field: field.name, operator: op, value: { kind: "literal", value: v as Literal[] }, loc });
      return;
    }
    if (op === "isNull") {
      if (typeof v !== "boolean") scope.report.error("bad-filter", "an isNull filter's value is true (IS NULL) or false (IS NOT NULL)", valueNode.loc());
      else out.push({ field: field.name, operator: op, value: { kind: "literal", value: v }, loc });
      return;
    }
    if (LIKE_OPERATORS.has(op) && typeof v !== "string") {
      scope.report.error("bad-filter", `${op} searches for text; write the value as a string`, valueNode.loc());
      return;
    }
    if (checkLiteral(field, v, valueNode, scope, entity)) out.push({ field: field.name, operator: op, value: { kind: "literal", value: v }, loc });
  });
  // A query parameter read as a list by in/notIn cannot also be read as one value.
  const lists = new Set(out.flatMap((f) => (f.operator === "in" || f.operator === "notIn") && f.value?.kind === "input" ? [f.value.input.field] : []));
  for (const f of out) {
    for (const v of [f.value, f.upper]) {
      if (v?.kind === "input" && lists.has(v.input.field) && f.operator !== "in" && f.operator !== "notIn") {
        scope.report.error("bad-filter", `${v.input.source}.${v.input.name} is read as a list by an in/notIn filter, so the ${f.operator} filter cannot read it as one value`, v.input.loc, "declare a second parameter");
      }
    }
  }
  return out;
}
