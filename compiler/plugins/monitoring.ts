/**
 * The `monitoring:` section of the YAMA format, read by the observability plugins when they are
 * enabled (it enables nothing by itself):
 *
 *   monitoring:
 *     sampling: {rate: 0.1, errors: 1.0}   # tracing's sampling ratio, error tracking's sample rate
 *     custom:                               # metrics handlers record as ctx.metrics.<name>
 *       - {name: user_signups, type: counter, description: "Number of user signups", labels: [plan]}
 *
 * It is validated once, by whichever plugin reads it first.
 */
import { z } from "zod";
import type { ParsedConfig } from "../1-parse/parse.js";
import { reportIssues } from "./index.js";
import type { PluginAnalyzeContext } from "./types.js";

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** One metric declared in config, for `monitoring.custom` and the metrics plugin's `custom`. */
export const customMetric = z.strictObject({
  name: z.string().regex(NAME, "must be a Prometheus metric name: letters, digits and underscores, e.g. user_signups"),
  type: z.enum(["counter", "histogram", "gauge", "updowncounter"]),
  description: z.string().optional(),
  /** The Prometheus spelling of `description`. */
  help: z.string().optional(),
  labels: z.array(z.string().regex(NAME, "must be a label name: letters, digits and underscores").refine((l) => !l.startsWith("__"), "names starting with __ are reserved by Prometheus")).default([]),
  /** UCUM unit, e.g. `s`, `ms`, `By`, `{request}`. */
  unit: z.string().optional(),
  /** Histogram bucket boundaries, increasing. */
  buckets: z.array(z.number()).min(1).optional(),
});

export type CustomMetric = z.output<typeof customMetric>;

export const monitoringSchema = z.strictObject({
  /** Accepted for compatibility; the log level is the logging plugin's `level` (or LOG_LEVEL). */
  level: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).optional(),
  sampling: z
    .strictObject({
      /** Share of traces recorded, 0 to 1. */
      rate: z.number().min(0).max(1).optional(),
      /** Share of errors reported to the error tracker, 0 to 1. */
      errors: z.number().min(0).max(1).optional(),
    })
    .optional(),
  custom: z.array(customMetric).default([]),
});

export type Monitoring = z.output<typeof monitoringSchema>;

/** Plugins that read `monitoring:`; without one of them the section is ignored (with a warning). */
export const MONITORING_READERS = ["@betagors/yama-metrics", "@betagors/yama-tracing", "@betagors/yama-error-tracking"];

const seen = new WeakMap<ParsedConfig, Monitoring | null>();

/** The validated `monitoring:` section, or undefined when absent or invalid (reported once). */
export function readMonitoring(ctx: PluginAnalyzeContext): Monitoring | undefined {
  const known = seen.get(ctx.parsed);
  if (known !== undefined) return known ?? undefined;
  const raw = ctx.config.monitoring;
  if (raw === undefined || raw === null) {
    seen.set(ctx.parsed, null);
    return undefined;
  }
  const result = monitoringSchema.safeParse(raw);
  if (!result.success) reportIssues(result.error.issues, ["monitoring"], ctx.parsed, ctx.diagnostics, "monitoring", monitoringSchema);
  seen.set(ctx.parsed, result.success ? result.data : null);
  return result.success ? result.data : undefined;
}
