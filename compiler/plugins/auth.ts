/**
 * Auth, enabled by the top-level `auth:` section:
 *
 *   auth:
 *     providers:                         # tried in order
 *       - {type: jwt, secret: ${JWT_SECRET}, algorithm: HS256, issuer: my-app, audience: api, clockSkew: 30}
 *       - {type: jwt, jwksUrl: https://issuer.example/.well-known/jwks.json, algorithm: RS256}
 *       - {type: api-key, header: X-API-Key, keys: ${API_KEY_HASHES}}     # SHA-256 hex digests, comma-separated
 *       - {type: basic, identifier: ${ADMIN_USER}, password: ${ADMIN_PASSWORD}, roles: [admin]}
 *     roles:
 *       admin: {permissions: ["*"]}
 *       editor: {permissions: ["posts:*"]}
 *
 * Secure by default: with `auth:` configured, every endpoint and CRUD route requires an
 * authenticated caller unless it says `auth: false` (or uses a public policy). Secrets must come
 * from the environment. The module lives in compiler/plugins/auth/: options, rules, emit.
 */
import { readFileSync } from "node:fs";
import { parseConfigString } from "../2-analyze/config-string.js";
import type { YamaPlugin } from "./types.js";
import { emitAuthModule } from "./auth/emit.js";
import { type AuthOptions, authOptions, jwtAlgorithms, PROVIDER_TYPES } from "./auth/options.js";
import { AUTH_PLUGIN } from "./auth/rules.js";

export type { AuthOptions } from "./auth/options.js";
export { authRequirement, checkPolicyRules, routeAccess, routeRequirements } from "./auth/rules.js";

const own = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { dependencies: Record<string, string> };

/** Environment variable names suggested for each secret. */
const SUGGESTED: Readonly<Record<string, string>> = { secret: "JWT_SECRET", keys: "API_KEY_HASHES", identifier: "ADMIN_USER", password: "ADMIN_PASSWORD" };

const isLoopback = (host: string) => host === "localhost" || host === "127.0.0.1" || host === "[::1]";

export const authPlugin: YamaPlugin<AuthOptions> = {
  name: AUTH_PLUGIN,
  aliases: ["auth"],
  options: authOptions,
  sections: ["auth"],
  analyze(opts, ctx) {
    const { diagnostics, parsed } = ctx;
    const at = (i: number, ...rest: (string | number)[]) => ["auth", "providers", i, ...rest];
    const declaredRoles = Object.keys(opts.auth.roles);
    /** A value that must be a `${VAR}` reference. */
    const fromEnv = (value: string | undefined, i: number, key: string) => {
      if (value === undefined || parseConfigString(value).kind === "env") return;
      diagnostics.error("secret-in-config", `auth.providers[${i}].${key} is written into the config`, parsed.locate(at(i, key)), `read it from the environment: \`${key}: \${${SUGGESTED[key] ?? key.toUpperCase()}}\``);
    };
    const checkRoles = (roles: readonly string[], i: number) =>
      roles.forEach((role, j) => {
        if (!declaredRoles.includes(role)) diagnostics.error("unknown-role", `auth.providers[${i}] grants role "${role}", which auth.roles does not declare`, parsed.locate(at(i, "roles", j)), `declare it: \`roles: {${role}: {permissions: [...]}}\``);
      });
    opts.auth.providers.forEach((p, i) => {
      if (p.type === "jwt") {
        const sources = (["secret", "publicKey", "jwksUrl"] as const).filter((k) => p[k] !== undefined);
        if (sources.length !== 1) {
          diagnostics.error("bad-plugin-option", sources.length === 0 ? `auth.providers[${i}] (jwt) needs a key: \`secret\` (HS256), \`publicKey\` or \`jwksUrl\`` : `auth.providers[${i}] (jwt) gives ${sources.join(" and ")}; give exactly one`, parsed.locate(sources.length ? at(i, sources[1]!) : at(i), sources.length ? "key" : "value"), "e.g. `secret: ${JWT_SECRET}`, or `jwksUrl: https://issuer/.well-known/jwks.json` with `algorithm: RS256`");
          return;
        }
        const algorithms = jwtAlgorithms(p);
        const hmac = algorithms.filter((a) => a.startsWith("HS"));
        if (p.secret !== undefined ? hmac.length !== algorithms.length : hmac.length > 0) {
          diagnostics.error("bad-plugin-option", p.secret !== undefined ? `auth.providers[${i}]: a secret verifies HS256/HS384/HS512 only, not ${algorithms.filter((a) => !a.startsWith("HS")).join(", ")}` : `auth.providers[${i}]: ${hmac.join(", ")} needs a shared \`secret\`, not a public key`, parsed.locate(p.algorithm !== undefined ? at(i, "algorithm") : at(i, sources[0]!), p.algorithm !== undefined ? "value" : "key"));
        }
        if (p.publicKey !== undefined && algorithms.length > 1) diagnostics.error("bad-plugin-option", `auth.providers[${i}]: a public key verifies one algorithm; list several only with jwksUrl`, parsed.locate(at(i, "algorithm")));
        fromEnv(p.secret, i, "secret");
        if (p.publicKey !== undefined && parseConfigString(p.publicKey).kind === "literal" && !/-----BEGIN (PUBLIC KEY|CERTIFICATE)-----/.test(p.publicKey)) {
          diagnostics.error("bad-plugin-option", `auth.providers[${i}].publicKey is not a PEM public key or certificate`, parsed.locate(at(i, "publicKey")), "use `publicKey: ${JWT_PUBLIC_KEY}` with -----BEGIN PUBLIC KEY----- … in the environment");
        }
        if (p.jwksUrl !== undefined && parseConfigString(p.jwksUrl).kind === "literal") {
          let url: URL | undefined;
          try {
            url = new URL(p.jwksUrl);
          } catch {
            url = undefined;
          }
          if (!url || !(url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url.hostname)))) {
            diagnostics.error("bad-plugin-option", `auth.providers[${i}].jwksUrl must be an https:// URL`, parsed.locate(at(i, "jwksUrl")), "e.g. https://issuer.example/.well-known/jwks.json");
          }
        }
        for (const key of ["accessToken", "refreshToken"] as const) {
          if (p[key] !== undefined) diagnostics.warn("not-yet-compiled", `auth.providers[${i}].${key}: issuing tokens (login, refresh) is not compiled by this version of yamac; tokens are only verified`, parsed.locate(at(i, key), "key"));
        }
      } else if (p.type === "api-key") {
        fromEnv(p.keys, i, "keys");
        checkRoles(p.roles, i);
      } else if (p.type === "basic") {
        if (p.mode === "database") {
          diagnostics.error("auth-provider-not-compiled", `auth.providers[${i}]: basic auth against an entity (mode: database) is not compiled by this version of yamac`, parsed.locate(at(i, "mode")), "use `mode: static` with `identifier: ${ADMIN_USER}` and `password: ${ADMIN_PASSWORD}`, or JWT");
          return;
        }
        for (const key of ["userEntity", "identifierField", "passwordField"] as const) {
          if (p[key] !== undefined) diagnostics.error("bad-plugin-option", `auth.providers[${i}].${key} applies to mode: database only`, parsed.locate(at(i, key), "key"));
        }
        for (const key of ["identifier", "password"] as const) {
          if (p[key] === undefined) diagnostics.error("bad-plugin-option", `auth.providers[${i}] (basic) needs \`${key}\``, parsed.locate(at(i), "value"), `add \`${key}: \${${SUGGESTED[key]}}\``);
          else fromEnv(p[key], i, key);
        }
        checkRoles(p.roles, i);
      } else {
        diagnostics.error("auth-provider-not-compiled", `auth provider type ${p.type} is not compiled by this version of yamac`, parsed.locate(at(i, "type")), `providers compiled: ${PROVIDER_TYPES.join(", ")}`);
      }
    });
    if (opts.auth.endpoints !== undefined) diagnostics.warn("not-yet-compiled", "auth.endpoints (register, login, refresh, …) are not compiled by this version of yamac", parsed.locate(["auth", "endpoints"], "key"));
    if (opts.auth.user !== undefined) diagnostics.warn("not-yet-compiled", "auth.user (the user entity and its field mapping) is not compiled by this version of yamac", parsed.locate(["auth", "user"], "key"));
  },
  emit(opts, ir) {
    const jwt = opts.auth.providers.some((p) => p.type === "jwt");
    return {
      files: [emitAuthModule(opts, ir)],
      // Before rate limiting (30), so limits keyed by user see the caller.
      wiring: [{ order: 25, imports: { "./plugins/auth.js": ["authentication"] }, statement: "app.use(authentication);" }],
      dependencies: jwt ? { jose: own.dependencies.jose ?? "^6.2.18" } : undefined,
    };
  },
};
