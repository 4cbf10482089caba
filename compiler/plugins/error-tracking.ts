/**
 * @betagors/yama-error-tracking: Sentry (@sentry/node). DSN, environment, release and sample rate
 * from config (`${SENTRY_DSN}`); every error that becomes a 500 is sent with the request context
 * and user id; `ctx.errorTracking.captureException` for errors a handler catches. Without a DSN
 * at runtime the SDK stays disabled, so development needs no account.
 */
import { z } from "zod";
import { hasEnvReference, parseConfigString } from "../2-analyze/config-string.js";
import { envExpression } from "../4-emit/env.js";
import { file, header, Imports, ts } from "../4-emit/writer.js";
import { readMonitoring } from "./monitoring.js";
import { REQUEST_ID_WIRING, type YamaPlugin } from "./types.js";

const rate = z.number().min(0).max(1);

const options = z.strictObject({
  enabled: z.boolean().default(true),
  provider: z.literal("sentry").default("sentry"),
  /** Write `${SENTRY_DSN}`; the DSN is read at start-up. */
  dsn: z.string().min(1).default("${SENTRY_DSN}"),
  /** `production`, `staging`, …; NODE_ENV by default. */
  environment: z.string().min(1).optional(),
  /** e.g. `${APP_VERSION}`; the config's version by default. */
  release: z.string().min(1).optional(),
  /** Share of errors sent (0–1); monitoring.sampling.errors, else 1. */
  sampleRate: rate.optional(),
  /** Sentry performance tracing; off unless set (the tracing plugin covers spans). */
  tracesSampleRate: rate.optional(),
});

export type ErrorTrackingOptions = z.output<typeof options> & { monitoringRate?: number };

export const ERROR_TRACKING_PLUGIN = "@betagors/yama-error-tracking";

export const errorTrackingPlugin: YamaPlugin<ErrorTrackingOptions> = {
  name: ERROR_TRACKING_PLUGIN,
  aliases: ["error-tracking", "yama-error-tracking", "sentry"],
  options,
  analyze(opts, ctx) {
    if (!hasEnvReference(opts.dsn)) {
      ctx.diagnostics.error("secret-in-config", "the Sentry DSN is written in the config", ctx.parsed.locate([...ctx.path, "dsn"]), "write `dsn: ${SENTRY_DSN}` and put the DSN in the environment");
    }
    opts.monitoringRate = readMonitoring(ctx)?.sampling?.errors;
  },
  emit(opts, ir) {
    if (!opts.enabled) return {};
    const imports = new Imports().namespace("@sentry/node", "Sentry");
    const text = (value: string | undefined, fallback: string) => (value === undefined ? fallback : envExpression(parseConfigString(value)));
    const settings = [
      `dsn: ${text(opts.dsn, "undefined")} || undefined`,
      `environment: ${text(opts.environment, 'process.env.NODE_ENV ?? "production"')}`,
      `release: ${text(opts.release, ts(`${ir.name}@${ir.version}`))}`,
      `sampleRate: ${opts.sampleRate ?? opts.monitoringRate ?? 1}`,
      ...(opts.tracesSampleRate !== undefined ? [`tracesSampleRate: ${opts.tracesSampleRate}`] : []),
    ];
    const body = `/** Errors that become a 500 are sent to Sentry; without a DSN the SDK stays off. */
Sentry.init({
${settings.map((s) => `  ${s},`).join("\n")}
});

/** Called by the app's error handler with every error that becomes a 500. */
export { captureError } from "../lib/error-tracking.js";

/** Sends the events still queued; src/server.ts awaits it on shutdown. */
export const flushErrors = () => Sentry.close(2000);`;
    return {
      files: [{ path: "src/plugins/error-tracking.ts", content: header(`plugin ${ERROR_TRACKING_PLUGIN}`, ir.configFile) + file(imports.toString(), body) }],
      // src/app.ts imports the reporter from here, so Sentry.init runs on every target.
      errorReporters: [{ order: 30, from: "./plugins/error-tracking.js", name: "captureError" }],
      wiring: [REQUEST_ID_WIRING],
      context: ir.endpoints.length > 0
        ? [{ name: "errorTracking", doc: "Reports errors a handler caught: `ctx.errorTracking.captureException(err)`.", imports: { "./lib/error-tracking.js": ["errorTracking"] }, typeImports: { "./lib/error-tracking.js": ["ErrorTracking"] }, type: "ErrorTracking", value: "errorTracking(c)", requestScoped: true }]
        : [],
      shutdown: [{ imports: { "./plugins/error-tracking.js": ["flushErrors"] }, call: "flushErrors()" }],
      dependencies: { "@sentry/node": "^11.12.0" },
    };
  },
};
