/**
 * Custom handlers end to end: fixtures/todo-api (the original YAMA Todo app, with handlers
 * written for the original runtime) runs over HTTP on PostgreSQL.
 */
import { randomBytes } from "node:crypto";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { call, jwtAuthSection, serveFixture } from "./harness.js";

describe("todo-api handlers over HTTP", () => {
  // The fixture's routes need a signed-in caller (GET /todos a role): requests carry a user's token.
  const secret = randomBytes(32).toString("hex");
  // The Todo config declares auth rules but no providers: the test adds a JWT provider to its copy.
  const served = serveFixture("todo-api", { JWT_SECRET: secret }, jwtAuthSection({ admin: ["*"], user: ["todos:*"] }));
  const token = new SignJWT({ sub: "user-1", roles: ["user"] }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("1h").sign(new TextEncoder().encode(secret));
  const api = async (method: string, path: string, json?: unknown) => call(served.server.base, method, path, json, { authorization: `Bearer ${await token}` });

  it("GET /todos needs a token with role user or admin", async () => {
    expect((await call(served.server.base, "GET", "/todos")).status).toBe(401);
    const other = await new SignJWT({ sub: "x", roles: ["guest"] }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("1h").sign(new TextEncoder().encode(secret));
    expect((await call(served.server.base, "GET", "/todos", undefined, { authorization: `Bearer ${other}` })).status).toBe(403);
  });

  it("creates through a handler that returns the repository's row (201 by default)", async () => {
    const res = await api("POST", "/todos", { title: "write tests" });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ title: "write tests", completed: false });
  });

  it("lists through ctx.entities.Todo.findAll with typed, coerced query parameters", async () => {
    await api("POST", "/todos", { title: "done already", completed: true });
    const all = await api("GET", "/todos");
    expect(all.status).toBe(200);
    const todos = (all.body as { todos: { title: string; completed: boolean }[] }).todos;
    expect(todos.length).toBeGreaterThanOrEqual(2);
    const done = await api("GET", "/todos?completed=true");
    expect((done.body as { todos: { completed: boolean }[] }).todos.every((t) => t.completed)).toBe(true);
    const limited = await api("GET", "/todos?limit=1");
    expect((limited.body as { todos: unknown[] }).todos).toHaveLength(1);
  });

  it("validates declared query parameters: 400 naming the field", async () => {
    const res = await api("GET", "/todos?limit=0");
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: "VALIDATION_QUERY", details: [expect.objectContaining({ field: "limit" })] } });
    const bad = await api("GET", "/todos?completed=perhaps");
    expect(bad.status).toBe(400);
  });

  it("validates the body against the named schema", async () => {
    const res = await api("POST", "/todos", { completed: "yes" });
    expect(res.status).toBe(400);
    const fields = (res.body as { error: { details: { field: string }[] } }).error.details.map((d) => d.field);
    expect(fields).toEqual(expect.arrayContaining(["title", "completed"]));
  });

  it("gets, updates and deletes by id; ctx.status(404) with an error object is sent as is", async () => {
    const created = (await api("POST", "/todos", { title: "temp" })).body as { id: string };
    expect((await api("GET", `/todos/${created.id}`)).body).toMatchObject({ id: created.id, title: "temp" });
    const updated = await api("PUT", `/todos/${created.id}`, { completed: true });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ completed: true, title: "temp" });
    const deleted = await api("DELETE", `/todos/${created.id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe("");
    const missing = await api("GET", `/todos/${created.id}`);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: "Not found", message: `Todo with id "${created.id}" not found` });
    expect((await api("DELETE", `/todos/${created.id}`)).status).toBe(404);
  });

  it("maps a malformed id that reaches the database to a 400, never a 500", async () => {
    const res = await api("GET", "/todos/not-a-uuid");
    expect(res.status).toBe(400);
  });
});

describe("endpoints fixture over HTTP: smart defaults, custom handlers, errors", () => {
  const served = serveFixture("endpoints", { NODE_ENV: "production" });
  const api = (method: string, path: string, json?: unknown) => call(served.server.base, method, `/api/v1${path}`, json);

  it("smart defaults: create, get, list with declared filters and defaults, patch, delete", async () => {
    const a = await api("POST", "/products", { name: "Anvil", price: 100, featured: true });
    expect(a.status).toBe(201);
    const b = await api("POST", "/products", { name: "Bellows", price: 20 });
    const id = (a.body as { id: string }).id;
    expect((await api("GET", `/products/${id}`)).body).toMatchObject({ name: "Anvil", price: 100 });
    const featured = (await api("GET", "/products?featured=true")).body as { name: string }[];
    expect(featured.map((p) => p.name)).toEqual(["Anvil"]);
    const page = (await api("GET", "/products?limit=1")).body as unknown[];
    expect(page).toHaveLength(1);
    expect((await api("GET", "/products?limit=99")).status).toBe(400);
    expect((await api("PATCH", `/products/${id}`, { price: 90 })).body).toMatchObject({ price: 90 });
    const bid = (b.body as { id: string }).id;
    expect((await api("DELETE", `/products/${bid}`)).status).toBe(204);
    expect((await api("GET", `/products/${bid}`)).status).toBe(404);
    expect((await api("GET", "/products/nope")).status).toBe(400);
  });

  it("custom handler with typed params and named-schema body; thrown NotFoundError is a 404 envelope", async () => {
    const created = (await api("POST", "/products", { name: "Chisel", price: 10 })).body as { id: string };
    const res = await api("POST", `/products/${created.id}/reprice`, { percent: 50, reason: "demand" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: created.id, price: 15 });
    const missing = await api("POST", "/products/7b0c4a52-2b8e-4d47-9d0a-5f8a1e0c9b11/reprice", { percent: 1 });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: { code: "NOT_FOUND" } });
    const badParam = await api("POST", "/products/xyz/reprice", { percent: 1 });
    expect(badParam.status).toBe(400);
    expect(badParam.body).toMatchObject({ error: { code: "VALIDATION_PARAMS" } });
    const badBody = await api("POST", `/products/${created.id}/reprice`, { percent: "lots", extra: 1 });
    expect(badBody.status).toBe(400);
    expect((badBody.body as { error: { details: { field: string }[] } }).error.details.map((d) => d.field).sort()).toEqual(["extra", "percent"]);
  });

  it("default export handlers; required query parameters and defaults", async () => {
    expect((await api("GET", "/search")).status).toBe(400);
    const res = await api("GET", "/search?q=chis");
    expect(res.status).toBe(200);
    expect((res.body as { name: string }[]).map((p) => p.name)).toEqual(["Chisel"]);
    expect(((await api("GET", "/search?q=chis&max=1")).body as unknown[]).length).toBe(0);
  });

  it("logs one JSON line per request and redacts credentials in handler logs", async () => {
    const product = (await api("POST", "/products", { name: "Logged", price: 10 })).body as { id: string };
    const res = await call(served.server.base, "POST", `/api/v1/products/${product.id}/reprice`, { percent: 10 }, { authorization: "Bearer top-secret-token" });
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    const lines = served.server.output.join("").split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
    const request = lines.find((l) => l.msg === "request" && l.requestId === res.headers.get("x-request-id"));
    expect(request).toMatchObject({ method: "POST", path: `/api/v1/products/${product.id}/reprice`, route: "/api/v1/products/:id/reprice", status: 200 });
    expect(typeof request!.durationMs).toBe("number");
    const handlerLine = lines.find((l) => l.msg === "repriced" && l.requestId === res.headers.get("x-request-id"));
    expect(handlerLine).toMatchObject({ id: product.id, authorization: "[redacted]" });
    expect(served.server.output.join("")).not.toContain("top-secret-token");
  });

  it("ctx.status() overrides the default status; inline body fields are validated", async () => {
    const res = await api("POST", "/accepted", { note: "hello" });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ accepted: "hello" });
    expect((await api("POST", "/accepted", { note: "" })).status).toBe(400);
    expect((await api("POST", "/accepted")).status).toBe(400);
  });

  it("an unexpected error is a 500 INTERNAL_ERROR with no message, stack or secret in the body", async () => {
    const res = await api("GET", "/boom");
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ error: { code: "INTERNAL_ERROR", message: "Internal server error" } });
    expect(res.text).not.toMatch(/hunter2|secret|at .*\.ts/);
  });
});

describe("logging in development", () => {
  // format: auto is pretty in a development terminal; the test's pipe is not one, so ask for it.
  const served = serveFixture("endpoints", { NODE_ENV: "development", LOG_FORMAT: "pretty" });

  it("writes human-readable lines through pino-pretty with LOG_FORMAT=pretty, not JSON", async () => {
    const res = await call(served.server.base, "GET", "/api/v1/products");
    expect(res.status).toBe(200);
    const requestId = res.headers.get("x-request-id")!;
    let text = "";
    for (let i = 0; i < 50 && !text.includes(requestId); i++) {
      await new Promise((r) => setTimeout(r, 100));
      text = served.server.output.join("");
    }
    const line = text.split("\n").find((l) => l.includes(requestId) || l.includes("request"));
    expect(text).toContain(requestId);
    expect(text).toMatch(/INFO/);
    expect(line?.startsWith("{")).toBe(false);
  });
});

describe("health plugin", () => {
  const served = serveFixture("endpoints");

  it("serves liveness, readiness with a database check, and the configured aggregate path", async () => {
    expect((await call(served.server.base, "GET", "/health/live")).body).toEqual({ status: "ok" });
    const ready = await call(served.server.base, "GET", "/health/ready");
    expect(ready.status).toBe(200);
    // The app keeps its rate-limit counters in Redis, so readiness checks Redis too (not critical: onFailure is open).
    expect(ready.body).toMatchObject({ status: "ok", checks: { database: { status: "ok", critical: true }, redis: { status: "ok", critical: false } } });
    const all = await call(served.server.base, "GET", "/healthz");
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ status: "ok", uptimeSeconds: expect.any(Number) });
  });

  it("reports 503 while the database is unreachable and 200 once it is back", async () => {
    // Terminate the app's connections and block new ones to its database, then allow them again.
    const name = new URL(served.db.url).pathname.slice(1);
    const admin = (await import("postgres")).default("postgres://postgres@127.0.0.1:5432/postgres", { max: 1, onnotice: () => {} });
    try {
      await admin.unsafe(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      await admin.unsafe(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`);
      const down = await call(served.server.base, "GET", "/health/ready");
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({ status: "unavailable", checks: { database: { status: "error" } } });
      await admin.unsafe(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        status = (await call(served.server.base, "GET", "/health/ready")).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe(200);
    } finally {
      await admin.unsafe(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      await admin.end({ timeout: 5 });
    }
  });
});

describe("security plugin", () => {
  const served = serveFixture("endpoints", { CORS_ORIGINS: "https://app.example, https://admin.example" });

  it("sends secure headers on every response", async () => {
    const res = await call(served.server.base, "GET", "/health/live");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(res.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("strict-transport-security")).toMatch(/max-age=/);
  });

  it("answers CORS preflights for allowed origins only (origins from the environment)", async () => {
    const ok = await fetch(`${served.server.base}/api/v1/products`, { method: "OPTIONS", headers: { origin: "https://admin.example", "access-control-request-method": "POST" } });
    expect(ok.status).toBe(204);
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://admin.example");
    expect(ok.headers.get("access-control-allow-credentials")).toBe("true");
    expect(ok.headers.get("access-control-max-age")).toBe("600");
    const denied = await fetch(`${served.server.base}/api/v1/products`, { method: "OPTIONS", headers: { origin: "https://evil.example", "access-control-request-method": "POST" } });
    expect(denied.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("rejects a cross-site form post (CSRF) and accepts one from an allowed origin", async () => {
    const form = { "content-type": "application/x-www-form-urlencoded" };
    const evil = await fetch(`${served.server.base}/api/v1/accepted`, { method: "POST", headers: { ...form, origin: "https://evil.example" }, body: "note=x" });
    expect(evil.status).toBe(403);
    const json = await call(served.server.base, "POST", "/api/v1/accepted", { note: "ok" }, { origin: "https://app.example" });
    expect(json.status).toBe(202);
  });

  it("answers 413 in the error envelope for a body over the limit", async () => {
    const res = await call(served.server.base, "POST", "/api/v1/products", { name: "x".repeat(70 * 1024), price: 1 });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ error: { code: "PAYLOAD_TOO_LARGE" } });
  });
});

describe("rate limiting (Redis store)", () => {
  const served = serveFixture("endpoints");

  it("counts in Redis, sends X-RateLimit-* headers, and answers 429 with Retry-After past the route's limit", async () => {
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await call(served.server.base, "POST", "/api/v1/accepted", { note: `n${i}` }));
    expect(results.map((r) => r.status)).toEqual([202, 202, 202, 429]);
    expect(results[0]!.headers.get("x-ratelimit-limit")).toBe("3");
    expect(results[2]!.headers.get("x-ratelimit-remaining")).toBe("0");
    const limited = results[3]!;
    expect(limited.body).toMatchObject({ error: { code: "RATE_LIMIT_EXCEEDED" } });
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    // The app-wide limit applies to every route, with its own counter.
    const other = await call(served.server.base, "GET", "/health/live");
    expect(other.headers.get("x-ratelimit-limit")).toBe("10000");
    const { Redis } = await import("ioredis");
    const redis = new Redis(served.redisUrl);
    try {
      expect((await redis.keys("ratelimit:accept:*")).length).toBe(1);
    } finally {
      await redis.quit();
    }
  });
});
