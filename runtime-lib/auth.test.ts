import { createHash } from "node:crypto";
import { createServer } from "node:net";
import { Hono } from "hono";
import { SignJWT, generateKeyPair } from "jose";
import { describe, expect, it } from "vitest";
import { apiKeyProvider, authenticate, type AuthProvider, basicCredentials, permits, requireAuth, requireSecret } from "./auth.js";
import { jwtProvider } from "./auth-jwt.js";
import { type AppEnv, errorHandler, requestId } from "./http.js";

function app(providers: AuthProvider[]) {
  const a = new Hono<AppEnv>();
  a.use(requestId);
  a.onError(errorHandler({ report: () => {} }));
  a.use(authenticate(providers, { admin: ["*"] }));
  a.get("/open", (c) => c.json({ authenticated: c.get("auth")?.authenticated ?? false }));
  a.get("/closed", requireAuth(), (c) => c.json({ ok: true }));
  a.get("/admin", requireAuth({ roles: ["admin"] }), (c) => c.json({ ok: true }));
  return a;
}

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const jwtDefaults = { clockToleranceSeconds: 0, requireExpiration: true, claims: { id: "sub", roles: "roles", permissions: "permissions" } };

describe("auth runtime", () => {
  it("permits: exact names, `*` and `resource:*`", () => {
    expect(permits(["*"], "posts:read")).toBe(true);
    expect(permits(["posts:*"], "posts:read")).toBe(true);
    expect(permits(["posts:*"], "postsx:read")).toBe(false);
    expect(permits(["posts:*"], "posts")).toBe(false);
    expect(permits(["posts:read"], "posts:write")).toBe(false);
    expect(permits([], "posts:read")).toBe(false);
  });

  it("routes fail closed when the authentication middleware did not run", async () => {
    const a = new Hono<AppEnv>();
    a.onError(errorHandler({ report: () => {} }));
    a.get("/", requireAuth(), (c) => c.json({ ok: true }));
    expect((await a.request("/")).status).toBe(401);
  });

  it("a JWKS that cannot be fetched answers 503 on protected routes; public routes still answer", async () => {
    const { privateKey } = await generateKeyPair("RS256");
    const token = await new SignJWT({ sub: "u" }).setProtectedHeader({ alg: "RS256", kid: "k" }).setExpirationTime("5m").sign(privateKey);
    const a = app([jwtProvider({ ...jwtDefaults, jwksUrl: `http://127.0.0.1:${await closedPort()}/jwks.json`, algorithms: ["RS256"], source: "JWKS_URL" })]);
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void errors.push(args);
    try {
      const res = await a.request("/closed", { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: { code: "AUTH_UNAVAILABLE" } });
      expect((await a.request("/open", { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    } finally {
      console.error = original;
    }
    expect(errors.length).toBeGreaterThan(0);
  });

  it("a second JWT provider gets its chance when the first rejects the token", async () => {
    const secret = new TextEncoder().encode("0123456789abcdef0123456789abcdef");
    const other = new TextEncoder().encode("fedcba9876543210fedcba9876543210");
    const a = app([
      jwtProvider({ ...jwtDefaults, secret: new TextDecoder().decode(secret), algorithms: ["HS256"], source: "A" }),
      jwtProvider({ ...jwtDefaults, secret: new TextDecoder().decode(other), algorithms: ["HS256"], source: "B" }),
    ]);
    const token = await new SignJWT({ sub: "u", roles: ["admin"] }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("5m").sign(other);
    expect((await a.request("/admin", { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    const bad = await new SignJWT({ sub: "u" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("5m").sign(new TextEncoder().encode("x".repeat(32)));
    const res = await a.request("/closed", { headers: { authorization: `Bearer ${bad}` } });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: "AUTH_INVALID_TOKEN", message: "Authentication failed: the token's signature is not valid" } });
  });

  it("a token in ?token= counts only on a WebSocket handshake, where browsers cannot send headers", async () => {
    const secret = "0123456789abcdef0123456789abcdef";
    const a = app([jwtProvider({ ...jwtDefaults, secret, algorithms: ["HS256"], source: "JWT_SECRET" })]);
    const token = await new SignJWT({ sub: "u" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("5m").sign(new TextEncoder().encode(secret));
    expect((await a.request(`/closed?token=${token}`)).status).toBe(401);
    expect((await a.request(`/closed?token=${token}`, { headers: { upgrade: "websocket" } })).status).toBe(200);
    expect((await a.request("/closed?token=forged", { headers: { upgrade: "websocket" } })).status).toBe(401);
  });

  it("start-up checks: missing secrets, malformed API key digests, short HMAC secrets", () => {
    expect(() => requireSecret(undefined, "JWT_SECRET")).toThrow(/JWT_SECRET is not set/);
    expect(() => requireSecret("", "JWT_SECRET")).toThrow(/JWT_SECRET is not set/);
    const base = { header: "x-api-key", source: "API_KEY_HASHES", roles: [], permissions: [] };
    expect(() => apiKeyProvider({ ...base, hashes: "plain-text-key" })).toThrow(/SHA-256 digests/);
    expect(() => apiKeyProvider({ ...base, hashes: " , " })).toThrow(/no API key digests/);
    expect(() => apiKeyProvider({ ...base, hashes: createHash("sha256").update("k").digest("hex") })).not.toThrow();
    expect(() => jwtProvider({ ...jwtDefaults, secret: "short", algorithms: ["HS256"], source: "JWT_SECRET" })).toThrow(/JWT_SECRET is 5 bytes long; HS256 needs at least 32/);
    expect(() => jwtProvider({ ...jwtDefaults, jwksUrl: "http://example.com/jwks.json", algorithms: ["RS256"], source: "JWKS_URL" })).toThrow(/https/);
  });
});

describe("basicCredentials", () => {
  it("tells no Basic header from a Basic header that cannot be right", () => {
    expect(basicCredentials(undefined)).toBe("absent");
    expect(basicCredentials("Bearer abc")).toBe("absent");
    expect(basicCredentials(`Basic ${Buffer.from("ann:pw").toString("base64")}`)).toEqual({ identifier: "ann", password: "pw" });
    // Not base64, and base64 without a colon: both malformed (401 AUTH_INVALID_TOKEN, not AUTH_REQUIRED).
    expect(basicCredentials("Basic !!!notbase64")).toBe("malformed");
    expect(basicCredentials("Basic")).toBe("malformed");
    expect(basicCredentials(`Basic ${Buffer.from("nocolon").toString("base64")}`)).toBe("malformed");
  });
});
