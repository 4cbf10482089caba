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
import { parseConfigString } from "../2-analyze/config-string.js";
import { versionOf } from "../4-emit/project.js";
import type { AppWiring, YamaPlugin } from "./types.js";
import { emitAuthRoutes, emitAuthTables, emitOAuthRoutes, emitTokensModule, IDENTITY_TABLE, REFRESH_TABLE } from "./auth/emit-issuing.js";
import { emitAuthModule } from "./auth/emit.js";
import { type AuthOptions, authOptions, authRoutes, isOAuth, jwtAlgorithms, PROVIDER_TYPES } from "./auth/options.js";
import { issuesTokens, type Report, resolveApiKeyTable, resolveBasicTable, resolveSigner, resolveUserModel } from "./auth/model.js";
import { AUTH_PLUGIN } from "./auth/rules.js";

export type { AuthOptions } from "./auth/options.js";
export { authRequirement, checkPolicyRules, routeAccess, routeRequirements } from "./auth/rules.js";


/** Environment variable names suggested for each secret. */
const SUGGESTED: Readonly<Record<string, string>> = { secret: "JWT_SECRET", keys: "API_KEY_HASHES", identifier: "ADMIN_USER", password: "ADMIN_PASSWORD", clientSecret: "OAUTH_CLIENT_SECRET" };

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
    const report: Report = (code, message, path, hint, part) => diagnostics.error(code, message, parsed.locate(path, part), hint);
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
      } else if (p.type === "api-key") {
        if ((p.keys === undefined) === (p.entity === undefined)) {
          diagnostics.error("bad-plugin-option", p.keys === undefined ? `auth.providers[${i}] (api-key) needs the accepted keys: \`keys: \${API_KEY_HASHES}\` (SHA-256 digests) or \`entity: ApiKey\`` : `auth.providers[${i}] (api-key) gives both keys and entity; give one`, parsed.locate(p.keys === undefined ? at(i) : at(i, "entity"), p.keys === undefined ? "value" : "key"), "keys from the environment suit a few service keys; an entity suits keys users create and revoke");
        }
        if (p.entity === undefined) {
          for (const key of ["userField", "rolesField"] as const) {
            if (p[key] !== undefined) diagnostics.error("bad-plugin-option", `auth.providers[${i}].${key} applies with \`entity:\` only`, parsed.locate(at(i, key), "key"));
          }
        }
        fromEnv(p.keys, i, "keys");
        resolveApiKeyTable(p, i, ctx.entities, report);
        checkRoles(p.roles, i);
      } else if (p.type === "basic") {
        if (p.mode === "database") {
          for (const key of ["identifier", "password"] as const) {
            if (p[key] !== undefined) diagnostics.error("bad-plugin-option", `auth.providers[${i}].${key} applies to mode: static only; in database mode the users are rows of the user entity`, parsed.locate(at(i, key), "key"));
          }
          resolveBasicTable(p, i, opts, ctx.entities, report);
        } else {
          for (const key of ["userEntity", "identifierField", "passwordField", "rolesField"] as const) {
            if (p[key] !== undefined) diagnostics.error("bad-plugin-option", `auth.providers[${i}].${key} applies to mode: database only`, parsed.locate(at(i, key), "key"));
          }
          for (const key of ["identifier", "password"] as const) {
            if (p[key] === undefined) diagnostics.error("bad-plugin-option", `auth.providers[${i}] (basic) needs \`${key}\``, parsed.locate(at(i), "value"), `add \`${key}: \${${SUGGESTED[key]}}\``);
            else fromEnv(p[key], i, key);
          }
        }
        checkRoles(p.roles, i);
      } else if (isOAuth(p)) {
        fromEnv(p.clientSecret, i, "clientSecret");
        for (const key of ["authorizeUrl", "tokenUrl", "userInfoUrl", "emailsUrl", "redirectUri"] as const) {
          const value = (p as Record<string, unknown>)[key];
          if (typeof value !== "string" || parseConfigString(value).kind !== "literal") continue;
          let url: URL | undefined;
          try {
            url = new URL(value);
          } catch {
            url = undefined;
          }
          if (!url || !(url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url.hostname)))) {
            diagnostics.error("bad-plugin-option", `auth.providers[${i}].${key} must be an https:// URL (http:// only on localhost)`, parsed.locate(at(i, key)));
          }
        }
        const twice = opts.auth.providers.findIndex((q) => q.type === p.type);
        if (twice !== i) diagnostics.error("bad-plugin-option", `auth.providers[${i}] configures ${p.type} a second time`, parsed.locate(at(i, "type")), "keep one entry per OAuth provider");
      } else {
        diagnostics.error("auth-provider-not-compiled", `auth provider type ${p.type} is not compiled by this version of yamac`, parsed.locate(at(i, "type")), `providers compiled: ${PROVIDER_TYPES.join(", ")}`);
      }
    });
    const routes = authRoutes(opts);
    const model = resolveUserModel(opts, ctx.entities, report);
    if (model) {
      // What signs a user in is written by the /auth routes, not by request bodies of CRUD routes and
      // operations: the password hash never (change-password checks the current password and revokes
      // sessions); the roles only by callers the field's `writableBy` names (without it, by handlers
      // only); an e-mail sign-in name is stored lowercased, as register and login compare it.
      model.password.readonly = true;
      if (model.roles && !model.roles.writableBy?.length) model.roles.readonly = true;
      if (model.identifier.type === "email") model.identifier.lowercase = true;
      const role = opts.auth.defaultRole;
      if (role !== undefined && model.roles?.type === "enum" && !(model.roles.enumValues ?? []).includes(role)) {
        diagnostics.error("auth-user-field", `auth.defaultRole "${role}" is not a value of ${model.entity.name}.${model.roles.name} (${(model.roles.enumValues ?? []).join(", ")}), so no new user could be stored`, parsed.locate(["auth", "defaultRole"]), `add ${role} to the enum, or choose one of its values`);
      }
    }
    const oauth = opts.auth.providers.findIndex(isOAuth);
    if (issuesTokens(opts, routes.length)) {
      const what = routes.length > 0 ? "auth.endpoints" : `auth.providers[${oauth}] (${opts.auth.providers[oauth]!.type})`;
      const where = routes.length > 0 ? parsed.locate(["auth", "endpoints"], "key") : parsed.locate(at(oauth, "type"));
      if (!resolveSigner(opts)) diagnostics.error("auth-no-signing-key", `${what} issues tokens, but no JWT provider has a \`secret\` to sign them with`, where, "add `- {type: jwt, secret: ${JWT_SECRET}}` to auth.providers (HS256/HS384/HS512)");
      if (!opts.auth.user) diagnostics.error("auth-no-user-entity", `${what} needs the user entity to sign users in`, where, "add `auth: {user: {entity: User}}` (fields email and passwordHash by default)");
      if (model && oauth >= 0 && model.password.notNull) {
        diagnostics.error("auth-user-field", `users who sign in with ${opts.auth.providers[oauth]!.type} have no password, but ${model.entity.name}.${model.password.name} is required`, parsed.locate(opts.auth.user!.fields.password !== undefined ? ["auth", "user", "fields", "password"] : ["auth", "user", "entity"]), `make it optional: \`${model.password.name}: string? sensitive\``);
      }
    } else {
      const jwtAt = opts.auth.providers.findIndex((p) => p.type === "jwt" && (p.accessToken !== undefined || p.refreshToken !== undefined));
      if (jwtAt >= 0) diagnostics.warn("auth-tokens-unused", `auth.providers[${jwtAt}] sets accessToken/refreshToken, but no route issues tokens`, parsed.locate(at(jwtAt), "value"), "enable `auth.endpoints` (login, refresh, …) or an OAuth provider, or remove them");
    }
    if (issuesTokens(opts, routes.length)) {
      for (const table of ["auth_refresh_tokens", ...(oauth >= 0 ? ["auth_identities"] : [])]) {
        const clash = ctx.entities.find((e) => e.table === table);
        if (clash) diagnostics.error("duplicate-table", `entity ${clash.name} uses the table ${table}, which the auth module adds`, clash.loc, "give the entity another `table:`");
      }
    }
    if (opts.auth.defaultRole !== undefined && !declaredRoles.includes(opts.auth.defaultRole)) {
      diagnostics.error("unknown-role", `auth.defaultRole "${opts.auth.defaultRole}" is not declared under auth.roles`, parsed.locate(["auth", "defaultRole"]), `declare it: \`roles: {${opts.auth.defaultRole}: {permissions: [...]}}\``);
    }
    const endpoints = opts.auth.endpoints;
    if (typeof endpoints === "object") {
      for (const key of ["forgotPassword", "resetPassword", "verifyEmail"] as const) {
        if (endpoints[key] !== undefined && endpoints[key] !== false) diagnostics.warn("not-yet-compiled", `auth.endpoints.${key} needs e-mail delivery, which this version of yamac does not compile; the route is not generated`, parsed.locate(["auth", "endpoints", key], "key"));
      }
      for (const route of ["register", "login", "refresh", "me", "logout", "changePassword"] as const) {
        const sw = endpoints[route];
        if (typeof sw === "object" && sw.rateLimit !== undefined) diagnostics.warn("not-yet-compiled", `auth.endpoints.${route}.rateLimit is not compiled; limit the route with the top-level \`rateLimit:\` section`, parsed.locate(["auth", "endpoints", route, "rateLimit"], "key"));
      }
    }
    if (opts.auth.guestPermissions !== undefined) diagnostics.warn("not-yet-compiled", "auth.guestPermissions is not compiled by this version of yamac; public routes say `auth: false`", parsed.locate(["auth", "guestPermissions"], "key"));
  },
  emit(opts, ir) {
    const jwt = opts.auth.providers.some((p) => p.type === "jwt");
    const files = [emitAuthModule(opts, ir)];
    const wiring: AppWiring[] = [{ order: 25, imports: { "./plugins/auth.js": ["authentication"] }, statement: "app.use(authentication);" }];
    const dependencies: Record<string, string> = {};
    if (jwt) dependencies.jose = versionOf("jose");
    const routes = authRoutes(opts);
    const model = resolveUserModel(opts, ir.entities);
    const signer = resolveSigner(opts);
    const oauth = opts.auth.providers.some(isOAuth);
    const passwords = routes.length > 0 || opts.auth.providers.some((p) => p.type === "basic" && p.mode === "database");
    if (passwords) dependencies["hash-wasm"] = versionOf("hash-wasm");
    const tables: string[] = [];
    if (model && signer && issuesTokens(opts, routes.length)) {
      files.push(...emitAuthTables(model, oauth, ir), emitTokensModule(opts, model, signer, ir));
      tables.push(REFRESH_TABLE.file, ...(oauth ? [IDENTITY_TABLE.file] : []));
      if (routes.length) {
        files.push(emitAuthRoutes(opts, model, routes, ir));
        wiring.push({ order: 50, imports: { "./auth/routes.js": ["authRoutes"] }, statement: `app.route("/", authRoutes);` });
      }
      if (oauth) {
        files.push(emitOAuthRoutes(opts, model, signer, ir));
        wiring.push({ order: 50, imports: { "./auth/oauth.js": ["oauthRoutes"] }, statement: `app.route("/", oauthRoutes);` });
      }
    }
    return { files, wiring, dependencies: Object.keys(dependencies).length ? dependencies : undefined, tables };
  },
};
