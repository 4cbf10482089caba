/**
 * Metrics with OpenTelemetry, served in the Prometheus text format by the app itself (no second
 * port): a meter provider whose only reader is the Prometheus exporter, collected on each scrape.
 * Request and database instruments follow the OpenTelemetry semantic conventions
 * (`http.server.request.duration`, `db.client.operation.duration`), labelled by route pattern,
 * never by raw path, so the number of series stays bounded.
 */
import type { Meter } from "@opentelemetry/api";
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { AppEnv } from "./http.js";
import { describeQuery, type QueryHook } from "./query-hooks.js";

export interface MetricsRegistry {
  meter: Meter;
  /** Current values in the Prometheus text exposition format 0.0.4. */
  scrape(): Promise<string>;
}

export function createMetrics(service: { name: string; version: string }): MetricsRegistry {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ "service.name": service.name, "service.version": service.version }),
    readers: [exporter],
  });
  // No per-series scope labels; the service is named once, in target_info.
  const serializer = new PrometheusSerializer("", false, undefined, false, true);
  return {
    meter: provider.getMeter(service.name, service.version),
    async scrape() {
      const { resourceMetrics } = await exporter.collect();
      return serializer.serialize(resourceMetrics);
    },
  };
}

/** Counts and times every request by method, route pattern and status. */
export function requestMetrics(meter: Meter, buckets: readonly number[]): MiddlewareHandler<AppEnv> {
  const requests = meter.createCounter("http.server.requests", { description: "HTTP requests answered" });
  const duration = meter.createHistogram("http.server.request.duration", {
    description: "Time to answer an HTTP request",
    unit: "s",
    advice: { explicitBucketBoundaries: [...buckets] },
  });
  return async (c, next) => {
    const started = performance.now();
    await next();
    const labels = { "http.request.method": c.req.method, "http.route": routePath(c, -1), "http.response.status_code": c.res.status };
    requests.add(1, labels);
    duration.record((performance.now() - started) / 1000, labels);
  };
}

/** Times every database query by operation (SELECT, INSERT, …) and table. */
export function queryMetrics(meter: Meter, buckets: readonly number[]): QueryHook {
  const duration = meter.createHistogram("db.client.operation.duration", {
    description: "Time to run a database query",
    unit: "s",
    advice: { explicitBucketBoundaries: [...buckets] },
  });
  return async (sql, run) => {
    const started = performance.now();
    let failed = false;
    try {
      return await run();
    } catch (err) {
      failed = true;
      throw err;
    } finally {
      const { operation, table } = describeQuery(sql);
      duration.record((performance.now() - started) / 1000, {
        "db.system.name": "postgresql",
        "db.operation.name": operation,
        ...(table ? { "db.collection.name": table } : {}),
        ...(failed ? { "error.type": "query_failed" } : {}),
      });
    }
  };
}
