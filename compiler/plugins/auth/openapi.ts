/**
 * The auth part of src/openapi.json: one security scheme per configured provider, and on every
 * protected operation the schemes it accepts plus its 401/403 answers.
 */
import type { ProjectIR } from "../../ir.js";
import type { AuthOptions } from "./options.js";
import { AUTH_PLUGIN, describeRule, routeAccess } from "./rules.js";

type Json = Record<string, unknown>;

const SCHEME_NAMES: Readonly<Record<string, string>> = { jwt: "bearerAuth", "api-key": "apiKeyAuth", basic: "basicAuth" };

/** Security schemes of the configured providers (components.securitySchemes). */
export function securitySchemes(ir: ProjectIR): Json {
  const use = ir.plugins.find((p) => p.name === AUTH_PLUGIN);
  if (!use) return {};
  const schemes: Json = {};
  for (const p of (use.options as AuthOptions).auth.providers) {
    if (p.type === "jwt") schemes.bearerAuth = { type: "http", scheme: "bearer", bearerFormat: "JWT" };
    else if (p.type === "api-key") schemes.apiKeyAuth = { type: "apiKey", in: "header", name: p.header };
    else if (p.type === "basic") schemes.basicAuth = { type: "http", scheme: "basic" };
  }
  return schemes;
}

/**
 * Marks the protected operations of `paths` (keyed by OpenAPI path, then lower-case method):
 * `security` lists the schemes that may authenticate the call, and 401/403 answers are added.
 */
export function applySecurity(ir: ProjectIR, paths: Record<string, Json>, openapiPath: (path: string) => string): void {
  const schemes = Object.keys(securitySchemes(ir));
  if (schemes.length === 0) return;
  const error = (description: string): Json => ({ description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } });
  for (const route of routeAccess(ir)) {
    const op = paths[openapiPath(route.path)]?.[route.method.toLowerCase()] as Json | undefined;
    if (!op || !route.rule) continue;
    const accepted = route.rule.providers?.length ? schemes.filter((s) => route.rule!.providers!.some((p) => SCHEME_NAMES[p] === s)) : schemes;
    op.security = accepted.map((s) => ({ [s]: [] }));
    const checks = route.rule.roles.length > 0 || route.rule.permissions.length > 0;
    op.description = [op.description, `Access: ${describeRule(route.rule)}.`].filter(Boolean).join("\n\n");
    op.responses = { ...(op.responses as Json), "401": error("AUTH_REQUIRED or AUTH_INVALID_TOKEN"), ...(checks ? { "403": error("AUTHZ_INSUFFICIENT_ROLE or AUTHZ_INSUFFICIENT_PERMISSION") } : {}) };
  }
}
