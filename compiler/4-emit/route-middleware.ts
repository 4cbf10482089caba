/**
 * What runs in an endpoint's own route before its handler, in this order: the endpoint's rate
 * limit (before the access check, so failed attempts count), its access check, its response
 * cache (after the check, so a cached answer never skips it). Each piece is empty when it does
 * not apply; the result ends with ", " when it is not empty.
 */
import type { EndpointIR, ProjectIR } from "../ir.js";
import { endpointGuard } from "../plugins/auth/emit.js";
import { endpointCache } from "../plugins/cache.js";
import { endpointLimit } from "../plugins/rate-limit.js";
import type { Imports } from "./writer.js";

export function endpointMiddleware(ir: ProjectIR, ep: EndpointIR, imports: Imports): string {
  return `${endpointLimit(ir, ep, imports)}${endpointGuard(ir, ep, imports)}${endpointCache(ir, ep, imports)}`;
}
