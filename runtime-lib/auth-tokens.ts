/**
 * Tokens the generated /auth endpoints issue: short-lived JWT access tokens signed with the
 * configured HMAC secret, and opaque refresh tokens (256 random bits) of which only the
 * SHA-256 digest is stored, so a leaked table cannot be replayed.
 */
import { createHash, randomBytes } from "node:crypto";
import { SignJWT } from "jose";

export interface AccessTokenOptions {
  secret: string;
  algorithm: "HS256" | "HS384" | "HS512";
  /** Seconds. */
  expiresIn: number;
  issuer?: string;
  audience?: string | string[];
}

/** What the app puts in an access token. */
export interface TokenSubject {
  id: string | number;
  roles: readonly string[];
}

/** A signed access token for `subject`: sub, roles, iat, exp (and iss/aud when configured). */
export function signAccessToken(subject: TokenSubject, options: AccessTokenOptions): Promise<string> {
  const jwt = new SignJWT({ roles: [...subject.roles] })
    .setProtectedHeader({ alg: options.algorithm, typ: "JWT" })
    .setSubject(String(subject.id))
    .setIssuedAt()
    .setExpirationTime(`${options.expiresIn}s`);
  if (options.issuer !== undefined) jwt.setIssuer(options.issuer);
  if (options.audience !== undefined) jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(options.secret));
}

/** A new opaque token (base64url, 43 characters). */
export function newOpaqueToken(): string {
  return randomBytes(32).toString("base64url");
}

/** The digest stored for an opaque token. */
export function tokenDigest(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
