/**
 * @betagors/yama-tracing: OpenTelemetry traces exported over OTLP/HTTP (@opentelemetry/sdk-node).
 * A server span per request named by route pattern, a client span per database query as its
 * child, W3C trace context honoured from `traceparent` and available for outgoing calls, a
 * sampling ratio from config, and `ctx.tracing` for spans of the handler's own.
 */
import { z } from "zod";
import { hasEnvReference, parseConfigString } from "../2-analyze/config-string.js";
import { envExpression, envNumber, envText } from "../4-emit/env.js";
import { file, header, Imports, key, ts } from "../4-emit/writer.js";
import { readMonitoring } from "./monitoring.js";
import { REQUEST_ID_WIRING, type YamaPlugin } from "./types.js";

const ratio = z.union([z.number().min(0).max(1), z.string().regex(/^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-(?:0(?:\.\d+)?|1(?:\.0+)?))?\}$/, "must be a number from 0 to 1, or ${VAR} / ${VAR:-0.1}")]);

const options = z.strictObject({
  enabled: z.boolean().default(true),
  /** `service.name` of the spans; the app's name by default. */
  serviceName: z.string().min(1).optional(),
  /** Collector URL, base (`http://collector:4318`) or full (`…/v1/traces`); OTEL_EXPORTER_OTLP_* variables otherwise. */
  endpoint: z.string().min(1).optional(),
  /** Headers sent to the collector (e.g. an API key: `${OTLP_TOKEN}`). */
  headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, "must be a header name"), z.string()).optional(),
  /** Share of new traces recorded (0–1); a caller's sampling decision is followed. Defaults to monitoring.sampling.rate, else 1. */
  sampling: ratio.optional(),
  /** The roadmap's spelling of `sampling`. */
  sampleRate: ratio.optional(),
  /** Spans for database queries (default on). */
  database: z.boolean().default(true),
  provider: z.literal("opentelemetry").optional(),
  /** Only OTLP is compiled; Jaeger and Zipkin both accept OTLP. */
  exporter: z.literal("otlp").optional(),
});

export type TracingOptions = z.output<typeof options> & { monitoringRate?: number };

export const TRACING_PLUGIN = "@betagors/yama-tracing";

export const tracingPlugin: YamaPlugin<TracingOptions> = {
  name: TRACING_PLUGIN,
  aliases: ["tracing", "yama-tracing"],
  options,
  analyze(opts, ctx) {
    if (opts.sampling !== undefined && opts.sampleRate !== undefined) {
      ctx.diagnostics.error("bad-plugin-option", "give the sampling ratio once: `sampling` and `sampleRate` are the same option", ctx.parsed.locate([...ctx.path, "sampleRate"], "key"), "keep `sampling:`");
    }
    for (const [name, value] of Object.entries(opts.headers ?? {})) {
      if (/^(authorization|x-api-key|api-key)$/i.test(name) && !hasEnvReference(value)) {
        ctx.diagnostics.error("secret-in-config", `the collector header ${name} is written in the config`, ctx.parsed.locate([...ctx.path, "headers", name]), `write \`${name}: \${OTLP_TOKEN}\` and put the value in the environment`);
      }
    }
    opts.monitoringRate = readMonitoring(ctx)?.sampling?.rate;
  },
  emit(opts, ir) {
    if (!opts.enabled) return {};
    const sampling = opts.sampling ?? opts.sampleRate ?? opts.monitoringRate ?? 1;
    const ratioExpr = typeof sampling === "number" ? String(sampling) : envNumber(parseConfigString(sampling), 1);
    const imports = new Imports()
      .add("@opentelemetry/api", "trace")
      .add("@opentelemetry/exporter-trace-otlp-http", "OTLPTraceExporter")
      .add("@opentelemetry/sdk-node", "NodeSDK", "resources", "tracing")
      .add("../lib/tracing.js", "createTracing", "requestTracing", "tracesUrl");
    if (opts.database) imports.add("../lib/tracing.js", "queryTracing");
    const service = opts.serviceName ?? ir.name;
    const headers = Object.entries(opts.headers ?? {}).map(([k, v]) => `${key(k)}: ${envText(parseConfigString(v))}`);
    const exporterOptions = [
      `url: tracesUrl(${opts.endpoint !== undefined ? envExpression(parseConfigString(opts.endpoint)) : "undefined"})`,
      ...(headers.length ? [`headers: { ${headers.join(", ")} }`] : []),
    ];
    const body = `/**
 * Traces only: spans go to the OTLP/HTTP collector in batches (OTEL_BSP_SCHEDULE_DELAY, default
 * 5 s); no metrics or logs pipeline is started here. Without an endpoint the exporter reads
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT (default http://localhost:4318).
 */
const sdk = new NodeSDK({
  resource: resources.resourceFromAttributes({ "service.name": ${ts(service)}, "service.version": ${ts(ir.version)} }),
  traceExporter: new OTLPTraceExporter({ ${exporterOptions.join(", ")} }),
  sampler: new tracing.ParentBasedSampler({ root: new tracing.TraceIdRatioBasedSampler(${ratioExpr}) }),
  metricReaders: [],
  logRecordProcessors: [],
  instrumentations: [],
});
sdk.start();

const tracer = trace.getTracer(${ts(service)}, ${ts(ir.version)});

/** A span per request, named by route pattern. */
export const httpTracing = requestTracing(tracer);
${opts.database ? `
/** A span per database query, inside the request's span. */
export const databaseTracing = queryTracing(tracer);
` : ""}
/** \`ctx.tracing\` in handlers. */
export const appTracing = createTracing(tracer);

/** Sends the spans still queued; src/server.ts awaits it on shutdown. */
export const flushTracing = () => sdk.shutdown();`;
    const exported = (...names: string[]) => ({ "./plugins/tracing.js": names });
    return {
      files: [{ path: "src/plugins/tracing.ts", content: header(`plugin ${TRACING_PLUGIN}`, ir.configFile) + file(imports.toString(), body) }],
      wiring: [
        REQUEST_ID_WIRING,
        ...(opts.database ? [{ order: 1, imports: { ...exported("databaseTracing"), "./lib/query-hooks.js": ["onQuery"] }, statement: "onQuery(databaseTracing);" }] : []),
        { order: 3, imports: exported("httpTracing"), statement: "app.use(httpTracing);" },
      ],
      errorReporters: [{ order: 20, from: "./lib/tracing.js", name: "recordError" }],
      context: ir.endpoints.length > 0
        ? [{ name: "tracing", doc: "Spans of your own (`ctx.tracing.startSpan(name)`) and trace headers for outgoing calls.", imports: exported("appTracing"), typeImports: { "./lib/tracing.js": ["Tracing"] }, type: "Tracing", value: "appTracing" }]
        : [],
      shutdown: [{ imports: exported("flushTracing"), call: "flushTracing()" }],
      dependencies: {
        "@opentelemetry/api": "^1.9.1",
        "@opentelemetry/exporter-trace-otlp-http": "^0.223.1",
        "@opentelemetry/sdk-node": "^0.223.0",
      },
    };
  },
};
