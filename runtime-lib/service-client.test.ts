/**
 * serviceClient against a real HTTP server on 127.0.0.1: path parameters, body and query, headers,
 * retries of idempotent calls only, timeouts, the circuit breaker, and the errors each failure
 * becomes (502, 503, 504 with the upstream's status and body).
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type ServiceEndpoint, ServiceError, serviceClient } from "./service-client.js";

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

/** Answers by path: /ok echoes, /fail/<n> fails n times (500) then answers, /status/<code>, /slow waits 3 s. */
class Upstream {
  server!: Server;
  base = "";
  seen: Seen[] = [];
  failures = new Map<string, number>();

  async start(): Promise<void> {
    this.server = createServer(async (req, res) => {
      let body = "";
      for await (const chunk of req) body += chunk;
      this.seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const path = new URL(req.url!, "http://x").pathname.replace(/^\/v1/, "");
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(value));
      };
      const fail = /^\/fail\/(\d+)\/(\w+)$/.exec(path);
      if (fail) {
        const left = this.failures.get(fail[2]!) ?? Number(fail[1]);
        this.failures.set(fail[2]!, left - 1);
        return left > 0 ? json(500, { error: "boom" }) : json(200, { ok: true, after: Number(fail[1]) });
      }
      const status = /^\/status\/(\d+)$/.exec(path);
      if (status) return json(Number(status[1]), { error: { code: "NOPE" } });
      if (path === "/slow") return setTimeout(() => json(200, { slow: true }), 3000);
      if (path === "/empty") {
        res.writeHead(204);
        return res.end();
      }
      return json(req.method === "POST" ? 201 : 200, { method: req.method, path, body: body ? (JSON.parse(body) as unknown) : null });
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }
}

const ep = (name: string, method: ServiceEndpoint["method"], path: string, params: string[] = []): ServiceEndpoint => ({ name, method, path, params });

describe("serviceClient", () => {
  const upstream = new Upstream();
  beforeAll(() => upstream.start());
  afterAll(() => new Promise((resolve) => upstream.server.close(resolve)));
  beforeEach(() => {
    upstream.seen = [];
  });

  it("puts path parameters in the path, the rest in the JSON body or the query string, and sends the headers", async () => {
    const call = serviceClient({ name: "pay", baseUrl: `${upstream.base}/`, variables: ["PAY_URL"], headers: { authorization: "Bearer t0k", "x-unset": undefined }, timeoutMs: 2000 });
    expect(await call(ep("update", "PUT", "/items/:id", ["id"]), { id: "a b/c", name: "x", tags: ["1"] })).toEqual({ method: "PUT", path: "/items/a%20b%2Fc", body: { name: "x", tags: ["1"] } });
    expect(upstream.seen[0]!.headers).toMatchObject({ authorization: "Bearer t0k", "content-type": "application/json", accept: "application/json" });
    expect(upstream.seen[0]!.headers["x-unset"]).toBeUndefined();
    await call(ep("list", "GET", "/items"), { status: "open", tag: ["a", "b"], skip: undefined });
    expect(upstream.seen[1]!.url).toBe("/v1/items?status=open&tag=a&tag=b");
    expect(upstream.seen[1]!.body).toBe("");
    expect(await call(ep("none", "DELETE", "/empty"), undefined)).toBeUndefined();
    await expect(call(ep("get", "GET", "/items/:id", ["id"]), {})).rejects.toThrow("the path parameter id is required");
  });

  it("answers a non-2xx with 502 UPSTREAM_ERROR carrying the upstream's status and body, without retrying a 4xx", async () => {
    const call = serviceClient({ name: "pay", baseUrl: upstream.base, variables: [], timeoutMs: 2000, retry: { maxAttempts: 3, backoff: "constant", initialDelayMs: 1 } });
    const err = await call(ep("get", "GET", "/status/404"), undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceError);
    expect(err).toMatchObject({ status: 502, code: "UPSTREAM_ERROR", upstreamStatus: 404, upstreamBody: { error: { code: "NOPE" } }, message: "pay.get: pay answered 404" });
    expect(upstream.seen).toHaveLength(1);
  });

  it("retries GET, PUT and DELETE on 5xx and 429 with backoff, never POST or PATCH", async () => {
    const call = serviceClient({ name: "pay", baseUrl: upstream.base, variables: [], timeoutMs: 2000, retry: { maxAttempts: 3, backoff: "exponential", initialDelayMs: 5 } });
    expect(await call(ep("get", "GET", "/fail/2/get"), undefined)).toEqual({ ok: true, after: 2 });
    expect(upstream.seen).toHaveLength(3);
    upstream.seen = [];
    await expect(call(ep("get", "GET", "/fail/5/get5"), undefined)).rejects.toMatchObject({ status: 502, upstreamStatus: 500 });
    expect(upstream.seen).toHaveLength(3);
    upstream.seen = [];
    await expect(call(ep("create", "POST", "/fail/1/post"), { a: 1 })).rejects.toMatchObject({ status: 502, upstreamStatus: 500 });
    expect(upstream.seen).toHaveLength(1);
    upstream.seen = [];
    await expect(call(ep("get", "GET", "/status/429"), undefined)).rejects.toMatchObject({ upstreamStatus: 429 });
    expect(upstream.seen).toHaveLength(3);
  });

  it("gives up an attempt after timeoutMs (504), and answers 503 for a service that cannot be reached or has no baseUrl", async () => {
    const slow = serviceClient({ name: "pay", baseUrl: upstream.base, variables: [], timeoutMs: 100 });
    const started = Date.now();
    await expect(slow(ep("get", "GET", "/slow"), undefined)).rejects.toMatchObject({ status: 504, code: "UPSTREAM_TIMEOUT" });
    // Well before the answer would come (3 s), with room for a loaded machine.
    expect(Date.now() - started).toBeLessThan(1500);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const away = serviceClient({ name: "pay", baseUrl: `http://127.0.0.1:${port}`, variables: [], timeoutMs: 1000 });
    await expect(away(ep("get", "GET", "/x"), undefined)).rejects.toMatchObject({ status: 503, code: "UPSTREAM_UNAVAILABLE", message: expect.stringContaining("cannot be reached") });
    const unset = serviceClient({ name: "pay", baseUrl: "", variables: ["PAY_URL"], timeoutMs: 1000 });
    await expect(unset(ep("get", "GET", "/x"), undefined)).rejects.toMatchObject({ status: 503, message: "pay is not configured: set PAY_URL" });
  });

  it("opens the circuit after failureThreshold failures in a row: calls fail at once with 503 until resetTimeoutMs, then go through again", async () => {
    const call = serviceClient({ name: "pay", baseUrl: upstream.base, variables: [], timeoutMs: 1000, circuitBreaker: { failureThreshold: 2, resetTimeoutMs: 200 } });
    for (let i = 0; i < 2; i++) await expect(call(ep("get", "GET", "/status/503"), undefined)).rejects.toMatchObject({ upstreamStatus: 503 });
    // 4xx answers do not count; the circuit is open now: no request leaves.
    upstream.seen = [];
    await expect(call(ep("get", "GET", "/ok"), undefined)).rejects.toMatchObject({ status: 503, code: "UPSTREAM_UNAVAILABLE", message: expect.stringContaining("failed too often") });
    expect(upstream.seen).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 250));
    expect(await call(ep("get", "GET", "/ok"), undefined)).toMatchObject({ method: "GET" });
    expect(upstream.seen).toHaveLength(1);
  });
});
