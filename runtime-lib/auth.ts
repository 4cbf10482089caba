/**
 * Authentication (who is calling) and authorization (may they call this route).
 * Providers are tried in order; the first that recognises credentials decides. Routes then
 * check their compiled requirement: 401 when not authenticated, 403 when authenticated but
 * lacking the role or permission.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { verify } from "hono/jwt";
import { ApiError } from "./errors.js";

export interface AuthUser {
  id: string;
  roles: string[];
  permissions: string[];
  [claim: string]: unknown;
}

export interface AuthState {
  authenticated: boolean;
  user?: AuthUser;
  provider?: string;
  /** Why presented credentials were rejected (bad signature, expired, unknown key). */
  failure?: string;
}

/** What a provider makes of a request: not its kind of credentials, a user, or a rejection. */
export type ProviderResult = { kind: "absent" } | { kind: "user"; user: AuthUser } | { kind: "invalid"; reason: string };

export interface AuthProvider {
  name: string;
  authenticate(c: Context): Promise<ProviderResult>;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : typeof v === "string" ? [v] : []);

function sameText(a: string, b: string): boolean {
  const x = createHash("sha256").update(a).digest();
  const y = createHash("sha256").update(b).digest();
  return timingSafeEqual(x, y);
}

export interface JwtOptions {
  secret: string;
  algorithm: "HS256" | "HS384" | "HS512";
  issuer?: string;
  audience?: string;
  clockSkewSeconds: number;
}

/** `Authorization: Bearer <JWT>`; `sub` (or `id`) is the user id, `roles`/`role` and `permissions` come from claims. */
export function jwtProvider(options: JwtOptions): AuthProvider {
  return {
    name: "jwt",
    async authenticate(c) {
      const header = c.req.header("authorization");
      if (!header?.startsWith("Bearer ")) return { kind: "absent" };
      if (!options.secret) return { kind: "invalid", reason: "no signing key is configured" };
      let claims: Record<string, unknown>;
      try {
        claims = (await verify(header.slice(7).trim(), options.secret, { alg: options.algorithm, exp: false, nbf: false, iat: false, ...(options.issuer ? { iss: options.issuer } : {}), ...(options.audience ? { aud: options.audience } : {}) })) as Record<string, unknown>;
      } catch {
        return { kind: "invalid", reason: "the token is not valid" };
      }
      const now = Math.floor(Date.now() / 1000);
      if (typeof claims.exp === "number" && claims.exp + options.clockSkewSeconds < now) return { kind: "invalid", reason: "the token has expired" };
      if (typeof claims.nbf === "number" && claims.nbf - options.clockSkewSeconds > now) return { kind: "invalid", reason: "the token is not valid yet" };
      const id = typeof claims.sub === "string" ? claims.sub : typeof claims.id === "string" ? claims.id : undefined;
      if (!id) return { kind: "invalid", reason: "the token names no subject" };
      return { kind: "user", user: { ...claims, id, roles: [...strings(claims.roles), ...strings(claims.role)], permissions: strings(claims.permissions) } };
    },
  };
}

/** An API key in a header, accepted when its SHA-256 (hex) is in the configured list. */
export function apiKeyProvider(options: { header: string; hashes: string[] }): AuthProvider {
  const hashes = options.hashes.map((h) => h.trim().toLowerCase()).filter((h) => /^[0-9a-f]{64}$/.test(h));
  return {
    name: "api-key",
    async authenticate(c) {
      const key = c.req.header(options.header);
      if (key === undefined || key === "") return { kind: "absent" };
      const digest = createHash("sha256").update(key).digest("hex");
      const match = hashes.find((h) => sameText(h, digest));
      if (!match) return { kind: "invalid", reason: "unknown API key" };
      return { kind: "user", user: { id: `api-key:${match.slice(0, 12)}`, roles: ["api-key"], permissions: [] } };
    },
  };
}

/** `Authorization: Basic` against one identifier and password from the environment. */
export function basicProvider(options: { identifier: string; password: string; roles: string[] }): AuthProvider {
  return {
    name: "basic",
    async authenticate(c) {
      const header = c.req.header("authorization");
      if (!header?.startsWith("Basic ")) return { kind: "absent" };
      const decoded = Buffer.from(header.slice(6).trim(), "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon < 0 || !options.identifier || !options.password) return { kind: "invalid", reason: "invalid credentials" };
      const okUser = sameText(decoded.slice(0, colon), options.identifier);
      const okPassword = sameText(decoded.slice(colon + 1), options.password);
      if (!okUser || !okPassword) return { kind: "invalid", reason: "invalid credentials" };
      return { kind: "user", user: { id: options.identifier, roles: options.roles, permissions: [] } };
    },
  };
}

/** Tries each provider in order and records the caller on the request (`c.get("auth")`). */
export function authenticate(providers: readonly AuthProvider[]): MiddlewareHandler {
  return async (c, next) => {
    let state: AuthState = { authenticated: false };
    for (const provider of providers) {
      const result = await provider.authenticate(c);
      if (result.kind === "user") {
        state = { authenticated: true, user: result.user, provider: provider.name };
        break;
      }
      if (result.kind === "invalid") {
        state = { authenticated: false, provider: provider.name, failure: result.reason };
        break;
      }
    }
    c.set("auth" as never, state as never);
    await next();
  };
}

/** `posts:*` grants `posts:read`; `*` grants everything. */
export function permits(granted: readonly string[], wanted: string): boolean {
  return granted.some((g) => g === "*" || g === wanted || (g.endsWith(":*") && wanted.startsWith(g.slice(0, -1))));
}

export interface Requirement {
  roles: readonly string[];
  permissions: readonly string[];
}

/** The auth state of a request (unauthenticated when no auth middleware ran). */
export function authOf(c: Context): AuthState {
  return (c.get("auth" as never) as AuthState | undefined) ?? { authenticated: false };
}

/** A route's requirement: 401 without a valid identity, 403 without a role or permission it needs. */
export function requireAuth(requirement: Requirement, rolePermissions: Readonly<Record<string, readonly string[]>>): MiddlewareHandler {
  return async (c, next) => {
    const auth = authOf(c);
    if (!auth.authenticated || !auth.user) {
      if (auth.failure) throw new ApiError(401, "AUTH_INVALID_TOKEN", `Authentication failed: ${auth.failure}`);
      throw new ApiError(401, "AUTH_REQUIRED", "Authentication required");
    }
    const user = auth.user;
    if (requirement.roles.length > 0 && !requirement.roles.some((r) => user.roles.includes(r))) {
      throw new ApiError(403, "AUTHZ_INSUFFICIENT_ROLE", `Requires one of the roles: ${requirement.roles.join(", ")}`);
    }
    if (requirement.permissions.length > 0) {
      const granted = [...user.permissions, ...user.roles.flatMap((r) => rolePermissions[r] ?? [])];
      if (!requirement.permissions.some((p) => permits(granted, p))) {
        throw new ApiError(403, "AUTHZ_INSUFFICIENT_PERMISSION", `Requires one of the permissions: ${requirement.permissions.join(", ")}`);
      }
    }
    await next();
  };
}
