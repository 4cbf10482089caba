/**
 * `type: relation`: the rows a relation of one parent row points at.
 *
 *   handler:
 *     type: relation
 *     entity: Product          # the parent
 *     relation: reviews        # hasMany, hasOne, belongsTo or manyToMany
 *     parentId: params.id
 *     orderBy: …               # hasMany / manyToMany only
 *     pagination: …            # hasMany / manyToMany only
 */
import { closest } from "../../diagnostics.js";
import type { RelationHandlerIR } from "../../ir.js";
import { checkResponse, classOf, resolveEntity, resolveInput, type HandlerScope } from "./common.js";
import { analyzeOrderBy, analyzePagination } from "./lists.js";
import { checkKeys, requireString, type ConfigNode } from "./node.js";

export const RELATION_KEYS = ["type", "entity", "relation", "parentId", "orderBy", "pagination"];

export function analyzeRelation(node: ConfigNode, scope: HandlerScope): RelationHandlerIR | undefined {
  checkKeys(node, RELATION_KEYS, "a relation handler", scope.report);
  const entity = resolveEntity(node, scope, "a relation handler");
  const name = requireString(node, "relation", "a relation handler", scope.report, entity?.relations[0]?.name ?? "reviews");
  if (!entity || name === undefined) return undefined;
  const relation = entity.relations.find((r) => r.name === name);
  if (!relation) {
    const s = closest(name, entity.relations.map((r) => r.name));
    scope.report.error("unknown-relation", `${entity.name} has no relation "${name}"`, node.at("relation").loc(), s ? `did you mean "${s}"?` : entity.relations.length ? `relations of ${entity.name}: ${entity.relations.map((r) => r.name).join(", ")}` : `${entity.name} has no relations`);
    return undefined;
  }
  const target = scope.entities.find((e) => e.name === relation.target)!;
  const idNode = node.at("parentId");
  if (idNode.value === undefined) {
    scope.report.error("missing-key", "a relation handler needs `parentId:`", node.loc("key"), "add `parentId: params.id`");
    return undefined;
  }
  const parentId = resolveInput(idNode, scope, "parentId");
  if (!parentId) return undefined;
  const pk = entity.fields.find((f) => f.name === entity.primaryKey)!;
  if (!parentId.required) {
    scope.report.error("bad-relation", `parentId reads ${parentId.source}.${parentId.name}, which a request may leave out`, parentId.loc, "use a path parameter such as params.id, or make the parameter required");
    return undefined;
  }
  if (classOf(pk.type) !== classOf(parentId.field.type)) {
    scope.report.error("bad-relation", `${entity.name}.${pk.name} is ${pk.type}, but ${parentId.source}.${parentId.name} is ${parentId.field.type}`, parentId.loc, `declare ${parentId.name} as ${pk.type}`);
    return undefined;
  }
  const plural = relation.kind === "hasMany" || relation.kind === "manyToMany";
  for (const key of ["orderBy", "pagination"]) {
    if (!plural && node.at(key).value !== undefined) {
      scope.report.error("bad-relation", `${entity.name}.${name} is ${relation.kind}: it points at one row, so \`${key}\` does not apply`, node.at(key).loc("key"), `remove \`${key}\``);
      return undefined;
    }
  }
  const orderBy = plural ? analyzeOrderBy(node.at("orderBy"), target, scope) : undefined;
  const pagination = plural ? analyzePagination(node.at("pagination"), scope) : undefined;
  checkResponse(target, scope, `relation ${entity.name}.${name}`);
  const r = scope.endpoint.response;
  if (r?.kind === "entity" && r.name === target.name && r.array !== plural) {
    scope.report.error("response-mismatch", `${entity.name}.${name} is ${relation.kind}, so ${scope.endpoint.label} returns ${plural ? "a list" : "one row"}, but it declares ${r.name}${r.array ? "[]" : ""}`, scope.endpoint.loc, `declare \`response: ${target.name}${plural ? "[]" : ""}\``);
  }
  return { kind: "relation", entity: entity.name, relation: name, parentId, orderBy, pagination, loc: node.loc() };
}
