/**
 * @betagors/yama-health: liveness, readiness and an aggregate health route. Readiness checks the
 * database, Redis when the app uses it, and custom checks written as handler files, each with a
 * deadline; it answers 503 while a critical check fails and 200 again as soon as it passes, so
 * orchestrators stop and resume traffic without a restart.
 */
import { z } from "zod";
import { resolveHandlerFile } from "../2-analyze/endpoints.js";
import { file, header, Imports, moduleSpecifier, ts } from "../4-emit/writer.js";
import type { ProjectIR } from "../ir.js";
import { REDIS_PLUGIN } from "./redis.js";
import type { YamaPlugin } from "./types.js";

const route = z.string().regex(/^\/[A-Za-z0-9/_-]*$/, "must be a path such as /health");
const timeout = z.number().int().min(50).max(60_000);

const check = z.strictObject({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, "must be a name such as stripe or search-index"),
  /** A file exporting a function named after the file (or a default one): throw or return false when unhealthy. */
  handler: z.string().min(1),
  /** A failing critical check makes readiness answer 503 (default); others mark it degraded. */
  critical: z.boolean().default(true),
  /** Deadline in ms (default: the plugin's timeoutMs). */
  timeout: timeout.optional(),
  timeoutMs: timeout.optional(),
});

const options = z.strictObject({
  /** Aggregate report: status, uptime, checks. */
  path: route.default("/health"),
  /** The roadmap's spelling of `path`. */
  endpoint: route.optional(),
  /** Process is up (no dependencies checked). */
  liveness: route.default("/health/live"),
  /** Ready for traffic: dependencies answer within `timeoutMs`. */
  readiness: route.default("/health/ready"),
  timeoutMs: timeout.default(2000),
  /** Checks written as handler files. */
  checks: z.array(check).default([]),
  /** The roadmap's spelling of `checks`. */
  customChecks: z.array(check).default([]),
  /** Check Redis (default: when the app uses Redis). */
  redis: z.boolean().optional(),
});

interface ResolvedCheck {
  name: string;
  file: string;
  exportName: string;
  critical: boolean;
  timeoutMs: number;
}

export type HealthOptions = z.output<typeof options> & { resolved?: ResolvedCheck[] };

export const HEALTH_PLUGIN = "@betagors/yama-health";

/** The app's Redis connection to check, if it holds one: the rate limiter's Redis store (critical when it fails closed), else `@betagors/yama-redis`'s. */
function appRedis(ir: ProjectIR): { from: string; critical: boolean } | undefined {
  const use = ir.plugins.find((p) => p.name === "@betagors/yama-rate-limit");
  const limit = (use?.options as { rateLimit?: { store?: string; enabled?: boolean; onFailure?: string } } | undefined)?.rateLimit;
  if (limit && limit.enabled !== false && limit.store === "redis") return { from: "./rate-limit.js", critical: limit.onFailure === "closed" };
  return ir.plugins.some((p) => p.name === REDIS_PLUGIN) ? { from: "./redis.js", critical: false } : undefined;
}

export const healthPlugin: YamaPlugin<HealthOptions> = {
  name: HEALTH_PLUGIN,
  aliases: ["health", "yama-health"],
  options,
  analyze(opts, ctx) {
    const resolved: ResolvedCheck[] = [];
    const seen = new Set(["database", "redis"]);
    const all = [...opts.checks.map((c, i) => ({ c, at: [...ctx.path, "checks", i] })), ...opts.customChecks.map((c, i) => ({ c, at: [...ctx.path, "customChecks", i] }))];
    for (const { c, at } of all) {
      const loc = ctx.parsed.locate([...at, "name"]);
      if (seen.has(c.name)) {
        ctx.diagnostics.error("duplicate-check", c.name === "database" || c.name === "redis" ? `"${c.name}" is a built-in health check` : `health check "${c.name}" is declared twice`, loc, "give the check another name");
        continue;
      }
      seen.add(c.name);
      if (c.timeout !== undefined && c.timeoutMs !== undefined) ctx.diagnostics.error("bad-plugin-option", `health check ${c.name}: give the deadline once (timeout or timeoutMs)`, ctx.parsed.locate([...at, "timeoutMs"], "key"));
      const handler = resolveHandlerFile(c.handler, ctx.parsed.locate([...at, "handler"]), ctx.host, ctx.diagnostics);
      if (handler?.kind === "file") resolved.push({ name: c.name, file: handler.file, exportName: handler.exportName, critical: c.critical, timeoutMs: c.timeout ?? c.timeoutMs ?? opts.timeoutMs });
    }
    opts.resolved = resolved;
  },
  emit(opts, ir) {
    const imports = new Imports().add("hono", "Hono").add("../db/client.js", "database").add("../lib/health.js", "runChecks").type("../lib/health.js", "HealthCheck").type("../lib/http.js", "AppEnv");
    const redis = opts.redis === false ? undefined : appRedis(ir);
    const entries = [`  { name: "database", critical: true, timeoutMs: ${opts.timeoutMs}, run: () => database.ping() },`];
    if (redis) {
      imports.add(redis.from, "redis");
      entries.push(`  { name: "redis", critical: ${redis.critical}, timeoutMs: ${opts.timeoutMs}, run: () => redis.ping() },`);
    }
    for (const c of opts.resolved ?? []) {
      const local = `${c.name.replace(/[-_](\w)/g, (_, ch: string) => ch.toUpperCase())}Check`;
      const from = moduleSpecifier("src/plugins", c.file);
      if (c.exportName === "default") imports.default(from, local);
      else imports.add(from, `${c.exportName} as ${local}`);
      entries.push(`  { name: ${ts(c.name)}, critical: ${c.critical}, timeoutMs: ${c.timeoutMs}, run: ${local} },`);
    }
    const path = opts.endpoint ?? opts.path;
    const body = `/** Health routes (${ir.configFile}, plugin ${HEALTH_PLUGIN}). */
export const healthRoutes = new Hono<AppEnv>();

const startedAt = Date.now();

/** What readiness checks, each with its deadline; a failing critical check answers 503. */
const checks: HealthCheck[] = [
${entries.join("\n")}
];

/** ${opts.liveness}: the process is up. */
healthRoutes.get(${ts(opts.liveness)}, (c) => c.json({ status: "ok" }));

/** ${opts.readiness}: 200 while every critical check passes, else 503. */
healthRoutes.get(${ts(opts.readiness)}, async (c) => {
  const report = await runChecks(checks);
  return c.json(report, report.status === "unavailable" ? 503 : 200);
});

/** ${path}: readiness plus uptime. */
healthRoutes.get(${ts(path)}, async (c) => {
  const report = await runChecks(checks);
  return c.json({ status: report.status, uptimeSeconds: Math.round((Date.now() - startedAt) / 1000), checks: report.checks }, report.status === "unavailable" ? 503 : 200);
});`;
    return {
      files: [{ path: "src/plugins/health.ts", content: header(`plugin ${HEALTH_PLUGIN}`, ir.configFile) + file(imports.toString(), body) }],
      wiring: [{ order: 50, imports: { "./plugins/health.js": ["healthRoutes"] }, statement: "app.route(\"/\", healthRoutes);" }],
    };
  },
};
