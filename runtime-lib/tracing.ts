/**
 * Tracing with OpenTelemetry: a server span per request (named by route pattern, W3C trace context
 * from an incoming `traceparent` honoured), a client span per database query as its child, and
 * the `ctx.tracing` helpers handlers use for spans of their own and for outgoing calls. The SDK
 * and exporter are set up by src/plugins/tracing.ts; this module only talks to the API.
 */
import { type Attributes, context, propagation, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, type TextMapGetter, type Tracer, trace } from "@opentelemetry/api";
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { type AppEnv, type ErrorReport, requestIdOf } from "./http.js";
import { describeQuery, type QueryHook } from "./query-hooks.js";

const fromHeaders: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

/** One SERVER span per request, a child of the caller's span when it sent `traceparent`. */
export function requestTracing(tracer: Tracer): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const parent = propagation.extract(ROOT_CONTEXT, c.req.raw.headers, fromHeaders);
    const method = c.req.method;
    const span = tracer.startSpan(method, { kind: SpanKind.SERVER, attributes: { "http.request.method": method, "url.path": c.req.path } }, parent);
    await context.with(trace.setSpan(parent, span), next);
    const route = routePath(c, -1);
    const status = c.res.status;
    span.updateName(`${method} ${route}`);
    span.setAttributes({ "http.route": route, "http.response.status_code": status, "app.request_id": requestIdOf(c) });
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  };
}

/** One CLIENT span per database query, inside the request's span (queries outside a request are not traced). */
export function queryTracing(tracer: Tracer): QueryHook {
  return (sql, run) => {
    const parent = context.active();
    if (trace.getSpan(parent) === undefined) return run();
    const { operation, table } = describeQuery(sql);
    const span = tracer.startSpan(table ? `${operation} ${table}` : operation, {
      kind: SpanKind.CLIENT,
      attributes: { "db.system.name": "postgresql", "db.operation.name": operation, "db.query.text": sql, ...(table ? { "db.collection.name": table } : {}) },
    }, parent);
    return context.with(trace.setSpan(parent, span), run).then(
      (result) => {
        span.end();
        return result;
      },
      (err: unknown) => {
        fail(span, err);
        span.end();
        throw err;
      },
    );
  };
}

function fail(span: Span, err: unknown): void {
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : "error" });
}

/** Marks the request's span as failed with the exception (the client still gets the plain 500). */
export const recordError: ErrorReport = (err) => {
  const span = trace.getActiveSpan();
  if (span) fail(span, err);
};

/** What handlers see as `ctx.tracing`. */
export interface Tracing {
  /** Starts a span, a child of the current one (the request's); end it with `span.end()`. */
  startSpan(name: string, attributes?: Attributes): Span;
  /** Runs `fn` in a new span that ends when it settles; spans and queries inside are its children. */
  withSpan<T>(name: string, fn: (span: Span) => Promise<T>, attributes?: Attributes): Promise<T>;
  /** The active span: the request's, or the innermost `withSpan`. */
  currentSpan(): Span | undefined;
  /** The trace id of the current request (32 hex digits), if it is traced. */
  traceId(): string | undefined;
  /** W3C trace context headers (`traceparent`, `tracestate`) to send with outgoing calls. */
  headers(): Record<string, string>;
}

export function createTracing(tracer: Tracer): Tracing {
  return {
    startSpan: (name, attributes) => tracer.startSpan(name, { attributes }),
    withSpan: (name, fn, attributes) =>
      tracer.startActiveSpan(name, { attributes }, async (span) => {
        try {
          return await fn(span);
        } catch (err) {
          fail(span, err);
          throw err;
        } finally {
          span.end();
        }
      }),
    currentSpan: () => trace.getActiveSpan(),
    traceId: () => trace.getActiveSpan()?.spanContext().traceId,
    headers: () => {
      const carrier: Record<string, string> = {};
      propagation.inject(context.active(), carrier);
      return carrier;
    },
  };
}

/** The OTLP/HTTP traces URL from a collector base URL (`http://collector:4318`) or a full one. */
export function tracesUrl(endpoint: string | undefined): string | undefined {
  if (endpoint === undefined || endpoint === "") return undefined;
  return endpoint.endsWith("/v1/traces") ? endpoint : `${endpoint.replace(/\/+$/, "")}/v1/traces`;
}
