/**
 * The observability plugins end to end, on the `observability` fixture served against a real
 * PostgreSQL database: a /metrics scrape parsed as strict Prometheus text, spans received by a
 * local OTLP/HTTP collector, Sentry envelopes received by a local ingest endpoint, and health
 * checks written as handler files turning readiness to 503 and back.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import { gunzipSync } from "node:zlib";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, freePort, serveFixture } from "./harness.js";
import { parsePrometheusText, sampleValue } from "./prometheus-text.js";

const JWT_SECRET = "observability-test-secret-0123456789abcdef";

/** An HTTP server on 127.0.0.1 that records every request body; `respond` decides the answer. */
async function recorder(respond: (req: IncomingMessage) => Promise<number> | number = () => 200): Promise<{ server: Server; url: string; bodies: { path: string; body: Buffer }[] }> {
  const bodies: { path: string; body: Buffer }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const raw = Buffer.concat(chunks);
      bodies.push({ path: req.url ?? "", body: req.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw });
      const status = await respond(req);
      res.writeHead(status, { "content-type": "application/json" }).end("{}");
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${port}`, bodies };
}

const close = (s: Server | undefined) => new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve()));

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Local stand-ins for the collector, the Sentry ingest and the two services the health checks probe.
const env: Record<string, string> = { JWT_SECRET, OTEL_BSP_SCHEDULE_DELAY: "100", APP_ENV: "e2e" };
let collector: Awaited<ReturnType<typeof recorder>>;
let ingest: Awaited<ReturnType<typeof recorder>>;
let payments: Awaited<ReturnType<typeof recorder>>;
let search: Awaited<ReturnType<typeof recorder>>;
const upstream = { payments: { status: 200, delayMs: 0 }, search: { status: 200 } };

beforeAll(async () => {
  collector = await recorder();
  ingest = await recorder();
  payments = await recorder(async () => {
    await new Promise((r) => setTimeout(r, upstream.payments.delayMs));
    return upstream.payments.status;
  });
  search = await recorder(() => upstream.search.status);
  Object.assign(env, {
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
    SENTRY_DSN: `${ingest.url.replace("http://", "http://public@")}/1`,
    PAYMENTS_STATUS_URL: `${payments.url}/status`,
    SEARCH_STATUS_URL: `${search.url}/status`,
  });
});
afterAll(async () => {
  await Promise.all([close(collector?.server), close(ingest?.server), close(payments?.server), close(search?.server)]);
});

const served = serveFixture("observability", env);
const base = () => served.server.base;

async function createProduct(name: string, price: number): Promise<string> {
  const res = await call(base(), "POST", "/products", { name, price });
  expect(res.status).toBe(201);
  return (res.body as { id: string }).id;
}

describe("metrics", () => {
  const scrape = async () => {
    const res = await call(base(), "GET", "/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    return parsePrometheusText(res.text);
  };
  const requests = (families: Awaited<ReturnType<typeof scrape>>, method: string, route: string, status: string) =>
    sampleValue(families, "http_server_requests_total", { http_request_method: method, http_route: route, http_response_status_code: status });

  it("counts and times requests by route pattern, method and status, never by raw path", async () => {
    const before = await scrape();
    const id = await createProduct("Lamp", 40);
    await createProduct("Desk", 120);
    expect((await call(base(), "GET", `/products/${id}`)).status).toBe(200);
    expect((await call(base(), "GET", "/products/7c9e6679-7425-40de-944b-e07fc1f90ae7")).status).toBe(404);
    expect((await call(base(), "POST", "/products", { name: "" })).status).toBe(400);
    const after = await scrape();

    expect(requests(after, "POST", "/products", "201") - requests(before, "POST", "/products", "201")).toBe(2);
    expect(requests(after, "POST", "/products", "400") - requests(before, "POST", "/products", "400")).toBe(1);
    expect(requests(after, "GET", "/products/:id", "200") - requests(before, "GET", "/products/:id", "200")).toBe(1);
    expect(requests(after, "GET", "/products/:id", "404") - requests(before, "GET", "/products/:id", "404")).toBe(1);
    const routes = after.get("http_server_requests_total")!.samples.map((s) => s.labels.http_route);
    expect(routes.some((r) => /[0-9a-f]{8}-/.test(r ?? ""))).toBe(false);

    const duration = after.get("http_server_request_duration")!;
    expect(duration.type).toBe("histogram");
    expect(sampleValue(after, "http_server_request_duration_count", { http_request_method: "GET", http_route: "/products/:id", http_response_status_code: "200" })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(after, "http_server_request_duration_sum", { http_request_method: "POST", http_route: "/products", http_response_status_code: "201" })).toBeGreaterThan(0);
  });

  it("times database queries by operation and table", async () => {
    await createProduct("Chair", 60);
    const families = await scrape();
    expect(families.get("db_client_operation_duration")?.type).toBe("histogram");
    expect(sampleValue(families, "db_client_operation_duration_count", { db_operation_name: "INSERT", db_collection_name: "products" })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(families, "db_client_operation_duration_count", { db_operation_name: "SELECT", db_collection_name: "products" })).toBeGreaterThanOrEqual(1);
  });

  it("serves the custom metrics handlers record through ctx.metrics", async () => {
    const id = await createProduct("Shelf", 25);
    const order = await call(base(), "POST", "/orders", { productId: id, quantity: 3, channel: "web" });
    expect(order.status).toBe(201);
    expect(order.body).toEqual({ productId: id, quantity: 3, total: 75 });
    const families = await scrape();
    expect(families.get("orders_placed_total")).toMatchObject({ type: "counter", help: "Orders placed, by sales channel" });
    expect(sampleValue(families, "orders_placed_total", { channel: "web" })).toBe(1);
    expect(sampleValue(families, "order_value_count", {})).toBe(1);
    expect(sampleValue(families, "order_value_sum", {})).toBe(75);
    expect(sampleValue(families, "order_value_bucket", { le: "50" })).toBe(0);
    expect(sampleValue(families, "order_value_bucket", { le: "100" })).toBe(1);
    expect(families.get("open_carts")?.type).toBe("gauge");
    expect(sampleValue(families, "open_carts", {})).toBe(3);
  });
});

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: Record<string, unknown> }[];
  status?: { code?: number };
}

function receivedSpans(): OtlpSpan[] {
  return collector.bodies
    .filter((b) => b.path === "/v1/traces")
    .flatMap((b) => (JSON.parse(b.body.toString("utf8")) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] }).resourceSpans)
    .flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
}

const attr = (span: OtlpSpan, key: string) => {
  const v = span.attributes.find((a) => a.key === key)?.value;
  return v === undefined ? undefined : (v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : v.boolValue));
};

describe("tracing", () => {
  const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
  const callerSpan = "00f067aa0ba902b7";

  it("continues the caller's trace: a server span named by route, and the query as its child", async () => {
    const id = await createProduct("Mirror", 80);
    const res = await call(base(), "GET", `/products/${id}`, undefined, { traceparent: `00-${traceId}-${callerSpan}-01` });
    expect(res.status).toBe(200);
    const server = await until("the server span", () => receivedSpans().find((s) => s.traceId === traceId && s.kind === 2));
    expect(server).toMatchObject({ name: "GET /products/:id", parentSpanId: callerSpan });
    expect(attr(server, "http.route")).toBe("/products/:id");
    expect(attr(server, "http.request.method")).toBe("GET");
    expect(attr(server, "http.response.status_code")).toBe(200);
    expect(attr(server, "app.request_id")).toBe(res.headers.get("x-request-id"));
    const query = await until("the query span", () => receivedSpans().find((s) => s.traceId === traceId && s.kind === 3));
    expect(query).toMatchObject({ name: "SELECT products", parentSpanId: server.spanId });
    expect(attr(query, "db.system.name")).toBe("postgresql");
    expect(attr(query, "db.query.text")).toMatch(/^select .* from "products"/i);
  });

  it("nests handler spans (ctx.tracing.withSpan) between the request and its queries", async () => {
    const id = await createProduct("Rug", 10);
    const trace = "0af7651916cd43dd8448eb211c80319c";
    expect((await call(base(), "POST", "/orders", { productId: id, quantity: 1, channel: "store" }, { traceparent: `00-${trace}-b7ad6b7169203331-01` })).status).toBe(201);
    const spans = await until("three spans", () => {
      const found = receivedSpans().filter((s) => s.traceId === trace);
      return found.length >= 3 ? found : undefined;
    });
    const server = spans.find((s) => s.kind === 2)!;
    const own = spans.find((s) => s.name === "price-order")!;
    const query = spans.find((s) => s.kind === 3)!;
    expect(server.name).toBe("POST /orders");
    expect(own.parentSpanId).toBe(server.spanId);
    expect(attr(own, "order.quantity")).toBe(1);
    expect(query.parentSpanId).toBe(own.spanId);
  });

  it("gives handlers the trace id and the traceparent for outgoing calls; starts a new trace without one", async () => {
    const joined = await call(base(), "GET", "/trace", undefined, { traceparent: `00-${traceId}-${callerSpan}-01` });
    const body = joined.body as { traceId: string; outgoing: { traceparent: string } };
    expect(body.traceId).toBe(traceId);
    expect(body.outgoing.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(body.outgoing.traceparent).not.toContain(callerSpan);
    const fresh = (await call(base(), "GET", "/trace")).body as { traceId: string };
    expect(fresh.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(fresh.traceId).not.toBe(traceId);
  });

  it("follows the caller's decision not to sample, and marks 500s as errors", async () => {
    const unsampled = "11111111111111111111111111111111";
    await call(base(), "GET", "/trace", undefined, { traceparent: `00-${unsampled}-${callerSpan}-00` });
    const boom = "22222222222222222222222222222222";
    expect((await call(base(), "GET", "/boom", undefined, { traceparent: `00-${boom}-${callerSpan}-01` })).status).toBe(500);
    const failed = await until("the failed request's span", () => receivedSpans().find((s) => s.traceId === boom));
    expect(failed.status?.code).toBe(2);
    expect(receivedSpans().some((s) => s.traceId === unsampled)).toBe(false);
  });
});

interface SentryEvent {
  event_id: string;
  exception?: { values: { type: string; value: string; mechanism?: { handled?: boolean } }[] };
  request?: { method?: string; url?: string; headers?: Record<string, string> };
  tags?: Record<string, string>;
  user?: { id?: string };
  extra?: Record<string, unknown>;
  environment?: string;
  release?: string;
}

function receivedEvents(): SentryEvent[] {
  const events: SentryEvent[] = [];
  for (const { path, body } of ingest.bodies) {
    if (!path.startsWith("/api/1/envelope/")) continue;
    const lines = body.toString("utf8").split("\n").filter((l) => l !== "");
    for (let i = 1; i + 1 < lines.length; i += 2) {
      const item = JSON.parse(lines[i]!) as { type: string };
      if (item.type === "event") events.push(JSON.parse(lines[i + 1]!) as SentryEvent);
    }
  }
  return events;
}

const eventFor = (requestId: string | null) => receivedEvents().find((e) => e.tags?.request_id === requestId);

describe("error tracking", () => {
  // Sentry drops an event identical to the one just before it (dedupe); the tracing tests sent
  // /boom last, so /account/boom (another stack) goes first.
  it("names the signed-in user", async () => {
    const token = await new SignJWT({ sub: "user-42" }).setProtectedHeader({ alg: "HS256" }).setIssuedAt().setExpirationTime("5m").sign(new TextEncoder().encode(JWT_SECRET));
    const res = await call(base(), "GET", "/account/boom", undefined, { authorization: `Bearer ${token}` });
    expect(res.status).toBe(500);
    const event = await until("the event", () => eventFor(res.headers.get("x-request-id")));
    expect(event.user).toMatchObject({ id: "user-42" });
    expect(event.request!.headers?.authorization).toBeUndefined();
    expect(event.tags).toMatchObject({ "http.route": "/account/boom" });
  });

  it("sends a 500 with its exception and the request, without credentials", async () => {
    const res = await call(base(), "GET", "/boom", undefined, { "user-agent": "e2e-test", cookie: "session=abc" });
    expect(res.status).toBe(500);
    expect(res.text).not.toContain("payment gateway");
    const event = await until("the event", () => eventFor(res.headers.get("x-request-id")));
    expect(event.exception!.values[0]).toMatchObject({ type: "TypeError", value: "payment gateway returned nothing", mechanism: { handled: false } });
    expect(event.request).toMatchObject({ method: "GET", url: `${base()}/boom` });
    expect(event.request!.headers?.["user-agent"]).toBe("e2e-test");
    expect(event.request!.headers?.cookie).toBeUndefined();
    expect(event.tags).toMatchObject({ "http.route": "/boom", "http.method": "GET" });
    expect(event).toMatchObject({ environment: "e2e", release: "observability@1.2.0" });
  });

  it("sends what handlers report through ctx.errorTracking, and never 4xx answers", async () => {
    const notFound = await call(base(), "GET", "/products/7c9e6679-7425-40de-944b-e07fc1f90ae7");
    const invalid = await call(base(), "POST", "/orders", { quantity: 0 });
    const unauthenticated = await call(base(), "GET", "/account/boom");
    expect([notFound.status, invalid.status, unauthenticated.status]).toEqual([404, 400, 401]);
    const caught = await call(base(), "POST", "/caught");
    expect(caught.status).toBe(202);
    const event = await until("the handler's event", () => eventFor(caught.headers.get("x-request-id")));
    expect(event.event_id).toBe((caught.body as { eventId: string }).eventId);
    expect(event.exception!.values[0]).toMatchObject({ type: "RangeError", value: "inventory sync lagging", mechanism: { handled: true } });
    expect(event.extra).toMatchObject({ lagSeconds: 42 });
    // The handler's event was sent after the 4xx answers; none of those produced one.
    for (const r of [notFound, invalid, unauthenticated]) expect(eventFor(r.headers.get("x-request-id"))).toBeUndefined();
  });
});

describe("health checks from handler files", () => {
  afterAll(() => {
    Object.assign(upstream, { payments: { status: 200, delayMs: 0 }, search: { status: 200 } });
  });

  it("passes when every check passes", async () => {
    const res = await call(base(), "GET", "/health/ready");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "ok", checks: { database: { status: "ok", critical: true }, payments: { status: "ok", critical: true }, search: { status: "ok", critical: false } } });
    expect(payments.bodies.length).toBeGreaterThan(0);
  });

  it("a failing non-critical check degrades readiness but keeps 200", async () => {
    upstream.search.status = 500;
    const res = await call(base(), "GET", "/health/ready");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "degraded", checks: { search: { status: "error", error: "unavailable" } } });
    upstream.search.status = 200;
  });

  it("a critical check that fails or outlives its timeout answers 503, and 200 once it recovers", async () => {
    upstream.payments.status = 503;
    const failed = await call(base(), "GET", "/health");
    expect(failed.status).toBe(503);
    expect(failed.body).toMatchObject({ status: "unavailable", checks: { payments: { status: "error", error: "check failed" }, database: { status: "ok" } } });

    Object.assign(upstream.payments, { status: 200, delayMs: 1500 });
    const slow = await call(base(), "GET", "/health/ready");
    expect(slow.status).toBe(503);
    expect(slow.body).toMatchObject({ checks: { payments: { status: "error", error: "timed out after 300 ms" } } });
    expect((slow.body as { checks: { payments: { latencyMs: number } } }).checks.payments.latencyMs).toBeLessThan(1000);

    upstream.payments.delayMs = 0;
    const back = await call(base(), "GET", "/health/ready");
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ status: "ok" });
  });
});

describe("health: Redis", () => {
  // The same app with its rate-limit counters in Redis, pointed at a port where nothing listens.
  const redisDown: Record<string, string> = { JWT_SECRET };
  beforeAll(async () => {
    Object.assign(redisDown, { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
  });
  const down = serveFixture("observability", redisDown, "rateLimit:\n  max: 1000\n  window: 1m\n  store: redis\n  redisUrl: ${REDIS_URL}\n  onFailure: open\n");

  it("checks the app's Redis connection; unreachable, it degrades readiness (requests still work without it)", async () => {
    const res = await call(down.server.base, "GET", "/health/ready");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "degraded", checks: { database: { status: "ok" }, redis: { status: "error", critical: false } } });
    expect((await call(down.server.base, "GET", "/products")).status).toBe(200);
  });
});

describe("response headers from middleware on routes that build their own Response", () => {
  // GET /:id answers with a Response it builds (plain headers, for speed): the request id (wired by
  // the tracing and error-tracking plugins) and the rate-limit headers are added after the route.
  const limited = serveFixture("observability", env, "rateLimit:\n  max: 1000\n  window: 1m\n");

  it("GET /:id (200 and 304), a 404 and a POST carry X-Request-ID and X-RateLimit-*", async () => {
    const created = await call(limited.server.base, "POST", "/products", { name: "Lamp", price: 40 }, { "X-Request-ID": "req-post" });
    expect(created.status).toBe(201);
    expect(created.headers.get("x-request-id")).toBe("req-post");
    expect(created.headers.get("x-ratelimit-limit")).toBe("1000");
    const id = (created.body as { id: string }).id;
    const first = await call(limited.server.base, "GET", `/products/${id}`, undefined, { "X-Request-ID": "req-get" });
    expect(first.status).toBe(200);
    expect(first.headers.get("content-type")).toBe("application/json");
    expect(first.headers.get("x-request-id")).toBe("req-get");
    expect(first.headers.get("x-ratelimit-limit")).toBe("1000");
    expect(Number(first.headers.get("x-ratelimit-remaining"))).toBeLessThan(1000);
    const cached = await call(limited.server.base, "GET", `/products/${id}`, undefined, { "If-None-Match": first.headers.get("etag")! });
    expect(cached.status).toBe(304);
    expect(cached.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(cached.headers.get("x-ratelimit-limit")).toBe("1000");
    const missing = await call(limited.server.base, "GET", "/products/7c9e6679-7425-40de-944b-e07fc1f90ae7", undefined, { "X-Request-ID": "req-404" });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("x-request-id")).toBe("req-404");
    expect(missing.headers.get("x-ratelimit-limit")).toBe("1000");
    expect(missing.body).toMatchObject({ error: { code: "NOT_FOUND", requestId: "req-404" } });
  });
});
