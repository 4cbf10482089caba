/**
 * Auth end to end on PostgreSQL: JWT (signed in the test), API key and basic providers over every
 * protected route of fixtures/auth, with roles and permissions; public routes stay public.
 */
import { createHash, randomBytes } from "node:crypto";
import { sign } from "hono/jwt";
import { describe, expect, it } from "vitest";
import { call, serveFixture } from "./harness.js";

const SECRET = randomBytes(32).toString("hex");
const API_KEY = randomBytes(24).toString("base64url");
const ADMIN = { user: "admin", password: randomBytes(12).toString("hex") };

const now = () => Math.floor(Date.now() / 1000);
const token = (claims: Record<string, unknown>, secret = SECRET) => sign({ iss: "yamac-test", aud: "api", sub: "user-1", iat: now(), exp: now() + 600, ...claims }, secret, "HS256");

describe("auth over HTTP", () => {
  const served = serveFixture("auth", {
    JWT_SECRET: SECRET,
    API_KEY_HASHES: `${createHash("sha256").update("some-other-key").digest("hex")},${createHash("sha256").update(API_KEY).digest("hex")}`,
    ADMIN_USER: ADMIN.user,
    ADMIN_PASSWORD: ADMIN.password,
  });
  const api = (method: string, path: string, headers: Record<string, string> = {}, json?: unknown) => call(served.server.base, method, path, json, headers);
  const bearer = async (claims: Record<string, unknown>, secret?: string) => ({ authorization: `Bearer ${await token(claims, secret)}` });

  async function postId(): Promise<string> {
    const res = await api("POST", "/posts", await bearer({ roles: ["editor"] }), { title: "A post" });
    expect(res.status, res.text).toBe(201);
    return (res.body as { id: string }).id;
  }

  it("public routes need no credentials", async () => {
    expect((await api("GET", "/posts")).status).toBe(200);
    expect((await api("GET", "/public/ping")).body).toEqual({ pong: true });
  });

  it("the matrix {no token, bad signature, expired, wrong role, right role} → {401, 401, 401, 403, 2xx} on every protected route", async () => {
    const id = await postId();
    const routes: { method: string; path: (id: string) => string; body?: unknown; wrong: Record<string, unknown>; right: Record<string, unknown>; ok: number }[] = [
      { method: "POST", path: () => "/posts", body: { title: "x" }, wrong: { roles: ["reader"] }, right: { roles: ["editor"] }, ok: 201 },
      { method: "PATCH", path: (i) => `/posts/${i}`, body: { title: "y" }, wrong: { roles: ["reader"] }, right: { roles: ["admin"] }, ok: 200 },
      { method: "PUT", path: (i) => `/posts/${i}`, body: { title: "z" }, wrong: { roles: [] }, right: { roles: ["editor"] }, ok: 200 },
      { method: "GET", path: () => "/reports", wrong: { roles: ["editor"] }, right: { roles: ["admin"] }, ok: 200 },
      { method: "GET", path: () => "/me", wrong: {}, right: {}, ok: 200 },
      { method: "DELETE", path: (i) => `/posts/${i}`, wrong: { roles: ["reader"] }, right: { roles: ["editor"] }, ok: 204 },
    ];
    for (const r of routes) {
      const path = r.path(id);
      const none = await api(r.method, path, {}, r.body);
      expect(none.status, `${r.method} ${path} without a token`).toBe(401);
      expect(none.body).toMatchObject({ error: { code: "AUTH_REQUIRED" } });
      const forged = await api(r.method, path, await bearer(r.right, "not-the-secret"), r.body);
      expect(forged.status, `${r.method} ${path} forged`).toBe(401);
      expect(forged.body).toMatchObject({ error: { code: "AUTH_INVALID_TOKEN" } });
      const expired = await api(r.method, path, await bearer({ ...r.right, iat: now() - 7200, exp: now() - 3600 }), r.body);
      expect(expired.status, `${r.method} ${path} expired`).toBe(401);
      if (r.path(id) !== "/me") {
        const wrong = await api(r.method, path, await bearer(r.wrong), r.body);
        expect(wrong.status, `${r.method} ${path} wrong role`).toBe(403);
        expect((wrong.body as { error: { code: string } }).error.code).toMatch(/^AUTHZ_INSUFFICIENT_(ROLE|PERMISSION)$/);
      }
      const right = await api(r.method, path, await bearer(r.right), r.body);
      expect(right.status, `${r.method} ${path} right role: ${right.text}`).toBe(r.ok);
    }
  });

  it("a token for another audience or issuer is rejected", async () => {
    expect((await api("GET", "/me", await bearer({ aud: "other" }))).status).toBe(401);
    expect((await api("GET", "/me", await bearer({ iss: "someone-else" }))).status).toBe(401);
  });

  it("ctx.auth in handlers: user, provider, hasRole, can", async () => {
    const res = await api("GET", "/me", await bearer({ sub: "u-42", roles: ["admin"], permissions: ["posts:*"] }));
    expect(res.body).toEqual({ id: "u-42", provider: "jwt", roles: ["admin"], isAdmin: true, canWritePosts: true });
  });

  it("API keys: a key whose hash is listed is accepted, any other is 401", async () => {
    expect((await api("GET", "/me", { "x-api-key": API_KEY })).body).toMatchObject({ provider: "api-key" });
    const bad = await api("GET", "/me", { "x-api-key": "guess" });
    expect(bad.status).toBe(401);
    expect(bad.body).toMatchObject({ error: { code: "AUTH_INVALID_TOKEN" } });
  });

  it("basic auth with the identifier and password from the environment", async () => {
    const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}` });
    const ok = await api("POST", "/posts", basic(ADMIN.user, ADMIN.password), { title: "by admin" });
    expect(ok.status).toBe(201);
    expect((await api("POST", "/posts", basic(ADMIN.user, "wrong"), { title: "no" })).status).toBe(401);
  });
});
