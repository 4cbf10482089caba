/**
 * Lowers endpoints into RoutePlans. Declarative handlers arrive typed from analysis
 * (2-analyze/handlers/), so every endpoint becomes one plan. An endpoint that overrides a CRUD
 * route (`crudOverrides:`) takes that route's place: the CRUD plan is dropped.
 */
import type { CrudRoutePlan, EndpointRoutePlan, ProjectIR } from "../ir.js";

export function lowerEndpoints(ir: ProjectIR): EndpointRoutePlan[] {
  return ir.endpoints.map((endpoint) => ({ kind: "endpoint", endpoint }));
}

/** The CRUD plans no `crudOverrides:` entry replaces. */
export function withoutOverridden(ir: ProjectIR, plans: readonly CrudRoutePlan[]): CrudRoutePlan[] {
  const overridden = new Set(ir.endpoints.flatMap((e) => (e.crudOverride ? [`${e.crudOverride.entity}.${e.crudOverride.operation}`] : [])));
  return plans.filter((p) => !overridden.has(`${p.entity}.${p.operation}`));
}
