/**
 * How `query` and `relation` handlers order and page their rows: `orderBy:` and `pagination:`.
 */
import type { SourceLocation } from "../../diagnostics.js";
import type { EntityIR, FieldIR, InputRef, OrderByIR, PaginationIR, SortTermIR } from "../../ir.js";
import { comparable, isInputRef, resolveField, resolveInput, type HandlerScope } from "./common.js";
import { checkKeys, type ConfigNode, isRecord } from "./node.js";


const ORDER_KEYS = ["field", "direction", "param", "default"];

/** `-createdAt,name` or `createdAt:desc`, checked against the entity at compile time. */
function parseSortSpec(text: string, node: ConfigNode, entity: EntityIR, scope: HandlerScope): SortTermIR[] | undefined {
  const terms: SortTermIR[] = [];
  for (const raw of text.split(",").map((t) => t.trim()).filter((t) => t !== "")) {
    let name = raw.replace(/^[-+]/, "");
    let direction: SortTermIR["direction"] = raw.startsWith("-") ? "desc" : "asc";
    const colon = name.indexOf(":");
    if (colon >= 0) {
      const d = name.slice(colon + 1).toLowerCase();
      if (d !== "asc" && d !== "desc") {
        scope.report.error("bad-sort", `sort direction "${name.slice(colon + 1)}" is neither asc nor desc`, node.loc());
        return undefined;
      }
      direction = d;
      name = name.slice(0, colon);
    }
    const field = resolveField(entity, name, node, scope, "orderBy");
    if (!field) return undefined;
    if (!comparable(field)) {
      scope.report.error("bad-sort", `${entity.name}.${field.name} (${field.type}) cannot be sorted by`, node.loc());
      return undefined;
    }
    terms.push({ field: field.name, direction });
  }
  if (terms.length === 0) scope.report.error("bad-sort", "orderBy names no field", node.loc(), "write e.g. `orderBy: {field: createdAt, direction: desc}`");
  return terms.length ? terms : undefined;
}

function sortTerm(node: ConfigNode, entity: EntityIR, scope: HandlerScope): SortTermIR | undefined {
  const v = node.value as Record<string, unknown>;
  checkKeys(node, ["field", "direction"], "an orderBy term", scope.report);
  const field = resolveField(entity, v.field, node.at("field"), scope, "orderBy");
  if (!field) return undefined;
  if (!comparable(field)) {
    scope.report.error("bad-sort", `${entity.name}.${field.name} (${field.type}) cannot be sorted by`, node.at("field").loc());
    return undefined;
  }
  const dir = v.direction === undefined ? "asc" : typeof v.direction === "string" ? v.direction.toLowerCase() : v.direction;
  if (dir !== "asc" && dir !== "desc") {
    scope.report.error("bad-sort", `direction should be asc or desc, not ${JSON.stringify(v.direction)}`, node.at("direction").loc());
    return undefined;
  }
  return { field: field.name, direction: dir };
}

function sortInput(node: ConfigNode, scope: HandlerScope): InputRef | undefined {
  const input = resolveInput(node, scope, "orderBy");
  if (input && (input.field.type !== "string" && input.field.type !== "text")) {
    scope.report.error("bad-sort", `orderBy reads ${input.source}.${input.name}, which is ${input.field.type}; a sort parameter is a string like "-createdAt,name"`, input.loc, `declare ${input.name} as string`);
    return undefined;
  }
  if (input && input.source !== "query") {
    scope.report.error("bad-sort", "orderBy reads the sort order from a query parameter", input.loc, `use query.${input.name}`);
    return undefined;
  }
  return input;
}

/**
 * `orderBy:` in its forms: `{field, direction}`, a list of those, a sort string (`-createdAt,name`),
 * a query parameter (`query.sort`), or `{param: query.sort, default: -createdAt}`.
 */
export function analyzeOrderBy(node: ConfigNode, entity: EntityIR, scope: HandlerScope): OrderByIR | undefined {
  const v = node.value;
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") {
    if (isInputRef(v)) {
      const input = sortInput(node, scope);
      return input ? { kind: "input", input } : undefined;
    }
    const terms = parseSortSpec(v, node, entity, scope);
    return terms ? { kind: "static", terms } : undefined;
  }
  if (Array.isArray(v)) {
    const terms: SortTermIR[] = [];
    v.forEach((item, i) => {
      const t = isRecord(item) ? sortTerm(node.at(i), entity, scope) : typeof item === "string" ? parseSortSpec(item, node.at(i), entity, scope)?.[0] : undefined;
      if (t) terms.push(t);
      else if (!isRecord(item) && typeof item !== "string") scope.report.error("bad-sort", "an orderBy term should be {field, direction}", node.at(i).loc());
    });
    return terms.length === v.length ? { kind: "static", terms } : undefined;
  }
  if (isRecord(v)) {
    checkKeys(node, ORDER_KEYS, "orderBy", scope.report);
    if (v.param !== undefined) {
      if (v.field !== undefined || v.direction !== undefined) {
        scope.report.error("bad-sort", "orderBy takes either `param` (a sort parameter) or `field`/`direction`, not both", node.loc("key"));
        return undefined;
      }
      const input = sortInput(node.at("param"), scope);
      if (!input) return undefined;
      if (v.default === undefined) return { kind: "input", input };
      const def = typeof v.default === "string" ? parseSortSpec(v.default, node.at("default"), entity, scope) : undefined;
      if (typeof v.default !== "string") scope.report.error("bad-sort", "orderBy.default is a sort string such as \"-createdAt\"", node.at("default").loc());
      return def ? { kind: "input", input, default: def } : undefined;
    }
    if (v.default !== undefined) {
      scope.report.error("bad-sort", "orderBy.default only applies with `param`", node.at("default").loc("key"));
      return undefined;
    }
    const t = sortTerm(node, entity, scope);
    return t ? { kind: "static", terms: [t] } : undefined;
  }
  scope.report.error("bad-sort", "orderBy should be {field, direction}, a list of them, a sort string or a query parameter", node.loc());
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Pagination

const PAGINATION_KEYS = ["type", "limit", "offset", "maxLimit"];
export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

function syntheticInt(name: string, min: number, max: number | undefined, def: number, loc: SourceLocation): FieldIR {
  return {
    name, column: name, type: "integer", array: false, notNull: false, primary: false, generated: false, unique: false, indexed: false,
    readonly: false, writeOnly: false, sensitive: false, autoUpdate: false, min, ...(max === undefined ? {} : { max }), default: { kind: "literal", value: def }, loc,
  };
}

/**
 * `pagination: true` or `{type: offset, limit: query.limit | 20, offset: query.offset, maxLimit: 100}`.
 * Limit and offset are query parameters: referenced ones get a default and bounds when they
 * declare none; missing ones are added to the endpoint's query.
 */
export function analyzePagination(node: ConfigNode, scope: HandlerScope): PaginationIR | undefined {
  const v = node.value;
  if (v === undefined || v === null || v === false) return undefined;
  if (v !== true && !isRecord(v)) {
    scope.report.error("bad-pagination", "pagination should be true or {type: offset, limit, offset}", node.loc());
    return undefined;
  }
  const obj = isRecord(v) ? v : {};
  if (isRecord(v)) checkKeys(node, PAGINATION_KEYS, "pagination", scope.report);
  if (obj.type !== undefined && obj.type !== "offset") {
    scope.report.error("bad-pagination", `pagination type ${JSON.stringify(obj.type)} is not compiled; only offset pagination is`, node.at("type").loc(), "write `type: offset` or leave it out");
    return undefined;
  }
  let maxLimit = MAX_LIMIT;
  if (obj.maxLimit !== undefined) {
    if (typeof obj.maxLimit !== "number" || !Number.isInteger(obj.maxLimit) || obj.maxLimit < 1) {
      scope.report.error("bad-pagination", "pagination.maxLimit should be a positive integer", node.at("maxLimit").loc());
      return undefined;
    }
    maxLimit = obj.maxLimit;
  }
  let defaultLimit = Math.min(DEFAULT_LIMIT, maxLimit);
  if (typeof obj.limit === "number") {
    if (!Number.isInteger(obj.limit) || obj.limit < 1 || obj.limit > maxLimit) {
      scope.report.error("bad-pagination", `pagination.limit should be an integer from 1 to maxLimit (${maxLimit})`, node.at("limit").loc());
      return undefined;
    }
    defaultLimit = obj.limit;
  }
  const param = (key: "limit" | "offset"): InputRef | undefined => {
    const child = node.at(key);
    const query = scope.endpoint.query;
    let input: InputRef | undefined;
    if (typeof child.value === "string") {
      input = resolveInput(child, scope, `pagination.${key}`);
      if (!input) return undefined;
      if (input.source !== "query") {
        scope.report.error("bad-pagination", `pagination.${key} is read from the query string`, input.loc, `use query.${input.name}`);
        return undefined;
      }
    } else if (child.value !== undefined && !(key === "limit" && typeof child.value === "number")) {
      scope.report.error("bad-pagination", `pagination.${key} should be a query parameter such as query.${key}${key === "limit" ? " or a page size" : ""}`, child.loc());
      return undefined;
    } else {
      const existing = query.find((f) => f.name === key);
      if (existing) input = { source: "query", name: key, field: existing, required: true, loc: existing.loc };
      else {
        const f = syntheticInt(key, key === "limit" ? 1 : 0, key === "limit" ? maxLimit : undefined, key === "limit" ? defaultLimit : 0, node.loc());
        query.push(f);
        return { source: "query", name: key, field: f, required: true, loc: node.loc() };
      }
    }
    const f = input.field;
    if (f.type !== "integer" && f.type !== "smallint" && f.type !== "bigint" && f.type !== "number") {
      scope.report.error("bad-pagination", `query.${input.name} is ${f.type}, but pagination.${key} is an integer`, input.loc, `declare it as \`${input.name}: integer\``);
      return undefined;
    }
    // Validation makes it an integer in range with a default, so it is always present.
    f.type = "integer";
    f.min ??= key === "limit" ? 1 : 0;
    if (key === "limit") f.max ??= maxLimit;
    if (f.default === undefined || (f.default.kind === "literal" && f.default.value === null)) f.default = { kind: "literal", value: key === "limit" ? defaultLimit : 0 };
    return { ...input, required: true };
  };
  const limit = param("limit");
  const offset = param("offset");
  return limit && offset ? { limit, offset } : undefined;
}
