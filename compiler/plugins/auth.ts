/**
 * Auth, enabled by the top-level `auth:` section:
 *
 *   auth:
 *     providers:                         # tried in order
 *       - {type: jwt, secret: ${JWT_SECRET}, algorithm: HS256, issuer: my-app, audience: api, clockSkew: 30}
 *       - {type: api-key, header: X-API-Key, keys: ${API_KEY_HASHES}}     # SHA-256 hex digests, comma-separated
 *       - {type: basic, identifier: ${ADMIN_USER}, password: ${ADMIN_PASSWORD}, roles: [admin]}
 *     roles:
 *       admin: {permissions: ["*"]}
 *       editor: {permissions: ["posts:*"]}
 *
 * Secure by default: with `auth:` configured, every endpoint and CRUD route requires an
 * authenticated caller unless it says `auth: false` (or a public policy). Secrets must come
 * from the environment.
 */
import { z } from "zod";
import { parseConfigString } from "../2-analyze/config-string.js";
import { envText } from "../4-emit/env.js";
import { file, header, Imports, key, ts } from "../4-emit/writer.js";
import type { AuthRequirementIR, ProjectIR } from "../ir.js";
import type { YamaPlugin } from "./types.js";

const provider = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("jwt"),
    secret: z.string().min(1),
    algorithm: z.enum(["HS256", "HS384", "HS512"]).default("HS256"),
    issuer: z.string().optional(),
    audience: z.string().optional(),
    clockSkew: z.number().int().min(0).max(600).default(30),
    accessToken: z.unknown().optional(),
    refreshToken: z.unknown().optional(),
  }),
  z.strictObject({
    type: z.literal("api-key"),
    header: z.string().regex(/^[A-Za-z0-9-]+$/, "must be a header name").default("X-API-Key"),
    keys: z.string().min(1),
  }),
  z.strictObject({
    type: z.literal("basic"),
    mode: z.literal("static").default("static"),
    identifier: z.string().min(1),
    password: z.string().min(1),
    roles: z.array(z.string()).default([]),
  }),
]);

const options = z.strictObject({
  auth: z.strictObject({
    providers: z.array(provider).min(1, "list at least one provider"),
    roles: z.record(z.string(), z.strictObject({ permissions: z.array(z.string()).default([]), description: z.string().optional() })).default({}),
    user: z.unknown().optional(),
    endpoints: z.unknown().optional(),
  }),
});

export type AuthOptions = z.output<typeof options>;

/** Reads `auth:` on an endpoint or CRUD method: a boolean or `{required, roles, permissions}`. */
export function authRequirement(raw: unknown, policy = ""): AuthRequirementIR | undefined {
  if (typeof raw === "boolean") return { required: raw, roles: [], permissions: [], policy };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return undefined;
  const r = raw as { required?: unknown; roles?: unknown; permissions?: unknown };
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
  const roles = list(r.roles);
  const permissions = list(r.permissions);
  return { required: typeof r.required === "boolean" ? r.required : true, roles, permissions, policy };
}

/** The requirement of every route, in the order routes are mounted; secure by default. */
export function routeRequirements(ir: ProjectIR): { method: string; path: string; requirement: AuthRequirementIR; explicit: boolean }[] {
  const out: { method: string; path: string; requirement: AuthRequirementIR; explicit: boolean }[] = [];
  const fallback: AuthRequirementIR = { required: true, roles: [], permissions: [], policy: "" };
  for (const route of ir.routes) {
    if (route.kind === "endpoint") {
      const ep = route.endpoint;
      out.push({ method: ep.method, path: ep.path, requirement: ep.auth ?? fallback, explicit: ep.auth !== undefined });
    } else {
      const entity = ir.entities.find((e) => e.name === route.entity)!;
      const explicit = entity.crud?.auth?.[route.operation];
      out.push({ method: route.method, path: route.path, requirement: explicit ?? fallback, explicit: explicit !== undefined });
    }
  }
  return out;
}

const SECRET_KEYS = { jwt: ["secret"], "api-key": ["keys"], basic: ["identifier", "password"] } as const;

export const authPlugin: YamaPlugin<AuthOptions> = {
  name: "@betagors/yama-auth",
  aliases: ["auth"],
  options,
  sections: ["auth"],
  analyze(opts, ctx) {
    opts.auth.providers.forEach((p, i) => {
      for (const key of SECRET_KEYS[p.type]) {
        const value = (p as Record<string, unknown>)[key] as string;
        if (parseConfigString(value).kind === "literal") {
          ctx.diagnostics.error("secret-in-config", `auth.providers[${i}].${key} is written into the config`, ctx.parsed.locate(["auth", "providers", i, key]), `read it from the environment: \`${key}: \${${p.type === "jwt" ? "JWT_SECRET" : p.type === "api-key" ? "API_KEY_HASHES" : key === "identifier" ? "ADMIN_USER" : "ADMIN_PASSWORD"}}\``);
        }
      }
    });
    if (opts.auth.endpoints !== undefined) ctx.diagnostics.warn("not-yet-compiled", "auth.endpoints (register, login, refresh, …) are not compiled by this version of yamac", ctx.parsed.locate(["auth", "endpoints"], "key"));
  },
  emit(opts, ir) {
    const imports = new Imports().type("hono", "MiddlewareHandler").add("../lib/auth.js", "authenticate", "requireAuth");
    const providers = opts.auth.providers.map((p) => {
      const env = (v: string) => envText(parseConfigString(v));
      if (p.type === "jwt") {
        imports.add("../lib/auth.js", "jwtProvider");
        return `  jwtProvider({ secret: ${env(p.secret)}, algorithm: ${ts(p.algorithm)}, ${p.issuer ? `issuer: ${ts(p.issuer)}, ` : ""}${p.audience ? `audience: ${ts(p.audience)}, ` : ""}clockSkewSeconds: ${p.clockSkew} }),`;
      }
      if (p.type === "api-key") {
        imports.add("../lib/auth.js", "apiKeyProvider");
        return `  apiKeyProvider({ header: ${ts(p.header.toLowerCase())}, hashes: ${env(p.keys)}.split(",") }),`;
      }
      imports.add("../lib/auth.js", "basicProvider");
      return `  basicProvider({ identifier: ${env(p.identifier)}, password: ${env(p.password)}, roles: [${p.roles.map(ts).join(", ")}] }),`;
    });
    const roles = Object.entries(opts.auth.roles).map(([role, r]) => `  ${key(role)}: [${r.permissions.map(ts).join(", ")}],`);
    const rules = routeRequirements(ir).filter((r) => r.requirement.required);
    const body = `/** Providers, tried in order (secrets are read from the environment at start-up). */
export const authentication: MiddlewareHandler = authenticate([
${providers.join("\n")}
]);

/** Permissions each role grants (\`*\` and \`resource:*\` are wildcards). */
const rolePermissions: Record<string, readonly string[]> = {
${roles.join("\n")}
};

/** Routes that need an authenticated caller (every route not marked \`auth: false\`). */
export const protectedRoutes: { method: string; path: string; check: MiddlewareHandler }[] = [
${rules.map((r) => `  { method: ${ts(r.method)}, path: ${ts(r.path)}, check: requireAuth({ roles: [${r.requirement.roles.map(ts).join(", ")}], permissions: [${r.requirement.permissions.map(ts).join(", ")}] }, rolePermissions) },`).join("\n")}
];`;
    return {
      files: [{ path: "src/plugins/auth.ts", content: header("authentication and access rules", ir.configFile) + file(imports.toString(), body) }],
      wiring: [
        { order: 25, imports: { "./plugins/auth.js": ["authentication"] }, statement: "app.use(authentication);" },
        { order: 41, imports: { "./plugins/auth.js": ["protectedRoutes"] }, statement: "for (const route of protectedRoutes) app.on(route.method, route.path, route.check);" },
      ],
    };
  },
};
