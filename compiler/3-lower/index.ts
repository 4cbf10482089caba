/**
 * Phase 3: lowering passes turn declarative parts of the IR into RoutePlans.
 * Each pass is a function from the IR to plans; they run in a fixed order.
 */
import type { ProjectIR } from "../ir.js";
import { lowerCrud } from "./crud.js";

export function lower(ir: ProjectIR): ProjectIR {
  const routes = ir.entities.flatMap(lowerCrud);
  return { ...ir, routes };
}
