/**
 * The auth part of src/openapi.json: one security scheme per configured provider, and on every
 * protected operation the schemes it accepts plus its 401/403 answers.
 */
import type { ProjectIR } from "../../ir.js";
import { oauthPrefix } from "./emit-issuing.js";
import { authRoutes, isOAuth, type AuthOptions, type AuthRoute } from "./options.js";
import { AUTH_PLUGIN, describeRule, type RouteAccess } from "./rules.js";

type Json = Record<string, unknown>;

const body = (schema: Json): Json => ({ required: true, content: { "application/json": { schema } } });
const answer = (description: string, schema?: Json): Json => (schema ? { description, content: { "application/json": { schema } } } : { description });
const problem = (description: string): Json => answer(description, { $ref: "#/components/schemas/Error" });
const tokenPair: Json = {
  type: "object",
  required: ["user", "accessToken", "refreshToken", "tokenType", "expiresIn"],
  properties: { user: { type: "object" }, accessToken: { type: "string" }, refreshToken: { type: "string" }, tokenType: { const: "Bearer" }, expiresIn: { type: "integer", description: "seconds" } },
};
const password = { type: "string", minLength: 8, maxLength: 256 };

/** What each generated /auth route takes and answers (src/auth/routes.ts). */
const AUTH_OPERATIONS: Record<AuthRoute, { method: "get" | "post"; summary: string; signedIn: boolean; op: Json }> = {
  register: { method: "post", summary: "Create a user and sign them in", signedIn: false, op: { requestBody: body({ type: "object", required: ["password"], properties: { password }, additionalProperties: true, description: "The user entity's fields, with `password` instead of its hash" }), responses: { "201": answer("The user and a token pair", tokenPair), "400": { $ref: "#/components/responses/BadRequest" }, "409": { $ref: "#/components/responses/Conflict" } } } },
  login: { method: "post", summary: "Sign in", signedIn: false, op: { requestBody: body({ type: "object", required: ["password"], properties: { password: { type: "string" } }, additionalProperties: true, description: "The login field (e.g. email) and the password" }), responses: { "200": answer("The user and a token pair", tokenPair), "400": { $ref: "#/components/responses/BadRequest" }, "401": problem("AUTH_INVALID_CREDENTIALS") } } },
  refresh: { method: "post", summary: "Exchange a refresh token for a new pair (the old one is used up)", signedIn: false, op: { requestBody: body({ type: "object", required: ["refreshToken"], properties: { refreshToken: { type: "string" } }, additionalProperties: false }), responses: { "200": answer("A new token pair", tokenPair), "400": { $ref: "#/components/responses/BadRequest" }, "401": problem("AUTH_INVALID_TOKEN") } } },
  me: { method: "get", summary: "The signed-in user", signedIn: true, op: { responses: { "200": answer("The user", { type: "object" }) } } },
  logout: { method: "post", summary: "Revoke the caller's refresh token (or all of them)", signedIn: true, op: { requestBody: { required: false, content: { "application/json": { schema: { type: "object", properties: { refreshToken: { type: "string" } }, additionalProperties: false } } } }, responses: { "204": answer("Signed out") } } },
  changePassword: { method: "post", summary: "Change the caller's password (revokes their refresh tokens)", signedIn: true, op: { requestBody: body({ type: "object", required: ["currentPassword", "newPassword"], properties: { currentPassword: { type: "string" }, newPassword: password }, additionalProperties: false }), responses: { "204": answer("Changed"), "400": { $ref: "#/components/responses/BadRequest" }, "401": problem("AUTH_INVALID_CREDENTIALS") } } },
};

/** The HTTP method of a generated /auth route. */
export const authMethod = (route: AuthRoute): "GET" | "POST" => (AUTH_OPERATIONS[route].method === "get" ? "GET" : "POST");

/** The operationId of a generated /auth route (also the typed client's method name). */
export const authOperationId = (route: AuthRoute): string => `auth${route[0]!.toUpperCase()}${route.slice(1)}`;

/**
 * The routes the auth module itself serves (auth.endpoints, OAuth sign-in), keyed by OpenAPI
 * path, so the contract lists them with the rest.
 */
export function authPaths(ir: ProjectIR): Record<string, Json> {
  const use = ir.plugins.find((p) => p.name === AUTH_PLUGIN);
  if (!use) return {};
  const opts = use.options as AuthOptions;
  const bearer = Object.keys(securitySchemes(ir)).includes("bearerAuth");
  const paths: Record<string, Json> = {};
  for (const { route, path } of authRoutes(opts)) {
    const spec = AUTH_OPERATIONS[route];
    const responses = { ...(spec.op.responses as Json), ...(spec.signedIn ? { "401": problem("AUTH_REQUIRED or AUTH_INVALID_TOKEN") } : {}) };
    paths[path] = { [spec.method]: { operationId: authOperationId(route), tags: ["Auth"], summary: spec.summary, ...spec.op, responses, ...(spec.signedIn && bearer ? { security: [{ bearerAuth: [] }] } : {}) } };
  }
  const prefix = oauthPrefix(opts);
  for (const p of opts.auth.providers.filter(isOAuth)) {
    const name = p.type === "oauth-google" ? "google" : "github";
    const label = name === "google" ? "Google" : "GitHub";
    paths[`${prefix}/${name}`] = { get: { operationId: `authOAuth${label}`, tags: ["Auth"], summary: `Sign in with ${label}: redirects to ${label} (authorization code with PKCE and state)`, responses: { "302": answer(`Redirect to ${label}`) } } };
    paths[`${prefix}/${name}/callback`] = {
      get: {
        operationId: `authOAuth${label}Callback`,
        tags: ["Auth"],
        summary: `${label} returns here: the state is checked, the code exchanged, the user signed in`,
        parameters: [{ name: "code", in: "query", schema: { type: "string" } }, { name: "state", in: "query", schema: { type: "string" } }],
        responses: { "200": answer("The user and a token pair", tokenPair), "400": problem("OAUTH_STATE_MISMATCH or a provider error") },
      },
    };
  }
  return paths;
}

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
 * Marks the protected operations of one OpenAPI path item (keyed by lower-case method) with the
 * access rules of the routes at that path: `security` lists the schemes that may authenticate the
 * call, and 401/403 answers are added. `schemes` are the keys of securitySchemes(ir).
 */
export function secureOperations(item: Json, routes: readonly RouteAccess[], schemes: readonly string[]): void {
  const error = (description: string): Json => ({ description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } });
  for (const route of routes) {
    const op = item[route.method.toLowerCase()] as Json | undefined;
    if (!op || !route.rule) continue;
    const accepted = route.rule.providers?.length ? schemes.filter((s) => route.rule!.providers!.some((p) => SCHEME_NAMES[p] === s)) : schemes;
    op.security = accepted.map((s) => ({ [s]: [] }));
    const checks = route.rule.roles.length > 0 || route.rule.permissions.length > 0;
    op.description = [op.description, `Access: ${describeRule(route.rule)}.`].filter(Boolean).join("\n\n");
    op.responses = { ...(op.responses as Json), "401": error("AUTH_REQUIRED or AUTH_INVALID_TOKEN"), ...(checks ? { "403": error("AUTHZ_INSUFFICIENT_ROLE or AUTHZ_INSUFFICIENT_PERMISSION") } : {}) };
  }
}
