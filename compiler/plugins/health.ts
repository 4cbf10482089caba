/**
 * @betagors/yama-health: liveness, readiness (database ping with a timeout) and an aggregate
 * health route. Readiness answers 503 while the database is unreachable and 200 again as
 * soon as it answers, so orchestrators stop and resume traffic without a restart.
 */
import { z } from "zod";
import { file, header, Imports, ts } from "../4-emit/writer.js";
import type { YamaPlugin } from "./types.js";

const route = z.string().regex(/^\/[A-Za-z0-9/_-]*$/, "must be a path such as /health");

const options = z.strictObject({
  /** Aggregate report: status, uptime, checks. */
  path: route.default("/health"),
  /** Process is up (no dependencies checked). */
  liveness: route.default("/health/live"),
  /** Ready for traffic: dependencies answer within `timeoutMs`. */
  readiness: route.default("/health/ready"),
  timeoutMs: z.number().int().min(50).max(60_000).default(2000),
});

export type HealthOptions = z.output<typeof options>;

export const healthPlugin: YamaPlugin<HealthOptions> = {
  name: "@betagors/yama-health",
  aliases: ["health", "yama-health"],
  options,
  emit(opts, ir) {
    const imports = new Imports().add("hono", "Hono").add("../db/client.js", "database").add("../lib/health.js", "runCheck").type("../lib/http.js", "AppEnv");
    const body = `/** Health routes (${ir.configFile}, plugin @betagors/yama-health). */
export const healthRoutes = new Hono<AppEnv>();

const startedAt = Date.now();
const checks = { database: () => database.ping() };

async function readiness() {
  const database = await runCheck(checks.database, ${opts.timeoutMs});
  return { ok: database.status === "ok", checks: { database } };
}

/** ${opts.liveness}: the process is up. */
healthRoutes.get(${ts(opts.liveness)}, (c) => c.json({ status: "ok" }));

/** ${opts.readiness}: 200 when every dependency answers within ${opts.timeoutMs} ms, else 503. */
healthRoutes.get(${ts(opts.readiness)}, async (c) => {
  const report = await readiness();
  return c.json({ status: report.ok ? "ok" : "unavailable", checks: report.checks }, report.ok ? 200 : 503);
});

/** ${opts.path}: readiness plus uptime. */
healthRoutes.get(${ts(opts.path)}, async (c) => {
  const report = await readiness();
  return c.json({ status: report.ok ? "ok" : "unavailable", uptimeSeconds: Math.round((Date.now() - startedAt) / 1000), checks: report.checks }, report.ok ? 200 : 503);
});`;
    return {
      files: [{ path: "src/plugins/health.ts", content: header("plugin @betagors/yama-health", ir.configFile) + file(imports.toString(), body) }],
      wiring: [{ order: 50, imports: { "./plugins/health.js": ["healthRoutes"] }, statement: "app.route(\"/\", healthRoutes);" }],
    };
  },
};
