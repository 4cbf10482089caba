/**
 * JWT bearer tokens, verified with jose: HMAC secrets (HS256/384/512), PEM public keys or
 * certificates (RS*, PS*, ES*, EdDSA) and JWKS URLs (keys fetched, cached and refreshed by
 * jose). Issuer, audience, expiry and not-before are checked with a clock tolerance.
 */
import type { Context } from "hono";
import { createRemoteJWKSet, errors, importSPKI, importX509, jwtVerify, type CryptoKey, type JWTPayload, type JWTVerifyGetKey } from "jose";
import { type AuthProvider, type AuthUser, names, type ProviderResult } from "./auth.js";
import { type AppEnv, requestHeader } from "./http.js";
import { badEnvironment } from "./env.js";

export type JwtAlgorithm = "HS256" | "HS384" | "HS512" | "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512" | "ES256" | "ES384" | "ES512" | "EdDSA";

/** Where the verification key comes from: exactly one of them. */
export type JwtKey = { secret: string } | { publicKey: string } | { jwksUrl: string };

export type JwtOptions = JwtKey & {
  algorithms: readonly JwtAlgorithm[];
  issuer?: string | string[];
  audience?: string | string[];
  clockToleranceSeconds: number;
  /** Refuse tokens without an `exp` claim (tokens that never expire). */
  requireExpiration: boolean;
  /** Claims (dotted paths allowed, e.g. `realm_access.roles`) holding the user id, roles and permissions. */
  claims: { id: string; roles: string; permissions: string };
  /** Where the key comes from, for start-up messages (`JWT_SECRET`). */
  source: string;
};

/** HS256 wants at least 32 bytes of key, HS384 48, HS512 64 (RFC 7518 §3.2). */
const MIN_SECRET_BYTES: Partial<Record<JwtAlgorithm, number>> = { HS256: 32, HS384: 48, HS512: 64 };

function claimAt(claims: JWTPayload, path: string): unknown {
  let value: unknown = claims;
  for (const part of path.split(".")) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** A PEM from an environment variable, where newlines are often written as `\n`. */
function pem(text: string): string {
  return text.includes("\\n") ? text.replace(/\\n/g, "\n") : text;
}

function isLoopback(url: URL): boolean {
  return url.hostname === "localhost" || url.hostname === "127.0.0.1" || url.hostname === "[::1]";
}

/** The configured public key or certificate could not be imported. */
class UnusableKey extends Error {}

function keyResolver(options: JwtOptions): () => Promise<Uint8Array | CryptoKey | JWTVerifyGetKey> {
  if ("secret" in options) {
    const secret = new TextEncoder().encode(options.secret);
    const shortest = Math.max(...options.algorithms.map((a) => MIN_SECRET_BYTES[a] ?? 0));
    if (secret.length < shortest) badEnvironment(`${options.source} is ${secret.length} bytes long; ${options.algorithms.join("/")} needs at least ${shortest} (e.g. \`openssl rand -hex 32\`)`);
    return async () => secret;
  }
  if ("jwksUrl" in options) {
    const url = new URL(options.jwksUrl);
    if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopback(url))) throw new Error(`auth: ${options.source} must be an https:// URL`);
    const jwks = createRemoteJWKSet(url, { timeoutDuration: 5000, cooldownDuration: 30_000, cacheMaxAge: 600_000 });
    return async () => jwks;
  }
  const text = pem(options.publicKey);
  const algorithm = options.algorithms[0]!;
  // Imported once, on first use; a bad key fails every request with a logged reason.
  const key = (text.includes("BEGIN CERTIFICATE") ? importX509(text, algorithm) : importSPKI(text, algorithm)).catch((err: unknown) => {
    throw new UnusableKey(`${options.source}: ${err instanceof Error ? err.message : String(err)}`);
  });
  key.catch(() => {});
  return () => key;
}

function reasonOf(err: unknown, remote: boolean): { reason: string; unavailable?: boolean } {
  if (err instanceof errors.JWTExpired) return { reason: "the token has expired" };
  if (err instanceof errors.JWTClaimValidationFailed) return { reason: err.claim === "nbf" ? "the token is not valid yet" : `the token's ${err.claim} claim is not accepted` };
  if (err instanceof errors.JWSSignatureVerificationFailed) return { reason: "the token's signature is not valid" };
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) return { reason: "the token's algorithm is not accepted" };
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) return { reason: "no signing key matches the token" };
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return { reason: "the token is malformed" };
  if (err instanceof UnusableKey) return { reason: "the configured public key cannot be used", unavailable: true };
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return { reason: "the signing keys could not be fetched", unavailable: true };
  if (err instanceof errors.JOSEError) return remote ? { reason: "the signing keys could not be fetched", unavailable: true } : { reason: "the token could not be verified" };
  // Network errors while fetching a JWKS.
  return { reason: remote ? "the signing keys could not be fetched" : "the token could not be verified", unavailable: true };
}

/** `Authorization: Bearer <JWT>`: the user id, roles and permissions come from the configured claims. */
/**
 * A WebSocket handshake's token from \`?token=\`: browsers cannot set headers on a WebSocket. Only
 * upgrade requests read it, so tokens stay out of the URLs (and logs) of other requests.
 */
function socketToken(c: Context<AppEnv>): string | undefined {
  if (requestHeader(c, "upgrade")?.toLowerCase() !== "websocket") return undefined;
  const token = new URL(c.req.url).searchParams.get("token");
  return token === null || token === "" ? undefined : token;
}

export function jwtProvider(options: JwtOptions): AuthProvider {
  const resolveKey = keyResolver(options);
  const verifyOptions = {
    algorithms: [...options.algorithms],
    clockTolerance: options.clockToleranceSeconds,
    ...(options.issuer !== undefined ? { issuer: options.issuer } : {}),
    ...(options.audience !== undefined ? { audience: options.audience } : {}),
    ...(options.requireExpiration ? { requiredClaims: ["exp"] } : {}),
  };
  return {
    name: "jwt",
    challenge: "Bearer",
    async authenticate(c): Promise<ProviderResult> {
      const token = /^Bearer\s+(\S+)\s*$/i.exec(requestHeader(c, "authorization") ?? "")?.[1] ?? socketToken(c);
      if (token === undefined) return { kind: "absent" };
      let claims: JWTPayload;
      try {
        claims = (await jwtVerify(token, await resolveKey(), verifyOptions)).payload;
      } catch (err) {
        const { reason, unavailable } = reasonOf(err, "jwksUrl" in options);
        if (unavailable) console.error(`auth: ${reason}:`, err instanceof Error ? err.message : err);
        return { kind: "invalid", reason, ...(unavailable ? { unavailable } : {}) };
      }
      const rawId = claimAt(claims, options.claims.id) ?? (options.claims.id === "sub" ? claims.id : undefined);
      const id = typeof rawId === "string" ? rawId : typeof rawId === "number" ? String(rawId) : undefined;
      if (!id) return { kind: "invalid", reason: `the token has no ${options.claims.id} claim` };
      const roles = names(claimAt(claims, options.claims.roles));
      if (options.claims.roles === "roles") roles.push(...names(claims.role));
      const user: AuthUser = { ...claims, id, roles: [...new Set(roles)], permissions: names(claimAt(claims, options.claims.permissions)) };
      return { kind: "user", user };
    },
  };
}
