import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { type AppEnv, errorHandler, requestId } from "./http.js";
import { memoryStore, rateLimit, type RateLimitStore } from "./rate-limit.js";

function app(store: RateLimitStore, onFailure: "open" | "closed", keyBy: "ip" | "user" | "both" = "ip") {
  const a = new Hono<AppEnv>();
  a.use(requestId);
  a.onError(errorHandler({ report: () => {} }));
  a.use(rateLimit(store, { name: "t", max: 2, windowMs: 60_000, keyBy, onFailure, trustProxy: true }));
  a.get("/", (c) => c.json({ ok: true }));
  return a;
}

describe("rate limiting", () => {
  it("allows max requests per window per client, then answers 429 in the envelope", async () => {
    const a = app(memoryStore(), "open");
    const from = (ip: string) => a.request("/", { headers: { "x-forwarded-for": ip } });
    expect((await from("10.0.0.1")).status).toBe(200);
    expect((await from("10.0.0.1")).status).toBe(200);
    const third = await from("10.0.0.1");
    expect(third.status).toBe(429);
    expect(third.headers.get("retry-after")).toMatch(/^\d+$/);
    const body = (await third.json()) as { error: { code: string; retryAfter: unknown } };
    expect(body).toMatchObject({ error: { code: "RATE_LIMIT_EXCEEDED" } });
    // The body says how long to wait too, in seconds, as the header does.
    expect(body.error.retryAfter).toBe(Number(third.headers.get("retry-after")));
    expect(body.error.retryAfter).toBeGreaterThan(0);
    expect((await from("10.0.0.2")).status).toBe(200);
  });

  it("fails open or closed when the store is down, as configured", async () => {
    const broken: RateLimitStore = { hit: () => Promise.reject(new Error("ECONNREFUSED")) };
    expect((await app(broken, "open").request("/")).status).toBe(200);
    const closed = await app(broken, "closed").request("/");
    expect(closed.status).toBe(503);
    expect(await closed.json()).toMatchObject({ error: { code: "RATE_LIMIT_UNAVAILABLE" } });
  });
});
