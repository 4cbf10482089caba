/**
 * The `auth:` section as the auth module accepts it (validated with zod; diagnostics carry the
 * line:col of the offending key).
 */
import { z } from "zod";

export const JWT_ALGORITHMS = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** Provider types this version compiles. */
export const PROVIDER_TYPES = ["jwt", "api-key", "basic", "oauth-google", "oauth-github"] as const;

/** Provider types of the YAMA format that are accepted by the schema but refused by analysis (not compiled). */
export const PLANNED_PROVIDER_TYPES = ["oauth", "oauth-microsoft", "oauth-apple", "oauth-discord", "oauth-gitlab", "session", "passkey", "magic-link"] as const;

const name = z.string().regex(/^[A-Za-z0-9_.:-]+$/, "must be a name (letters, digits, _ . : -)");
const permission = z.string().regex(/^(\*|[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)*(:\*)?)$/, 'must be a permission such as "posts:read", "posts:*" or "*"');
const claimPath = z.string().regex(/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/, "must be a claim name, or a dotted path such as realm_access.roles");
const oneOrMore = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
/** `15m`, `7d`, `3600s` or a number of seconds, converted to seconds. */
const duration = z.union([
  z.number().int().positive(),
  z.string().regex(/^\d+\s*(s|m|h|d|w)?$/, "must be a duration such as 15m, 12h or 7d"),
]).transform((v) => {
  if (typeof v === "number") return v;
  const m = /^(\d+)\s*(s|m|h|d|w)?$/.exec(v)!;
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[(m[2] ?? "s") as "s"];
});
const field = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a field name");
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
  /** Tokens the generated /auth endpoints issue (signed with `secret`). */
  accessToken: z.strictObject({ expiresIn: duration.default(900) }).optional(),
  refreshToken: z.strictObject({ enabled: z.boolean().default(true), expiresIn: duration.default(604800), rotation: z.literal(true, "refresh tokens are always rotated: a used one is invalid afterwards").default(true) }).optional(),
});

const apiKey = z.strictObject({
  type: z.literal("api-key"),
  header: z.string().regex(/^[A-Za-z0-9-]+$/, "must be a header name").default("X-API-Key"),
  /** SHA-256 digests (hex) of the accepted keys, comma-separated, from the environment. */
  keys: z.string().min(1).optional(),
  /** Or an entity whose rows hold the SHA-256 digest (hex) of each key. */
  entity: z.string().optional(),
  /** The field of `entity` holding the digest. */
  keyField: field.default("keyHash"),
  /** The field of `entity` naming the user the key acts for (the caller's id). */
  userField: field.optional(),
  /** The field of `entity` holding the key's roles (a list, or names separated by commas). */
  rolesField: field.optional(),
  roles: z.array(name).default([]),
  permissions: z.array(permission).default([]),
});

const basic = z.strictObject({
  type: z.literal("basic"),
  /** `static`: one identity from the environment; `database`: the users of an entity, with hashed passwords. */
  mode: z.enum(["static", "database"]).default("static"),
  identifier: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  roles: z.array(name).default([]),
  permissions: z.array(permission).default([]),
  userEntity: z.string().optional(),
  identifierField: z.string().optional(),
  passwordField: z.string().optional(),
  rolesField: field.optional(),
});

const url = z.string().min(1);

/** OAuth 2.0 (authorization code + PKCE) with Google or GitHub; the URLs may point anywhere (a test's fake provider). */
const oauthFields = {
  clientId: z.string(required("the OAuth client id, e.g. `clientId: ${GOOGLE_CLIENT_ID}`")).min(1),
  clientSecret: z.string(required("the OAuth client secret, from the environment, e.g. `clientSecret: ${GOOGLE_CLIENT_SECRET}`")).min(1),
  /** The callback URL registered with the provider (default: /auth/<provider>/callback on the request's origin). */
  redirectUri: url.optional(),
  scopes: z.array(z.string().min(1)).optional(),
  authorizeUrl: url.optional(),
  tokenUrl: url.optional(),
  userInfoUrl: url.optional(),
  /** Routes are generated whenever the provider is configured; `false` is refused. */
  autoGenerateEndpoints: z.literal(true).optional(),
};
const oauthGoogle = z.strictObject({ type: z.literal("oauth-google"), ...oauthFields });
const oauthGithub = z.strictObject({ type: z.literal("oauth-github"), ...oauthFields, emailsUrl: url.optional() });

/** `register: true`, `register: false` or `register: {enabled, path}` under `auth.endpoints`. */
const endpointSwitch = z.union([z.boolean(), z.strictObject({ enabled: z.boolean().default(true), path: z.string().regex(/^\/[A-Za-z0-9/_-]*$/, "must be a path such as /login").optional(), rateLimit: z.unknown().optional() })]).default(true);

const planned = z.looseObject({ type: z.enum(PLANNED_PROVIDER_TYPES) });

export const provider = z.discriminatedUnion("type", [jwt, apiKey, basic, oauthGoogle, oauthGithub, planned], {
  error: (issue) => (issue.code === "invalid_union" ? `unknown provider type; this version compiles ${PROVIDER_TYPES.join(", ")}` : undefined),
});

export const authOptions = z.strictObject({
  auth: z.strictObject({
    providers: z.array(provider).min(1, "list at least one provider"),
    roles: z.record(name, z.strictObject({ permissions: z.array(permission).default([]), description: z.string().optional() }).nullable()).default({}),
    /** The user entity behind the /auth endpoints, OAuth sign-in and `basic` in database mode. */
    user: z.strictObject({
      entity: z.string().min(1),
      fields: z.strictObject({ id: field.optional(), email: field.optional(), password: field.optional(), roles: field.optional(), name: field.optional() }).default({}),
    }).optional(),
    /** The role of users whose row lists none (and of new users when there is a roles field). */
    defaultRole: name.optional(),
    /** Generated /auth routes: `true` for all of them, or each one on or off. */
    endpoints: z.union([z.boolean(), z.strictObject({
      enabled: z.boolean().default(true),
      prefix: z.string().regex(/^\/[A-Za-z0-9/_-]*$/, "must be a path such as /auth").default("/auth"),
      register: endpointSwitch,
      login: endpointSwitch,
      refresh: endpointSwitch,
      me: endpointSwitch,
      logout: endpointSwitch,
      changePassword: endpointSwitch,
      /** Need e-mail delivery: part of the YAMA format, not compiled. */
      forgotPassword: z.unknown().optional(),
      resetPassword: z.unknown().optional(),
      verifyEmail: z.unknown().optional(),
    })]).optional(),
    /** Part of the YAMA format, not compiled. */
    guestPermissions: z.array(permission).optional(),
  }),
});

export type AuthOptions = z.output<typeof authOptions>;
export type ProviderOptions = AuthOptions["auth"]["providers"][number];
export type JwtProviderOptions = z.output<typeof jwt>;
export type ApiKeyProviderOptions = z.output<typeof apiKey>;
export type BasicProviderOptions = z.output<typeof basic>;
export type OAuthProviderOptions = z.output<typeof oauthGoogle> | z.output<typeof oauthGithub>;

/** The generated /auth routes, in the order they are emitted. */
export const AUTH_ROUTES = ["register", "login", "refresh", "me", "logout", "changePassword"] as const;
export type AuthRoute = (typeof AUTH_ROUTES)[number];

/** Each enabled /auth route with its full path (`/auth/login`); empty without `auth.endpoints`. */
export function authRoutes(opts: AuthOptions): { route: AuthRoute; path: string }[] {
  const e = opts.auth.endpoints;
  if (e === undefined || e === false) return [];
  const config = e === true ? undefined : e;
  if (config && !config.enabled) return [];
  const prefix = (config?.prefix ?? "/auth").replace(/\/$/, "");
  const defaults: Record<AuthRoute, string> = { register: "/register", login: "/login", refresh: "/refresh", me: "/me", logout: "/logout", changePassword: "/change-password" };
  return AUTH_ROUTES.flatMap((route) => {
    const sw = config ? config[route] : true;
    if (sw === false || (typeof sw === "object" && !sw.enabled)) return [];
    const own = typeof sw === "object" ? sw.path : undefined;
    return [{ route, path: `${prefix}${own ?? defaults[route]}` }];
  });
}

export const isOAuth = (p: ProviderOptions): p is OAuthProviderOptions => p.type === "oauth-google" || p.type === "oauth-github";

/** The algorithms a JWT provider accepts, defaults applied. */
export function jwtAlgorithms(p: JwtProviderOptions): JwtAlgorithm[] {
  if (p.algorithm === undefined) return [p.secret !== undefined ? "HS256" : "RS256"];
  return Array.isArray(p.algorithm) ? [...new Set(p.algorithm)] : [p.algorithm];
}

/** The permissions of each declared role (`roles: {viewer: ~}` grants none). */
export function rolePermissions(opts: AuthOptions): Record<string, string[]> {
  return Object.fromEntries(Object.entries(opts.auth.roles).map(([role, r]) => [role, r?.permissions ?? []]));
}
