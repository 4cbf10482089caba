/**
 * OAuth 2.0 authorization-code flow with PKCE (S256) and state, for Google and GitHub.
 * `GET /auth/<provider>` redirects to the provider with a fresh state and code challenge; the
 * state and the code verifier travel in an encrypted, HttpOnly cookie (nothing is stored on
 * the server). The callback checks the state, exchanges the code with the verifier and reads
 * the profile; the generated route then links or creates the user and issues the app's tokens.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { EncryptJWT, jwtDecrypt } from "jose";
import { ApiError, ValidationError } from "./errors.js";
import type { AppEnv } from "./http.js";

export interface OAuthClientOptions {
  provider: "google" | "github";
  clientId: string;
  clientSecret: string;
  /** The callback URL registered with the provider; by default the callback route on the request's origin. */
  redirectUri?: string;
  scopes: readonly string[];
  authorizeUrl: string;
  tokenUrl: string;
  userInfoUrl: string;
  /** GitHub: where the verified addresses are listed. */
  emailsUrl?: string;
  /** Path of the callback route (`/auth/google/callback`). */
  callbackPath: string;
  /** Key material for the state cookie (the app's token secret). */
  cookieSecret: string;
}

/** Who the provider says the user is. */
export interface OAuthProfile {
  provider: string;
  /** The provider's stable user id. */
  subject: string;
  email?: string;
  /** The provider vouches for the address; only such an address links to an existing user. */
  emailVerified: boolean;
  name?: string;
}

const STATE_TTL_SECONDS = 600;
const base64url = (bytes: Buffer) => bytes.toString("base64url");

/** The S256 code challenge of a verifier (RFC 7636 §4.2). */
export function codeChallenge(verifier: string): string {
  return base64url(createHash("sha256").update(verifier).digest());
}

function cookieKey(secret: string): Uint8Array {
  return createHash("sha256").update(`yamac oauth state\0${secret}`).digest();
}

const cookieName = (o: OAuthClientOptions) => `oauth_${o.provider}`;
const redirectUri = (c: Context<AppEnv>, o: OAuthClientOptions) => o.redirectUri ?? new URL(o.callbackPath, c.req.url).href;

/** `GET /auth/<provider>`: a 302 to the provider's consent page. */
export async function startAuthorization(c: Context<AppEnv>, o: OAuthClientOptions): Promise<Response> {
  const state = base64url(randomBytes(32));
  const verifier = base64url(randomBytes(32));
  const sealed = await new EncryptJWT({ state, verifier })
    .setProtectedHeader({ alg: "dir", enc: "A256GCM" })
    .setIssuedAt()
    .setExpirationTime(`${STATE_TTL_SECONDS}s`)
    .encrypt(cookieKey(o.cookieSecret));
  setCookie(c, cookieName(o), sealed, { httpOnly: true, sameSite: "Lax", secure: new URL(c.req.url).protocol === "https:", path: o.callbackPath, maxAge: STATE_TTL_SECONDS });
  const url = new URL(o.authorizeUrl);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: o.clientId,
    redirect_uri: redirectUri(c, o),
    scope: o.scopes.join(" "),
    state,
    code_challenge: codeChallenge(verifier),
    code_challenge_method: "S256",
  }).toString();
  c.header("Cache-Control", "no-store");
  return c.redirect(url.href, 302);
}

async function providerJson(url: string, init: RequestInit, what: string): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  } catch {
    throw new ApiError(502, "EXTERNAL_OAUTH", `The identity provider could not be reached (${what})`);
  }
  const body = (await res.json().catch(() => undefined)) as unknown;
  if (!res.ok || typeof body !== "object" || body === null) {
    // The code was refused (expired, replayed, wrong verifier): the user must start again.
    if (what === "token" && res.status >= 400 && res.status < 500) throw new ValidationError("The authorization code was refused by the identity provider", undefined, "OAUTH_CODE_REJECTED");
    throw new ApiError(502, "EXTERNAL_OAUTH", `The identity provider answered ${res.status} (${what})`);
  }
  return body as Record<string, unknown>;
}

const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : typeof v === "number" ? String(v) : undefined);

async function readProfile(o: OAuthClientOptions, accessToken: string): Promise<OAuthProfile> {
  const headers = { authorization: `Bearer ${accessToken}`, accept: "application/json", "user-agent": "yamac-app" };
  const info = await providerJson(o.userInfoUrl, { headers }, "userinfo");
  if (o.provider === "google") {
    const subject = text(info.sub);
    if (!subject) throw new ApiError(502, "EXTERNAL_OAUTH", "The identity provider returned no user id");
    return { provider: o.provider, subject, email: text(info.email)?.toLowerCase(), emailVerified: info.email_verified === true, name: text(info.name) };
  }
  const subject = text(info.id);
  if (!subject) throw new ApiError(502, "EXTERNAL_OAUTH", "The identity provider returned no user id");
  // GitHub's profile email is whatever the user made public; the verified primary address comes from /user/emails.
  let email: string | undefined;
  if (o.emailsUrl) {
    const res = await fetch(o.emailsUrl, { headers, signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
    const list = res?.ok ? ((await res.json().catch(() => [])) as unknown) : [];
    if (Array.isArray(list)) {
      const primary = list.find((e: unknown) => typeof e === "object" && e !== null && (e as { primary?: unknown }).primary === true && (e as { verified?: unknown }).verified === true) as { email?: unknown } | undefined;
      email = text(primary?.email)?.toLowerCase();
    }
  }
  return { provider: o.provider, subject, ...(email ? { email } : {}), emailVerified: email !== undefined, name: text(info.name) ?? text(info.login) };
}

/**
 * `GET /auth/<provider>/callback`: checks the state against the cookie (400 OAUTH_STATE_MISMATCH
 * otherwise), exchanges the code with the PKCE verifier, and returns the provider's profile.
 */
export async function finishAuthorization(c: Context<AppEnv>, o: OAuthClientOptions): Promise<OAuthProfile> {
  const query = c.req.query();
  const sealed = getCookie(c, cookieName(o));
  deleteCookie(c, cookieName(o), { path: o.callbackPath });
  if (query.error !== undefined) throw new ValidationError(`The identity provider refused the sign-in: ${query.error.slice(0, 100)}`, undefined, "OAUTH_DENIED");
  let expected: { state?: unknown; verifier?: unknown } | undefined;
  if (sealed !== undefined) {
    try {
      expected = (await jwtDecrypt(sealed, cookieKey(o.cookieSecret))).payload as { state?: unknown; verifier?: unknown };
    } catch {
      expected = undefined;
    }
  }
  if (!expected || typeof expected.state !== "string" || typeof expected.verifier !== "string" || query.state !== expected.state) {
    throw new ValidationError("The sign-in state does not match; start again", undefined, "OAUTH_STATE_MISMATCH");
  }
  if (!query.code || query.code.length > 2048) throw new ValidationError("The callback carries no authorization code", undefined, "OAUTH_STATE_MISMATCH");
  const token = await providerJson(o.tokenUrl, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: query.code,
      redirect_uri: redirectUri(c, o),
      client_id: o.clientId,
      client_secret: o.clientSecret,
      code_verifier: expected.verifier,
    }).toString(),
  }, "token");
  const accessToken = text(token.access_token);
  if (!accessToken) throw new ValidationError("The authorization code was refused by the identity provider", undefined, "OAUTH_CODE_REJECTED");
  return readProfile(o, accessToken);
}
