/**
 * `ctx.cache` (`@betagors/yama-redis`) against the real Redis on 127.0.0.1: JSON values under the
 * app's key prefix, expiry, namespaces, getOrSet; a Redis that cannot be reached answers 503
 * `CACHE_UNAVAILABLE` within the command timeout and shows as a degraded health check. Also the
 * diagnostics (a password in the config, the workers target).
 */
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { compileText } from "../index.js";
import { call, type RunningServer, serveConfig, startServer, typeErrors } from "./harness.js";

const CONFIG = `name: quotes
plugins:
  - "@betagors/yama-health"
  - "@betagors/yama-redis": { url: "\${REDIS_URL}" }
endpoints:
  - path: /quote/:id
    method: GET
    auth: false
    params: { id: string! }
    handler: handlers/quote.ts
  - path: /kv/:key
    method: PUT
    auth: false
    params: { key: string! }
    body: { fields: { value: string!, ttl: integer } }
    handler: handlers/kv-put.ts
  - path: /kv/:key
    method: GET
    auth: false
    params: { key: string! }
    handler: handlers/kv-get.ts
  - path: /kv/:key
    method: DELETE
    auth: false
    params: { key: string! }
    handler: handlers/kv-delete.ts
`;

const FILES = {
  "handlers/quote.ts": `import type { QuoteContext } from "../src/endpoints/quote.js";
let loads = 0;
export default async function quote(ctx: QuoteContext) {
  return ctx.cache.getOrSet(\`quote:\${ctx.params.id}\`, 60, async () => ({ id: ctx.params.id, load: ++loads }));
}
`,
  "handlers/kv-put.ts": `import type { KvPutContext } from "../src/endpoints/kv-put.js";
export default async function kvPut(ctx: KvPutContext) {
  await ctx.cache.namespace("kv").set(ctx.params.key, { value: ctx.body.value }, ctx.body.ttl ?? undefined);
  return { stored: ctx.params.key };
}
`,
  "handlers/kv-get.ts": `import type { KvGetContext } from "../src/endpoints/kv-get.js";
export default async function kvGet(ctx: KvGetContext) {
  const kv = ctx.cache.namespace("kv");
  return { exists: await kv.exists(ctx.params.key), entry: await kv.get<{ value: string }>(ctx.params.key) };
}
`,
  "handlers/kv-delete.ts": `import type { KvDeleteContext } from "../src/endpoints/kv-delete.js";
export default async function kvDelete(ctx: KvDeleteContext) {
  ctx.status(200);
  return { deleted: await ctx.cache.namespace("kv").del(ctx.params.key) };
}
`,
};

describe("ctx.cache on Redis", () => {
  const app = serveConfig("redis-cache", CONFIG, {}, FILES);
  let redis: Redis | undefined;
  let away: RunningServer | undefined;
  const inRedis = () => (redis ??= new Redis(app.redisUrl, { maxRetriesPerRequest: 1 }));
  afterAll(async () => {
    await away?.stop();
    await redis?.quit();
  });

  it("getOrSet loads once and serves the stored JSON after, under the app's prefix with its TTL", async () => {
    const first = await call(app.server.base, "GET", "/quote/a");
    expect(first.status, first.text).toBe(200);
    expect(first.body).toEqual({ id: "a", load: 1 });
    expect((await call(app.server.base, "GET", "/quote/a")).body).toEqual({ id: "a", load: 1 });
    expect((await call(app.server.base, "GET", "/quote/b")).body).toEqual({ id: "b", load: 2 });
    expect(JSON.parse((await inRedis().get("quotes:quote:a"))!)).toEqual({ id: "a", load: 1 });
    const ttl = await inRedis().ttl("quotes:quote:a");
    expect(ttl).toBeGreaterThan(50);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it("set, get, exists and del in a namespace; a TTL expires the value", async () => {
    expect((await call(app.server.base, "PUT", "/kv/colour", { value: "teal" })).status).toBe(200);
    expect((await call(app.server.base, "GET", "/kv/colour")).body).toEqual({ exists: true, entry: { value: "teal" } });
    expect(await inRedis().get("quotes:kv:colour")).toBe('{"value":"teal"}');
    expect(await inRedis().ttl("quotes:kv:colour")).toBe(-1);
    expect((await call(app.server.base, "DELETE", "/kv/colour")).body).toEqual({ deleted: true });
    expect((await call(app.server.base, "DELETE", "/kv/colour")).body).toEqual({ deleted: false });
    expect((await call(app.server.base, "GET", "/kv/colour")).body).toEqual({ exists: false, entry: null });

    await call(app.server.base, "PUT", "/kv/brief", { value: "soon gone", ttl: 1 });
    expect((await call(app.server.base, "GET", "/kv/brief")).body).toMatchObject({ exists: true });
    await expect.poll(async () => (await call(app.server.base, "GET", "/kv/brief")).body, { timeout: 4000, interval: 250 }).toEqual({ exists: false, entry: null });
  });

  it("a Redis that cannot be reached answers 503 CACHE_UNAVAILABLE at once, and health reports it degraded", async () => {
    away = await startServer(app.dir, { DATABASE_URL: app.db.url, REDIS_URL: "redis://127.0.0.1:1" });
    const started = Date.now();
    const res = await call(away.base, "GET", "/quote/x");
    expect(Date.now() - started).toBeLessThan(2500);
    expect(res.status, res.text).toBe(503);
    expect(res.body).toMatchObject({ error: { code: "CACHE_UNAVAILABLE" } });
    const ready = await call(away.base, "GET", "/health/ready");
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: "degraded", checks: { redis: { status: "error", critical: false }, database: { status: "ok" } } });
  }, 30_000);

  it("types ctx.cache: the project passes tsc --strict", () => {
    expect(typeErrors(app.dir)).toBe("");
  }, 60_000);
});

describe("@betagors/yama-redis diagnostics", () => {
  const codes = (plugin: string, extra = "") => compileText(`name: x\nplugins:\n  - "@betagors/yama-redis": ${plugin}\n${extra}`).diagnostics.map((d) => [d.code, d.location.line]);

  it("a password or a URL with one written into the config is an error", () => {
    expect(codes("{ host: localhost, password: hunter2 }")).toEqual([["secret-in-config", 3]]);
    expect(codes('{ url: "redis://:hunter2@localhost:6379" }')).toEqual([["secret-in-config", 3]]);
    expect(codes("{ host: localhost, password: \"${REDIS_PASSWORD}\" }")).toEqual([]);
  });

  it("is node-only on the workers target", () => {
    expect(codes("{}", "deployment: { targets: [workers] }").map(([code]) => code)).toContain("target-node-only");
  });
});
