/**
 * `type: query`: rows of one entity.
 *
 *   handler:
 *     type: query
 *     entity: Product
 *     filters: [{field: name, operator: ilike, param: query.q}]
 *     orderBy: query.sort                # or {field, direction}, a list, "-createdAt", {param, default}
 *     pagination: true                   # or {type: offset, limit: query.limit, offset: query.offset, maxLimit}
 */
import type { QueryHandlerIR } from "../../ir.js";
import { checkResponse, resolveEntity, type HandlerScope } from "./common.js";
import { analyzeFilters } from "./filters.js";
import { analyzeOrderBy, analyzePagination } from "./lists.js";
import { checkKeys, type ConfigNode } from "./node.js";

export const QUERY_KEYS = ["type", "entity", "filters", "orderBy", "pagination"];

export function analyzeQuery(node: ConfigNode, scope: HandlerScope): QueryHandlerIR | undefined {
  checkKeys(node, QUERY_KEYS, "a query handler", scope.report);
  const entity = resolveEntity(node, scope, "a query handler");
  if (!entity) return undefined;
  const filters = analyzeFilters(node.at("filters"), entity, scope);
  const orderBy = analyzeOrderBy(node.at("orderBy"), entity, scope);
  const pagination = analyzePagination(node.at("pagination"), scope);
  checkResponse(entity, scope, "query");
  const response = scope.endpoint.response;
  const single = response !== undefined && !response.array;
  if (single && pagination) {
    scope.report.error("bad-pagination", `${scope.endpoint.label} returns one ${response.name}, so it cannot be paginated`, node.at("pagination").loc("key"), `declare \`response: ${response.name}[]\` or remove pagination`);
    return undefined;
  }
  return { kind: "query", entity: entity.name, filters, orderBy, pagination, single, loc: node.loc() };
}
