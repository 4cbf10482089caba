/**
 * Lowers endpoints into RoutePlans. Declarative handlers (`handler: {type: …}`) are rewritten
 * here by the pass registered for their type; a type without a pass is a compile error,
 * never a placeholder response.
 */
import type { DiagnosticBag } from "../diagnostics.js";
import type { EndpointIR, EndpointRoutePlan, ProjectIR } from "../ir.js";

/** A lowering pass for one declarative handler type: returns the endpoint with its handler lowered, or undefined after reporting. */
export type DeclarativeLowering = (endpoint: EndpointIR, ir: ProjectIR, diagnostics: DiagnosticBag) => EndpointIR | undefined;

export const declarativeLowerings = new Map<string, DeclarativeLowering>();

export function lowerEndpoints(ir: ProjectIR, diagnostics: DiagnosticBag): EndpointRoutePlan[] {
  const plans: EndpointRoutePlan[] = [];
  for (const endpoint of ir.endpoints) {
    const h = endpoint.handler;
    if (h.kind !== "declarative") {
      plans.push({ kind: "endpoint", endpoint });
      continue;
    }
    const pass = declarativeLowerings.get(h.type);
    if (!pass) {
      diagnostics.error("not-yet-compiled", `handler type "${h.type}" is not compiled by this version of yamac`, h.loc, "write the handler as a TypeScript file (`handler: handlers/<name>.ts`) for now");
      continue;
    }
    const lowered = pass(endpoint, ir, diagnostics);
    if (lowered) plans.push({ kind: "endpoint", endpoint: lowered });
  }
  return plans;
}
