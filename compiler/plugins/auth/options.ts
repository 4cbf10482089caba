/**
 * The `auth:` section as the auth module accepts it (validated with zod; diagnostics carry the
 * line:col of the offending key).
 */
import { z } from "zod";

export const JWT_ALGORITHMS = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** Provider types this version compiles. */
export const PROVIDER_TYPES = ["jwt", "api-key", "basic"] as const;

/** Provider types of the YAMA format that are accepted by the schema but refused by analysis (not compiled). */
export const PLANNED_PROVIDER_TYPES = ["oauth", "oauth-google", "oauth-github", "oauth-microsoft", "oauth-apple", "oauth-discord", "oauth-gitlab", "session", "passkey", "magic-link"] as const;

const name = z.string().regex(/^[A-Za-z0-9_.:-]+$/, "must be a name (letters, digits, _ . : -)");
const permission = z.string().regex(/^(\*|[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)*(:\*)?)$/, 'must be a permission such as "posts:read", "posts:*" or "*"');
const claimPath = z.string().regex(/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/, "must be a claim name, or a dotted path such as realm_access.roles");
const oneOrMore = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
const required = (what: string) => ({ error: (issue: { input?: unknown }) => (issue.input === undefined ? `is required: ${what}` : "must be a string") });

const jwt = z.strictObject({
  type: z.literal("jwt"),
  /** HMAC secret (HS*), from the environment. */
  secret: z.string().min(1).optional(),
  /** PEM public key (SPKI) or X.509 certificate (RS*, PS*, ES*, EdDSA); not secret, but usually `${JWT_PUBLIC_KEY}`. */
  publicKey: z.string().min(1).optional(),
  /** URL of a JSON Web Key Set (https). */
  jwksUrl: z.string().min(1).optional(),
  /** One algorithm, or several (JWKS): HS256 with `secret`, RS256 otherwise, when absent. */
  algorithm: z.union([z.enum(JWT_ALGORITHMS), z.array(z.enum(JWT_ALGORITHMS)).min(1)]).optional(),
  issuer: oneOrMore.optional(),
  audience: oneOrMore.optional(),
  /** Seconds of tolerance on exp and nbf. */
  clockSkew: z.number().int().min(0).max(600).default(30),
  /** Refuse tokens without `exp`. */
  requireExpiration: z.boolean().default(true),
  claims: z
    .strictObject({ id: claimPath.default("sub"), roles: claimPath.default("roles"), permissions: claimPath.default("permissions") })
    .default({ id: "sub", roles: "roles", permissions: "permissions" }),
  /** Token issuing (login endpoints): part of the YAMA format, not compiled. */
  accessToken: z.unknown().optional(),
  refreshToken: z.unknown().optional(),
});

const apiKey = z.strictObject({
  type: z.literal("api-key"),
  header: z.string().regex(/^[A-Za-z0-9-]+$/, "must be a header name").default("X-API-Key"),
  /** SHA-256 digests (hex) of the accepted keys, comma-separated, from the environment. */
  keys: z.string(required("the SHA-256 digests of the accepted keys, from the environment, e.g. `keys: ${API_KEY_HASHES}`")).min(1),
  roles: z.array(name).default([]),
  permissions: z.array(permission).default([]),
});

const basic = z.strictObject({
  type: z.literal("basic"),
  /** `database` (users of an entity, hashed passwords) is part of the YAMA format, not compiled. */
  mode: z.enum(["static", "database"]).default("static"),
  identifier: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  roles: z.array(name).default([]),
  permissions: z.array(permission).default([]),
  userEntity: z.string().optional(),
  identifierField: z.string().optional(),
  passwordField: z.string().optional(),
});

const planned = z.looseObject({ type: z.enum(PLANNED_PROVIDER_TYPES) });

export const provider = z.discriminatedUnion("type", [jwt, apiKey, basic, planned], {
  error: (issue) => (issue.code === "invalid_union" ? `unknown provider type; this version compiles ${PROVIDER_TYPES.join(", ")}` : undefined),
});

export const authOptions = z.strictObject({
  auth: z.strictObject({
    providers: z.array(provider).min(1, "list at least one provider"),
    roles: z.record(name, z.strictObject({ permissions: z.array(permission).default([]), description: z.string().optional() }).nullable()).default({}),
    /** Planned in the YAMA format (user entity mapping, generated /auth endpoints): not compiled. */
    user: z.unknown().optional(),
    endpoints: z.unknown().optional(),
  }),
});

export type AuthOptions = z.output<typeof authOptions>;
export type ProviderOptions = AuthOptions["auth"]["providers"][number];
export type JwtProviderOptions = z.output<typeof jwt>;
export type ApiKeyProviderOptions = z.output<typeof apiKey>;
export type BasicProviderOptions = z.output<typeof basic>;

/** The algorithms a JWT provider accepts, defaults applied. */
export function jwtAlgorithms(p: JwtProviderOptions): JwtAlgorithm[] {
  if (p.algorithm === undefined) return [p.secret !== undefined ? "HS256" : "RS256"];
  return Array.isArray(p.algorithm) ? [...new Set(p.algorithm)] : [p.algorithm];
}

/** The permissions of each declared role (`roles: {viewer: ~}` grants none). */
export function rolePermissions(opts: AuthOptions): Record<string, string[]> {
  return Object.fromEntries(Object.entries(opts.auth.roles).map(([role, r]) => [role, r?.permissions ?? []]));
}
