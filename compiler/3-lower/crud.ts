/**
 * Lowers `crud:` into one RoutePlan per generated endpoint. The emitter turns each plan
 * into a plain Hono handler; nothing about CRUD is decided at runtime.
 */
import type { CrudRoutePlan, EntityIR } from "../ir.js";

const METHOD: Readonly<Record<CrudRoutePlan["operation"], CrudRoutePlan["method"]>> = {
  list: "GET", get: "GET", create: "POST", replace: "PUT", update: "PATCH", delete: "DELETE",
};

/** Where a create route's bulk variant is served: `<path>/bulk` (`/bulk` under a root path). */
export const bulkPath = (path: string) => `${path === "/" ? "" : path}/bulk`;

export function lowerCrud(entity: EntityIR): CrudRoutePlan[] {
  const crud = entity.crud;
  if (!crud) return [];
  return crud.methods.map((operation) => ({
    kind: "crud",
    operation,
    method: METHOD[operation],
    path: operation === "list" || operation === "create" ? crud.basePath : `${crud.basePath === "/" ? "" : crud.basePath}/:id`,
    entity: entity.name,
    loc: crud.loc,
  }));
}
