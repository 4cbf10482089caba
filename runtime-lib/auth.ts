/**
 * Authentication (who is calling) and authorization (may they call this route).
 * `authenticate` runs on every request: the providers are tried in order and the first that
 * accepts the request's credentials decides; rejected credentials leave the caller unauthenticated. Each protected route then carries its own
 * `requireAuth(rule)`: 401 without a valid identity, 403 without a role or permission it needs.
 * `authorize(c, rule)` is the same check inside a handler (`?include=` of a protected relation).
 * JWT lives in auth-jwt.ts, so apps without it do not load a JOSE library.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { ApiError, ServiceUnavailableError } from "./errors.js";
import { type AppEnv, type RequestAuth, requestHeader } from "./http.js";
import { permits } from "./permissions.js";

export type AuthUser = NonNullable<RequestAuth["user"]>;

/** What a provider makes of a request: not its kind of credentials, a user, or a rejection. */
export type ProviderResult =
  | { kind: "absent" }
  | { kind: "user"; user: AuthUser }
  | { kind: "invalid"; reason: string; /** The check itself failed (keys unreachable): 503, not 401. */ unavailable?: boolean };

export interface AuthProvider {
  name: string;
  /** The scheme a 401 advertises in WWW-Authenticate, e.g. `Bearer`. */
  challenge?: string;
  authenticate(c: Context<AppEnv>): Promise<ProviderResult>;
}

/** Permissions each role grants, compiled from `auth.roles`. */
export type RolePermissions = Readonly<Record<string, readonly string[]>>;

/** A route's rule: any one of `roles`, and any one of `permissions`, when listed. */
export interface AccessRule {
  roles?: readonly string[];
  permissions?: readonly string[];
  /** Only credentials from these providers count (e.g. `["jwt"]`). */
  providers?: readonly string[];
}

/**
 * A secret read from the environment when the app starts. A missing one stops the start with
 * a clear message instead of leaving a provider that can never succeed (or, worse, always does).
 */
export function requireSecret(value: string | undefined, name: string): string {
  if (value === undefined || value === "") throw new Error(`auth: ${name} is not set; the app will not start without it`);
  return value;
}

/** Equal strings, in time independent of where they differ (both sides are hashed first, so lengths leak nothing). */
export function sameSecret(a: string, b: string): boolean {
  const x = createHash("sha256").update(a).digest();
  const y = createHash("sha256").update(b).digest();
  return timingSafeEqual(x, y);
}

export { permits } from "./permissions.js";

/** The caller's own permissions plus those of their roles, without duplicates. */
export function grantedPermissions(user: AuthUser, roles: RolePermissions): string[] {
  const out = new Set(user.permissions);
  for (const role of user.roles) for (const p of (Object.hasOwn(roles, role) ? roles[role] : undefined) ?? []) out.add(p);
  return [...out];
}

/** Tries each provider in order and records the caller on the request (`c.get("auth")`, `ctx.auth`). */
export function authenticate(providers: readonly AuthProvider[], roles: RolePermissions): MiddlewareHandler<AppEnv> {
  const challenge = providers.map((p) => p.challenge).filter((c): c is string => c !== undefined).join(", ") || undefined;
  return async (c, next) => {
    let state: RequestAuth = { authenticated: false, ...(challenge ? { challenge } : {}) };
    for (const provider of providers) {
      const result = await provider.authenticate(c);
      if (result.kind === "user") {
        state = { authenticated: true, user: result.user, provider: provider.name, granted: grantedPermissions(result.user, roles) };
        break;
      }
      // Rejected credentials: the next provider may still accept them (two JWT issuers); the first reason is kept.
      if (result.kind === "invalid" && state.failure === undefined) state = { ...state, provider: provider.name, failure: result.reason, ...(result.unavailable ? { unavailable: true } : {}) };
    }
    c.set("auth", state);
    await next();
  };
}

/** The credentials a rule accepts, for messages. */
const list = (names: readonly string[]) => names.join(", ");

/**
 * Throws unless the caller satisfies `rule`: 401 without a valid identity (or with credentials
 * from a provider the rule does not accept), 403 without a role or permission it needs. Fails
 * closed: without the authentication middleware's verdict the caller is not authenticated.
 */
export function authorize(c: Context<AppEnv>, rule: AccessRule = {}): void {
  const roles = rule.roles ?? [];
  const permissions = rule.permissions ?? [];
  const providers = rule.providers ?? [];
  const auth = c.get("auth");
  const user = auth?.authenticated ? auth.user : undefined;
  if (!auth || !user || (providers.length > 0 && !providers.includes(auth.provider ?? ""))) {
    if (auth?.unavailable) throw new ServiceUnavailableError("Credentials cannot be checked right now", "AUTH_UNAVAILABLE");
    if (auth?.challenge) c.header("WWW-Authenticate", auth.challenge);
    if (user) throw new ApiError(401, "AUTH_REQUIRED", `Authentication required (with: ${list(providers)})`);
    if (auth?.failure) throw new ApiError(401, "AUTH_INVALID_TOKEN", `Authentication failed: ${auth.failure}`);
    throw new ApiError(401, "AUTH_REQUIRED", "Authentication required");
  }
  if (roles.length > 0 && !roles.some((r) => user.roles.includes(r))) {
    throw new ApiError(403, "AUTHZ_INSUFFICIENT_ROLE", `Requires one of the roles: ${list(roles)}`);
  }
  if (permissions.length > 0) {
    const granted = auth.granted ?? user.permissions;
    if (!permissions.some((p) => permits(granted, p))) throw new ApiError(403, "AUTHZ_INSUFFICIENT_PERMISSION", `Requires one of the permissions: ${list(permissions)}`);
  }
}

/** One route's access check, placed in front of its handler (see `authorize`). */
export function requireAuth(rule: AccessRule = {}): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    authorize(c, rule);
    await next();
  };
}

/** A list from a claim or option: an array of strings, or one string of names separated by spaces or commas. */
export function names(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((x): x is string => typeof x === "string" && x !== "");
  if (typeof value === "string") return value.split(/[\s,]+/).filter((x) => x !== "");
  return [];
}

export interface ApiKeyOptions {
  /** Lower-case header name. */
  header: string;
  /** SHA-256 digests (hex) of the accepted keys, comma-separated, from the environment. */
  hashes: string;
  /** Where the digests come from, for messages (`API_KEY_HASHES`). */
  source: string;
  roles: readonly string[];
  permissions: readonly string[];
}

/** An API key in a header, accepted only when its SHA-256 digest is in the configured list. */
export function apiKeyProvider(options: ApiKeyOptions): AuthProvider {
  const entries = options.hashes.split(",").map((h) => h.trim().toLowerCase()).filter((h) => h !== "");
  const bad = entries.filter((h) => !/^[0-9a-f]{64}$/.test(h));
  if (bad.length > 0) throw new Error(`auth: ${options.source} must list SHA-256 digests (64 hex characters), comma-separated; ${bad.length} entr${bad.length === 1 ? "y is" : "ies are"} not`);
  if (entries.length === 0) throw new Error(`auth: ${options.source} lists no API key digests`);
  const digests = entries.map((h) => Buffer.from(h, "hex"));
  return {
    name: "api-key",
    async authenticate(c) {
      const key = requestHeader(c, options.header.toLowerCase());
      if (key === undefined || key === "") return { kind: "absent" };
      const digest = createHash("sha256").update(key).digest();
      // Every digest is compared, each in constant time, so timing tells nothing about the list.
      let match = -1;
      digests.forEach((d, i) => {
        if (timingSafeEqual(d, digest) && match < 0) match = i;
      });
      if (match < 0) return { kind: "invalid", reason: "unknown API key" };
      return { kind: "user", user: { id: `api-key:${entries[match]!.slice(0, 12)}`, roles: [...options.roles], permissions: [...options.permissions] } };
    },
  };
}

export interface BasicOptions {
  identifier: string;
  password: string;
  roles: readonly string[];
  permissions: readonly string[];
  realm: string;
}

/**
 * The identifier and password of an `Authorization: Basic` header: "absent" without one,
 * "malformed" when it does not decode to `identifier:password` (or is implausibly long).
 */
export function basicCredentials(header: string | undefined): { identifier: string; password: string } | "absent" | "malformed" {
  if (!/^Basic(\s|$)/i.test(header ?? "")) return "absent";
  // A Basic header whose value is not base64 is credentials that cannot be right, not no credentials.
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header!);
  if (!match) return "malformed";
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 1 || decoded.length > 1024) return "malformed";
  return { identifier: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** `Authorization: Basic` against one identifier and password from the environment. */
export function basicProvider(options: BasicOptions): AuthProvider {
  return {
    name: "basic",
    challenge: `Basic realm=${JSON.stringify(options.realm)}, charset="UTF-8"`,
    async authenticate(c) {
      const credentials = basicCredentials(requestHeader(c, "authorization"));
      if (credentials === "absent") return { kind: "absent" };
      if (credentials === "malformed") return { kind: "invalid", reason: "malformed basic credentials" };
      // Both comparisons always run, so timing does not tell which half was wrong.
      const okUser = sameSecret(credentials.identifier, options.identifier);
      const okPassword = sameSecret(credentials.password, options.password);
      if (!okUser || !okPassword) return { kind: "invalid", reason: "invalid credentials" };
      return { kind: "user", user: { id: options.identifier, roles: [...options.roles], permissions: [...options.permissions] } };
    },
  };
}
