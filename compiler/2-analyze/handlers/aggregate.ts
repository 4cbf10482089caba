/**
 * `type: aggregate`: count, sum, avg, min and max over one entity, optionally per group.
 *
 *   handler:
 *     type: aggregate
 *     entity: Product
 *     operations:                          # (`aggregates:` is accepted too)
 *       - {type: count, alias: total}
 *       - {type: avg, field: price, alias: avgPrice}
 *     groupBy: status                      # or a list of fields
 *     filters: [{field: featured, operator: eq, param: query.featured}]
 */
import { closest } from "../../diagnostics.js";
import type { AggregateHandlerIR, AggregateOpIR } from "../../ir.js";
import { classOf, comparable, resolveEntity, resolveField, type HandlerScope } from "./common.js";
import { analyzeFilters } from "./filters.js";
import { checkKeys, isRecord, type ConfigNode } from "./node.js";

export const AGGREGATE_KEYS = ["type", "entity", "operations", "aggregates", "groupBy", "filters"];
const FUNCTIONS: readonly AggregateOpIR["fn"][] = ["count", "sum", "avg", "min", "max"];
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function analyzeAggregate(node: ConfigNode, scope: HandlerScope): AggregateHandlerIR | undefined {
  checkKeys(node, AGGREGATE_KEYS, "an aggregate handler", scope.report);
  const entity = resolveEntity(node, scope, "an aggregate handler");
  if (!entity) return undefined;
  const key = node.at("operations").value === undefined && node.at("aggregates").value !== undefined ? "aggregates" : "operations";
  const opsNode = node.at(key);
  if (!Array.isArray(opsNode.value) || opsNode.value.length === 0) {
    scope.report.error(opsNode.value === undefined ? "missing-key" : "bad-aggregate", "an aggregate handler needs `operations:`, a non-empty list", opsNode.value === undefined ? node.loc("key") : opsNode.loc(), "add e.g. `operations: [{type: count, alias: total}]`");
    return undefined;
  }
  const groupNode = node.at("groupBy");
  const groupBy: string[] = [];
  const groupNames = groupNode.value === undefined ? [] : Array.isArray(groupNode.value) ? groupNode.value.map((v, i) => [v, groupNode.at(i)] as const) : [[groupNode.value, groupNode] as const];
  for (const [name, at] of groupNames) {
    const f = resolveField(entity, name, at, scope, "groupBy");
    if (!f) continue;
    if (!comparable(f)) scope.report.error("bad-aggregate", `${entity.name}.${f.name} (${f.type}) cannot be grouped by`, at.loc());
    else if (groupBy.includes(f.name)) scope.report.error("bad-aggregate", `groupBy lists ${f.name} twice`, at.loc());
    else groupBy.push(f.name);
  }
  const operations: AggregateOpIR[] = [];
  const aliases = new Set(groupBy);
  opsNode.value.forEach((_, i) => {
    const op = opsNode.at(i);
    if (!isRecord(op.value)) {
      scope.report.error("bad-aggregate", "an aggregate operation should be {type, field, alias}", op.loc());
      return;
    }
    checkKeys(op, ["type", "field", "alias"], "an aggregate operation", scope.report);
    const fn = op.value.type;
    if (typeof fn !== "string" || !(FUNCTIONS as readonly string[]).includes(fn)) {
      const s = typeof fn === "string" ? closest(fn, FUNCTIONS) : undefined;
      scope.report.error(fn === undefined ? "missing-key" : "unknown-operator", fn === undefined ? "an aggregate operation needs `type:`" : `unknown aggregate ${JSON.stringify(fn)}`, fn === undefined ? op.loc() : op.at("type").loc(), s ? `did you mean "${s}"?` : `aggregates: ${FUNCTIONS.join(", ")}`);
      return;
    }
    let field: string | undefined;
    if (op.value.field !== undefined) {
      const f = resolveField(entity, op.value.field, op.at("field"), scope, `${fn}`);
      if (!f) return;
      const cls = classOf(f.type);
      if ((fn === "sum" || fn === "avg") && cls !== "number") {
        scope.report.error("bad-aggregate", `${fn} adds numbers, but ${entity.name}.${f.name} is ${f.type}`, op.at("field").loc(), "use count, min or max, or a numeric field");
        return;
      }
      if ((fn === "min" || fn === "max") && (!comparable(f) || cls === "boolean" || cls === "other")) {
        scope.report.error("bad-aggregate", `${fn} needs an ordered value, but ${entity.name}.${f.name} is ${f.type}`, op.at("field").loc());
        return;
      }
      field = f.name;
    } else if (fn !== "count") {
      scope.report.error("missing-key", `${fn} needs \`field:\``, op.loc(), `add e.g. \`field: ${entity.fields.find((f) => classOf(f.type) === "number")?.name ?? "price"}\``);
      return;
    }
    const alias = op.value.alias ?? (field === undefined ? fn : `${fn}${field[0]!.toUpperCase()}${field.slice(1)}`);
    if (typeof alias !== "string" || !IDENT.test(alias)) {
      scope.report.error("bad-aggregate", `alias ${JSON.stringify(alias)} is not an identifier`, op.at("alias").loc(), "use letters, digits and _, e.g. avgPrice");
      return;
    }
    if (aliases.has(alias)) {
      scope.report.error("bad-aggregate", `"${alias}" names two values of the result`, op.at("alias").value === undefined ? op.loc() : op.at("alias").loc(), "give each operation its own alias");
      return;
    }
    aliases.add(alias);
    operations.push({ fn: fn as AggregateOpIR["fn"], field, alias, loc: op.loc() });
  });
  const filters = analyzeFilters(node.at("filters"), entity, scope);
  const r = scope.endpoint.response;
  if (r && r.kind === "entity") {
    scope.report.error("response-mismatch", `${scope.endpoint.label} declares response ${r.name}, but an aggregate returns ${groupBy.length ? "a list of groups" : "one object"} of ${[...aliases].join(", ")}`, scope.endpoint.loc, "declare a schema with those fields, or remove `response`");
  }
  return { kind: "aggregate", entity: entity.name, operations, groupBy, filters, loc: node.loc() };
}
