/**
 * @betagors/yama-metrics: OpenTelemetry metrics served in the Prometheus text format on the
 * app's own port (`GET /metrics`). Every request is counted and timed by method, route pattern
 * and status; every database query is timed by operation and table; metrics declared in config
 * (`custom:` here or `monitoring.custom`) become typed instruments handlers use as
 * `ctx.metrics.<name>`.
 */
import { z } from "zod";
import { hasEnvReference, parseConfigString } from "../2-analyze/config-string.js";
import { envText } from "../4-emit/env.js";
import { file, header, Imports, ts } from "../4-emit/writer.js";
import type { ProjectIR } from "../ir.js";
import { customMetric, readMonitoring, type CustomMetric } from "./monitoring.js";
import type { ContextMember, YamaPlugin } from "./types.js";

const route = z.string().regex(/^\/[A-Za-z0-9/_.-]*$/, "must be a path such as /metrics");
const buckets = z.array(z.number().positive()).min(1);

const options = z.strictObject({
  enabled: z.boolean().default(true),
  /** Where Prometheus scrapes (default /metrics); `endpoint` is the roadmap's spelling. */
  path: route.optional(),
  endpoint: route.optional(),
  /** Only the Prometheus endpoint is served; `opentelemetry` is accepted as the same thing. */
  provider: z.enum(["prometheus", "opentelemetry"]).default("prometheus"),
  /** Request count and duration by route (default on); `defaultMetrics` is the roadmap's spelling. */
  requests: z.boolean().optional(),
  defaultMetrics: z.boolean().optional(),
  /** Database query durations (default on). */
  database: z.boolean().default(true),
  /** Bucket boundaries (seconds) of the request duration histogram. */
  buckets: buckets.optional(),
  /** When set, scrapes must send `Authorization: Bearer <token>`; write `${METRICS_TOKEN}`. */
  token: z.string().min(1).optional(),
  custom: z.array(customMetric).default([]),
});

export type MetricsOptions = z.output<typeof options> & {
  /** `custom` plus `monitoring.custom`, after analysis. */
  declared?: CustomMetric[];
};

export const METRICS_PLUGIN = "@betagors/yama-metrics";

/** OpenTelemetry's recommended boundaries for HTTP server durations (seconds). */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
/** And for database client operations. */
const DB_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];

/** Series names the plugin itself exposes; custom metrics may not reuse them. */
const BUILT_IN = ["http_server_requests", "http_server_request_duration", "db_client_operation_duration", "target_info"];

const increasing = (list: readonly number[]) => list.every((v, i) => i === 0 || v > list[i - 1]!);

/** The Prometheus series name of a metric (counters get `_total`). */
const seriesName = (m: CustomMetric) => (m.type === "counter" && !m.name.endsWith("_total") ? `${m.name}_total` : m.name);

export const metricsPlugin: YamaPlugin<MetricsOptions> = {
  name: METRICS_PLUGIN,
  aliases: ["metrics", "yama-metrics"],
  options,
  analyze(opts, ctx) {
    if (opts.path && opts.endpoint && opts.path !== opts.endpoint) {
      ctx.diagnostics.error("bad-plugin-option", `give the metrics path once: \`path: ${opts.path}\` and \`endpoint: ${opts.endpoint}\` disagree`, ctx.parsed.locate([...ctx.path, "endpoint"]), "keep `path:`");
    }
    if (opts.buckets && !increasing(opts.buckets)) ctx.diagnostics.error("bad-plugin-option", "buckets must be increasing", ctx.parsed.locate([...ctx.path, "buckets"]), "e.g. [0.01, 0.1, 0.5, 1, 5]");
    if (opts.token !== undefined && !hasEnvReference(opts.token)) {
      ctx.diagnostics.error("secret-in-config", "the metrics token is written in the config", ctx.parsed.locate([...ctx.path, "token"]), "write `token: ${METRICS_TOKEN}` and put the token in the environment");
    }
    const monitoring = readMonitoring(ctx);
    const sources = [
      ...opts.custom.map((metric, i) => ({ metric, at: [...ctx.path, "custom", i] as (string | number)[] })),
      ...(monitoring?.custom ?? []).map((metric, i) => ({ metric, at: ["monitoring", "custom", i] as (string | number)[] })),
    ];
    const names = new Map<string, (string | number)[]>();
    for (const { metric, at } of sources) {
      const series = seriesName(metric);
      const clash = BUILT_IN.find((b) => series === b || series === `${b}_total` || series.startsWith(`${b}_`));
      if (clash) ctx.diagnostics.error("duplicate-metric", `metric "${metric.name}" clashes with the built-in series ${clash}`, ctx.parsed.locate([...at, "name"]), "choose another name");
      const first = names.get(series);
      if (first) ctx.diagnostics.error("duplicate-metric", `metric "${metric.name}" is declared twice (first at line ${ctx.parsed.locate([...first, "name"]).line})`, ctx.parsed.locate([...at, "name"]), "keep one declaration");
      names.set(series, at);
      if (metric.buckets && metric.type !== "histogram") ctx.diagnostics.error("bad-plugin-option", `${metric.name} is a ${metric.type}; only histograms have buckets`, ctx.parsed.locate([...at, "buckets"]), "remove `buckets:`");
      if (metric.buckets && !increasing(metric.buckets)) ctx.diagnostics.error("bad-plugin-option", `the buckets of ${metric.name} must be increasing`, ctx.parsed.locate([...at, "buckets"]));
      if (new Set(metric.labels).size !== metric.labels.length) ctx.diagnostics.error("bad-plugin-option", `${metric.name} lists a label twice`, ctx.parsed.locate([...at, "labels"]));
    }
    opts.declared = sources.map((s) => s.metric);
  },
  emit(opts, ir) {
    if (!opts.enabled) return {};
    const declared = opts.declared ?? opts.custom;
    const path = opts.path ?? opts.endpoint ?? "/metrics";
    const requests = opts.requests ?? opts.defaultMetrics ?? true;
    const imports = new Imports().add("hono", "Hono").add("../lib/metrics.js", "createMetrics").type("../lib/http.js", "AppEnv");
    const blocks: string[] = [`const registry = createMetrics({ name: ${ts(ir.name)}, version: ${ts(ir.version)} });

/** The app's meter: instruments created from it are served at ${path}. */
export const meter = registry.meter;`];
    if (requests) {
      imports.add("../lib/metrics.js", "requestMetrics");
      blocks.push(`/** Counts and times every request (http_server_requests_total, http_server_request_duration) by method, route pattern and status. */
export const httpMetrics = requestMetrics(meter, [${(opts.buckets ?? HTTP_BUCKETS).join(", ")}]);`);
    }
    if (opts.database) {
      imports.add("../lib/metrics.js", "queryMetrics");
      blocks.push(`/** Times every database query (db_client_operation_duration) by operation and table. */
export const databaseMetrics = queryMetrics(meter, [${DB_BUCKETS.join(", ")}]);`);
    }
    if (declared.length > 0) blocks.push(customBlock(declared));
    let guard = "";
    if (opts.token !== undefined) {
      imports.add("node:crypto", "createHash", "timingSafeEqual");
      blocks.push(`const expected = createHash("sha256").update(\`Bearer \${${envText(parseConfigString(opts.token))}}\`).digest();

/** Whether a scrape carries the configured bearer token (compared in constant time). */
function authorized(header: string | undefined): boolean {
  return header !== undefined && timingSafeEqual(createHash("sha256").update(header).digest(), expected);
}`);
      imports.add("../lib/http.js", "requestIdOf");
      guard = `\n  if (!authorized(c.req.header("authorization"))) return c.json({ error: { code: "AUTH_REQUIRED", message: "Authentication required", requestId: requestIdOf(c) } }, 401);`;
    }
    blocks.push(`/** ${path}: the Prometheus text format, collected on each scrape. */
export const metricsRoutes = new Hono<AppEnv>();

metricsRoutes.get(${ts(path)}, async (c) => {${guard}
  return c.body(await registry.scrape(), 200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" });
});`);
    const exported = (name: string) => ({ "./plugins/metrics.js": [name] });
    const wiring = [
      ...(opts.database ? [{ order: 2, imports: { ...exported("databaseMetrics"), "./lib/query-hooks.js": ["onQuery"] }, statement: "onQuery(databaseMetrics);" }] : []),
      ...(requests ? [{ order: 6, imports: exported("httpMetrics"), statement: "app.use(httpMetrics);" }] : []),
      { order: 55, imports: exported("metricsRoutes"), statement: 'app.route("/", metricsRoutes);' },
    ];
    const context: ContextMember[] = declared.length > 0 && ir.endpoints.length > 0
      ? [{ name: "metrics", doc: "Metrics declared in the config (`monitoring.custom`), e.g. `ctx.metrics.<name>.add(1)`.", imports: { "./plugins/metrics.js": ["customMetrics"] }, type: "typeof customMetrics", value: "customMetrics" }]
      : [];
    return {
      files: [{ path: "src/plugins/metrics.ts", content: header(`plugin ${METRICS_PLUGIN}`, ir.configFile) + file(imports.toString(), ...blocks) }],
      wiring,
      context,
      dependencies: {
        "@opentelemetry/api": "^1.9.1",
        "@opentelemetry/exporter-prometheus": "^0.223.0",
        "@opentelemetry/resources": "2.12.0",
        "@opentelemetry/sdk-metrics": "2.12.0",
      },
    };
  },
};

function customBlock(declared: readonly CustomMetric[]): string {
  const create = { counter: "createCounter", histogram: "createHistogram", gauge: "createGauge", updowncounter: "createUpDownCounter" } as const;
  const lines = declared.map((m) => {
    const labels = m.labels.length ? `<{ ${m.labels.map((l) => `${l}: string | number | boolean`).join("; ")} }>` : "";
    const description = m.description ?? m.help;
    const opts = [
      description !== undefined ? `description: ${ts(description)}` : undefined,
      m.unit !== undefined ? `unit: ${ts(m.unit)}` : undefined,
      m.buckets ? `advice: { explicitBucketBoundaries: [${m.buckets.join(", ")}] }` : undefined,
    ].filter(Boolean);
    const doc = `  /** ${description ?? m.name} (${m.type}${m.labels.length ? `; labels ${m.labels.join(", ")}` : ""}). */`;
    return `${doc}\n  ${m.name}: meter.${create[m.type]}${labels}(${ts(m.name)}${opts.length ? `, { ${opts.join(", ")} }` : ""}),`;
  });
  return `/** Metrics declared in the config; handlers record them as \`ctx.metrics.<name>\`. */
export const customMetrics = {
${lines.join("\n")}
};`;
}
