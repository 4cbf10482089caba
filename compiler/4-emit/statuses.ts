/**
 * The error answers of each route beyond 400 and 500, decided at compile time from the facts the
 * route emitters act on: which fields a body may carry (and which of them only some roles may
 * set, or hold a foreign key), the policy's row conditions, the If-Match check, the foreign keys
 * that can refuse a delete, and the rate limits in front of the route. The route emitters take
 * these facts from here, and src/openapi.json lists what follows from them, so the two agree.
 */
import type { CrudIR, EndpointIR, EntityIR, FieldIR, ProjectIR, RowConditionIR } from "../ir.js";
import { entityNamed } from "../ir-lookup.js";
import { limitedRoutes } from "../plugins/rate-limit.js";
import { writableFields } from "./validation.js";

/** One status a route can answer with the error envelope, and the codes it carries then. */
export interface ErrorStatus {
  status: number;
  codes: readonly string[];
}

export type CrudRouteKind = CrudIR["methods"][number] | "bulk";

/** Fields only some roles may set (`writableBy`): a body setting one answers 403 AUTHZ_INSUFFICIENT_ROLE. */
export function roleRuledFields(fields: readonly FieldIR[]): FieldIR[] {
  return fields.filter((f) => f.writableBy !== undefined && f.writableBy.length > 0);
}

/** The policy's row conditions on a CRUD operation (`where:`); the bulk create shares the create's. */
export function crudScope(entity: EntityIR, operation: CrudRouteKind): readonly RowConditionIR[] {
  return entity.crud?.auth?.[operation === "bulk" ? "create" : operation]?.where ?? [];
}

/** The fields a CRUD create, replace or update body may carry: the writable fields but those the policy sets from the caller. */
export function crudBodyFields(entity: EntityIR, operation: CrudRouteKind): FieldIR[] {
  const forced = new Set(crudScope(entity, operation).map((c) => c.field));
  return writableFields(entity).filter((f) => !forced.has(f.name));
}

/**
 * Whether deleting a row of `entity` can be refused because other rows still reference it
 * (`restrict` / `noAction`): 409 CONFLICT_REFERENCED. A soft delete keeps the row, so never.
 */
export function deleteCanBeRefused(ir: ProjectIR, entity: EntityIR): boolean {
  if (entity.softDelete) return false;
  let refusing = refusingTargets.get(ir.entities);
  if (refusing === undefined) {
    refusing = new Set();
    for (const e of ir.entities) for (const f of e.fields) if (f.references && (f.references.onDelete === "restrict" || f.references.onDelete === "no action")) refusing.add(f.references.entity);
    refusingTargets.set(ir.entities, refusing);
  }
  return refusing.has(entity.name);
}

/** Per entity list: the entities some foreign key refers to with `restrict` / `no action` (one pass, not one per route). */
const refusingTargets = new WeakMap<readonly EntityIR[], Set<string>>();

/** Collects statuses, each code once, in status order. */
class Statuses {
  private readonly byStatus = new Map<number, string[]>();

  add(status: number, ...codes: string[]): this {
    const list = this.byStatus.get(status) ?? [];
    for (const code of codes) if (!list.includes(code)) list.push(code);
    this.byStatus.set(status, list);
    return this;
  }

  /** What writing `fields` from a body can answer: 403 for role-ruled fields, 422 for foreign keys. */
  body(fields: readonly FieldIR[]): this {
    if (roleRuledFields(fields).length > 0) this.add(403, "AUTHZ_INSUFFICIENT_ROLE");
    if (fields.some((f) => f.references)) this.add(422, "VALIDATION_REFERENCE");
    return this;
  }

  /** A policy comparing rows with the caller answers 403 AUTHZ_POLICY to an identity without that claim. */
  scope(scope: readonly RowConditionIR[]): this {
    if (scope.some((c) => c.value.kind === "caller")) this.add(403, "AUTHZ_POLICY");
    return this;
  }

  list(): ErrorStatus[] {
    return [...this.byStatus].sort(([a], [b]) => a - b).map(([status, codes]) => ({ status, codes }));
  }
}

/** The error statuses (besides 400 and 500) of one CRUD route of `entity`. */
export function crudErrorStatuses(ir: ProjectIR, entity: EntityIR, operation: CrudRouteKind): ErrorStatus[] {
  const out = new Statuses().scope(crudScope(entity, operation));
  switch (operation) {
    case "list":
      break;
    case "get":
      out.add(404, "NOT_FOUND");
      break;
    case "create":
    case "bulk":
      out.add(409, "CONFLICT").body(crudBodyFields(entity, operation));
      break;
    case "replace":
    case "update":
      out.add(404, "NOT_FOUND").add(409, "CONFLICT").add(412, "PRECONDITION_FAILED").body(crudBodyFields(entity, operation));
      break;
    case "delete":
      out.add(404, "NOT_FOUND").add(412, "PRECONDITION_FAILED");
      if (deleteCanBeRefused(ir, entity)) out.add(409, "CONFLICT_REFERENCED");
      break;
  }
  if (limitedRoutes(ir).global) out.add(429, "RATE_LIMIT_EXCEEDED");
  return out.list();
}

/** The error statuses (besides 400 and 500) of an endpoint, including the routes of dialect-B operations. */
export function endpointErrorStatuses(ir: ProjectIR, ep: EndpointIR): ErrorStatus[] {
  const out = new Statuses();
  if (ep.params.length > 0) out.add(404, "NOT_FOUND");
  const h = ep.handler;
  const write = (fields: readonly FieldIR[]) => out.add(409, "CONFLICT").body(fields);
  switch (h.kind) {
    case "operation": {
      const entity = entityNamed(ir, h.entity);
      out.scope(ep.auth?.where ?? []);
      // The foreign key to the parent comes from the path, whose row is checked first.
      if (h.action === "create" || h.action === "update") write(writableFields(entity).filter((f) => f.name !== h.parent?.foreignKey));
      if (h.action === "delete" && deleteCanBeRefused(ir, entity)) out.add(409, "CONFLICT_REFERENCED");
      break;
    }
    case "default": {
      const entity = entityNamed(ir, h.entity);
      if (h.operation === "create" || h.operation === "update") write(writableFields(entity));
      if (h.operation === "delete" && deleteCanBeRefused(ir, entity)) out.add(409, "CONFLICT_REFERENCED");
      break;
    }
    case "write":
      write(writableFields(entityNamed(ir, h.entity)));
      break;
    default:
      break;
  }
  const limits = limitedRoutes(ir);
  if (limits.global || limits.endpoints.has(ep)) out.add(429, "RATE_LIMIT_EXCEEDED");
  return out.list();
}
