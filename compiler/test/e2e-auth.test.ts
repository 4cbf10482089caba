/**
 * Auth end to end on PostgreSQL: fixtures/auth (JWT HS256, API key and basic providers, roles and
 * permissions) over every protected route, tokens signed in the test with jose; then a second
 * app verifying ES256 tokens against a PEM public key and RS256 tokens against a JWKS served on
 * 127.0.0.1. Every secret is generated here.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileProject } from "../index.js";
import { generateProjectMigration } from "../migrate/generate.js";
import { call, createDatabase, prepareProject, removeProject, ROOT, type RunningServer, startServer } from "./harness.js";

const now = () => Math.floor(Date.now() / 1000);
type Claims = Record<string, unknown>;

/** A compact JWS over `claims` (defaults: sub, iat, exp in ten minutes). */
async function signToken(claims: Claims, key: CryptoKey | Uint8Array, alg: string, header: Record<string, string> = {}): Promise<string> {
  const { exp, ...rest } = { sub: "user-1", iat: now(), exp: now() + 600, ...claims };
  const jwt = new SignJWT(rest).setProtectedHeader({ alg, ...header });
  if (exp !== undefined) jwt.setExpirationTime(exp as number);
  return jwt.sign(key);
}

const errorCode = (body: unknown) => (body as { error?: { code?: string } } | undefined)?.error?.code;

describe("auth over HTTP (fixtures/auth)", () => {
  const SECRET = new TextEncoder().encode(randomBytes(32).toString("hex"));
  const API_KEY = randomBytes(24).toString("base64url");
  const ADMIN = { user: "admin", password: randomBytes(12).toString("hex") };
  let dir = "";
  let db: Awaited<ReturnType<typeof createDatabase>> | undefined;
  let server: RunningServer | undefined;
  const api = (method: string, path: string, headers: Record<string, string> = {}, json?: unknown) => call(server!.base, method, path, json, headers);
  const token = (claims: Claims, secret: Uint8Array = SECRET, alg = "HS256") => signToken({ iss: "yamac-test", aud: "api", ...claims }, secret, alg);
  const bearer = async (claims: Claims, secret?: Uint8Array, alg?: string) => ({ authorization: `Bearer ${await token(claims, secret, alg)}` });
  const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}` });

  beforeAll(async () => {
    dir = await prepareProject("auth");
    db = await createDatabase("yamac_auth");
    server = await startServer(dir, {
      DATABASE_URL: db.url,
      JWT_SECRET: new TextDecoder().decode(SECRET),
      API_KEY_HASHES: `${createHash("sha256").update("some-other-key").digest("hex")},${createHash("sha256").update(API_KEY).digest("hex")}`,
      ADMIN_USER: ADMIN.user,
      ADMIN_PASSWORD: ADMIN.password,
    });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    removeProject(dir);
  });

  async function postId(): Promise<string> {
    const res = await api("POST", "/posts", await bearer({ roles: ["editor"] }), { title: "A post" });
    expect(res.status, res.text).toBe(201);
    return (res.body as { id: string }).id;
  }

  it("public routes need no credentials, and ignore bad ones", async () => {
    expect((await api("GET", "/posts")).status).toBe(200);
    expect((await api("GET", "/public/ping")).body).toEqual({ pong: true });
    const id = await postId();
    expect((await api("GET", `/posts/${id}`)).status).toBe(200);
    expect((await api("GET", "/public/ping", { authorization: "Bearer not-a-token" })).status).toBe(200);
  });

  it("the matrix {no token, bad signature, expired, wrong role, right role} → {401, 401, 401, 403, 2xx} on every protected route", async () => {
    const id = await postId();
    const note = await api("POST", "/notes", await bearer({}), { body: "n" });
    expect(note.status, note.text).toBe(201);
    const noteId = (note.body as { id: string }).id;
    const routes: { method: string; path: () => string; body?: unknown; wrong?: Claims; right: Claims; ok: number }[] = [
      { method: "POST", path: () => "/posts", body: { title: "x" }, wrong: { roles: ["reader"] }, right: { roles: ["editor"] }, ok: 201 },
      { method: "POST", path: () => "/posts/bulk", body: [{ title: "b1" }, { title: "b2" }], wrong: { roles: ["reader"] }, right: { roles: ["admin"] }, ok: 201 },
      { method: "PATCH", path: () => `/posts/${id}`, body: { title: "y" }, wrong: { roles: ["reader"] }, right: { roles: ["admin"] }, ok: 200 },
      { method: "PUT", path: () => `/posts/${id}`, body: { title: "z" }, wrong: { roles: [] }, right: { roles: ["editor"] }, ok: 200 },
      { method: "GET", path: () => "/reports", wrong: { roles: ["editor"] }, right: { roles: ["service"] }, ok: 200 },
      { method: "GET", path: () => "/reports", wrong: { permissions: ["reports:write"] }, right: { permissions: ["reports:*"] }, ok: 200 },
      { method: "GET", path: () => "/me", right: {}, ok: 200 },
      { method: "GET", path: () => "/tokens-only", right: {}, ok: 200 },
      { method: "GET", path: () => "/notes", right: {}, ok: 200 },
      { method: "GET", path: () => `/notes/${noteId}`, right: {}, ok: 200 },
      { method: "PATCH", path: () => `/notes/${noteId}`, body: { body: "m" }, right: {}, ok: 200 },
      { method: "DELETE", path: () => `/notes/${noteId}`, right: {}, ok: 204 },
      { method: "DELETE", path: () => `/posts/${id}`, wrong: { roles: ["reader"] }, right: { roles: ["editor"] }, ok: 204 },
    ];
    for (const r of routes) {
      const path = r.path();
      const label = `${r.method} ${path}`;
      const none = await api(r.method, path, {}, r.body);
      expect(none.status, `${label} without a token`).toBe(401);
      expect(errorCode(none.body), label).toBe("AUTH_REQUIRED");
      expect((none.body as { error: { requestId: string } }).error.requestId).toBeTruthy();
      expect(none.headers.get("www-authenticate"), label).toContain("Bearer");
      const forged = await api(r.method, path, await bearer(r.right, new TextEncoder().encode(randomBytes(32).toString("hex"))), r.body);
      expect(forged.status, `${label} forged`).toBe(401);
      expect(errorCode(forged.body)).toBe("AUTH_INVALID_TOKEN");
      const expired = await api(r.method, path, await bearer({ ...r.right, iat: now() - 7200, exp: now() - 3600 }), r.body);
      expect(expired.status, `${label} expired`).toBe(401);
      expect(errorCode(expired.body)).toBe("AUTH_INVALID_TOKEN");
      if (r.wrong) {
        const wrong = await api(r.method, path, await bearer(r.wrong), r.body);
        expect(wrong.status, `${label} wrong role`).toBe(403);
        expect(errorCode(wrong.body)).toMatch(/^AUTHZ_INSUFFICIENT_(ROLE|PERMISSION)$/);
      }
      const right = await api(r.method, path, await bearer(r.right), r.body);
      expect(right.status, `${label} right role: ${right.text}`).toBe(r.ok);
    }
  });

  it("403 codes tell a missing role from a missing permission", async () => {
    expect(errorCode((await api("POST", "/posts", await bearer({ roles: ["reader"] }), { title: "x" })).body)).toBe("AUTHZ_INSUFFICIENT_ROLE");
    const id = await postId();
    expect(errorCode((await api("DELETE", `/posts/${id}`, await bearer({ roles: ["reader"] }))).body)).toBe("AUTHZ_INSUFFICIENT_PERMISSION");
  });

  it("tokens are checked strictly: audience, issuer, algorithm, expiry claim, not-before, subject, alg none", async () => {
    const rejected = async (headers: Record<string, string>, why: string) => {
      const res = await api("GET", "/me", headers);
      expect(res.status, why).toBe(401);
      expect(errorCode(res.body), why).toBe("AUTH_INVALID_TOKEN");
    };
    await rejected(await bearer({ aud: "other" }), "audience");
    await rejected(await bearer({ iss: "someone-else" }), "issuer");
    await rejected(await bearer({}, SECRET, "HS512"), "algorithm not configured");
    await rejected(await bearer({ exp: undefined }), "no exp");
    await rejected(await bearer({ nbf: now() + 3600 }), "not yet valid");
    await rejected(await bearer({ sub: undefined }), "no subject");
    const unsigned = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${Buffer.from(JSON.stringify({ sub: "x", iss: "yamac-test", aud: "api", exp: now() + 600 })).toString("base64url")}.`;
    await rejected({ authorization: `Bearer ${unsigned}` }, "alg none");
    // Within the clock tolerance (30 s), a just-expired token still passes.
    expect((await api("GET", "/me", await bearer({ exp: now() - 5 }))).status).toBe(200);
  });

  it("ctx.auth in handlers: user, provider, hasRole, can (through the role table), canAny", async () => {
    const res = await api("GET", "/me", await bearer({ sub: "u-42", roles: ["editor"], permissions: ["reports:read"] }));
    expect(res.body).toEqual({ id: "u-42", provider: "jwt", roles: ["editor"], isAdmin: false, canWritePosts: true, canReadReports: true });
    const reader = await api("GET", "/me", await bearer({ sub: "u-7", role: "reader" }));
    expect(reader.body).toEqual({ id: "u-7", provider: "jwt", roles: ["reader"], isAdmin: false, canWritePosts: false, canReadReports: false });
  });

  it("API keys: a key whose digest is listed is accepted with the provider's roles, any other is 401", async () => {
    const ok = await api("GET", "/me", { "x-api-key": API_KEY });
    expect(ok.body).toMatchObject({ provider: "api-key", roles: ["service"], canReadReports: true });
    expect((await api("GET", "/reports", { "x-api-key": API_KEY })).status).toBe(200);
    expect((await api("POST", "/posts", { "x-api-key": API_KEY }, { title: "no" })).status).toBe(403);
    for (const key of ["guess", createHash("sha256").update(API_KEY).digest("hex"), API_KEY.slice(1)]) {
      const bad = await api("GET", "/me", { "x-api-key": key });
      expect(bad.status, key).toBe(401);
      expect(errorCode(bad.body)).toBe("AUTH_INVALID_TOKEN");
    }
  });

  it("a rule naming a provider refuses the others' credentials", async () => {
    expect((await api("GET", "/tokens-only", await bearer({}))).status).toBe(200);
    const viaKey = await api("GET", "/tokens-only", { "x-api-key": API_KEY });
    expect(viaKey.status).toBe(401);
    expect(errorCode(viaKey.body)).toBe("AUTH_REQUIRED");
  });

  it("basic auth with the identifier and password from the environment", async () => {
    const ok = await api("POST", "/posts", basic(ADMIN.user, ADMIN.password), { title: "by admin" });
    expect(ok.status).toBe(201);
    expect((await api("GET", "/me", basic(ADMIN.user, ADMIN.password))).body).toMatchObject({ id: "admin", provider: "basic", isAdmin: true });
    for (const [u, p] of [[ADMIN.user, "wrong"], ["root", ADMIN.password], [ADMIN.user, ""], ["", ""]] as const) {
      const bad = await api("POST", "/posts", basic(u, p), { title: "no" });
      expect(bad.status, `${u}:${p}`).toBe(401);
      expect(errorCode(bad.body)).toBe("AUTH_INVALID_TOKEN");
    }
    const challenge = (await api("GET", "/me")).headers.get("www-authenticate");
    expect(challenge).toContain('Basic realm="auth-demo"');
  });

  it("the app refuses to start without its secrets", async () => {
    const missing = await startServer(dir, { DATABASE_URL: db!.url, API_KEY_HASHES: "x", ADMIN_USER: "a", ADMIN_PASSWORD: "b" }).then(
      async (s) => {
        await s.stop();
        return "started";
      },
      (err: Error) => err.message,
    );
    expect(missing).toMatch(/JWT_SECRET \(auth\.providers\[0\]\.secret\) is not set/);
    const short = await startServer(dir, { DATABASE_URL: db!.url, JWT_SECRET: "too-short", API_KEY_HASHES: createHash("sha256").update("k").digest("hex"), ADMIN_USER: "a", ADMIN_PASSWORD: "b" }).then(
      async (s) => {
        await s.stop();
        return "started";
      },
      (err: Error) => err.message,
    );
    expect(short).toMatch(/JWT_SECRET is 9 bytes long; HS256 needs at least 32/);
    expect(short).toContain("invalid environment (1 problem)");
    expect(short).not.toMatch(/\n\s+at /);
  }, 60_000);
});

describe("auth with public keys over HTTP: ES256 from a PEM, RS256 from a JWKS on 127.0.0.1", () => {
  let dir = "";
  let db: Awaited<ReturnType<typeof createDatabase>> | undefined;
  let server: RunningServer | undefined;
  let jwks: Server | undefined;
  let jwksHits = 0;
  let es: Awaited<ReturnType<typeof generateKeyPair>>;
  let rs: Awaited<ReturnType<typeof generateKeyPair>>;
  let other: Awaited<ReturnType<typeof generateKeyPair>>;

  beforeAll(async () => {
    es = await generateKeyPair("ES256");
    rs = await generateKeyPair("RS256");
    other = await generateKeyPair("RS256");
    const jwk = { ...(await exportJWK(rs.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
    jwks = createServer((req, res) => {
      jwksHits++;
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks!.listen(0, "127.0.0.1", resolve));
    mkdirSync(join(ROOT, ".yama"), { recursive: true });
    dir = mkdtempSync(join(ROOT, ".yama", "auth-keys-"));
    mkdirSync(join(dir, "handlers"));
    writeFileSync(join(dir, "handlers/who.ts"), `import type { WhoContext } from "../src/endpoints/who.js";\n\nexport async function who(ctx: WhoContext) {\n  return { id: ctx.auth.user?.id, roles: ctx.auth.user?.roles ?? [], admin: ctx.auth.can("*") };\n}\n`);
    writeFileSync(
      join(dir, "yama.yaml"),
      `name: auth-keys
auth:
  providers:
    - type: jwt
      publicKey: \${JWT_PUBLIC_KEY}
      algorithm: ES256
      issuer: pem-issuer
    - type: jwt
      jwksUrl: \${JWKS_URL}
      algorithm: [RS256]
      audience: [api, other-api]
      claims: {roles: realm_access.roles}
  roles:
    admin: {permissions: ["*"]}
entities:
  Item:
    fields:
      id: uuid!
      name: string!
    crud:
      read: {auth: false}
      write: {auth: {roles: [admin]}}
endpoints:
  - path: /who
    method: GET
    handler: handlers/who.ts
`,
    );
    const compiled = compileProject(dir);
    expect(compiled.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    await generateProjectMigration(dir, { folder: "drizzle", allowDestructive: false });
    db = await createDatabase("yamac_auth_keys");
    server = await startServer(dir, {
      DATABASE_URL: db.url,
      JWT_PUBLIC_KEY: (await exportSPKI(es.publicKey)).replace(/\n/g, "\\n"),
      JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`,
    });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    await new Promise<void>((resolve) => (jwks ? jwks.close(() => resolve()) : resolve()));
    removeProject(dir);
  });

  const api = (method: string, path: string, token?: string, json?: unknown) => call(server!.base, method, path, json, token ? { authorization: `Bearer ${token}` } : {});

  it("ES256 tokens verified with the PEM public key", async () => {
    const ok = await api("GET", "/who", await signToken({ iss: "pem-issuer", sub: "es-user", roles: ["admin"] }, es.privateKey, "ES256"));
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body).toEqual({ id: "es-user", roles: ["admin"], admin: true });
    expect((await api("GET", "/who", await signToken({ iss: "elsewhere" }, es.privateKey, "ES256"))).status).toBe(401);
  });

  it("RS256 tokens verified against the JWKS, roles from a nested claim", async () => {
    const token = await signToken({ sub: "rs-user", aud: "other-api", realm_access: { roles: ["admin"] } }, rs.privateKey, "RS256", { kid: "k1" });
    const ok = await api("GET", "/who", token);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body).toEqual({ id: "rs-user", roles: ["admin"], admin: true });
    expect((await api("POST", "/items", token, { name: "thing" })).status).toBe(201);
    expect(jwksHits).toBeGreaterThan(0);
  });

  it("the matrix on the JWKS provider: {none, other key, expired, wrong role, right role}", async () => {
    const sign = (claims: Claims, key = rs.privateKey) => signToken({ aud: "api", ...claims }, key, "RS256", { kid: "k1" });
    expect((await api("POST", "/items", undefined, { name: "a" })).status).toBe(401);
    const forged = await api("POST", "/items", await sign({ realm_access: { roles: ["admin"] } }, other.privateKey), { name: "a" });
    expect(forged.status).toBe(401);
    expect(errorCode(forged.body)).toBe("AUTH_INVALID_TOKEN");
    expect((await api("POST", "/items", await sign({ exp: now() - 3600, realm_access: { roles: ["admin"] } }), { name: "a" })).status).toBe(401);
    const wrong = await api("POST", "/items", await sign({ realm_access: { roles: ["viewer"] } }), { name: "a" });
    expect(wrong.status).toBe(403);
    expect(errorCode(wrong.body)).toBe("AUTHZ_INSUFFICIENT_ROLE");
    expect((await api("POST", "/items", await sign({ realm_access: { roles: ["admin"] } }), { name: "a" })).status).toBe(201);
    expect((await api("GET", "/items")).status).toBe(200);
  });

  it("an HS256 token signed with the public key's bytes is refused (no algorithm confusion)", async () => {
    const pem = new TextEncoder().encode(await exportSPKI(rs.publicKey));
    const res = await api("GET", "/who", await signToken({ aud: "api" }, pem, "HS256", { kid: "k1" }));
    expect(res.status).toBe(401);
  });
});
