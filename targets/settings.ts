/** What the platform files of several targets need to know about the app: port, variables, health route. */
import type { ConfigString, ProjectIR } from "../compiler/ir.js";
import type { HealthOptions } from "../compiler/plugins/health.js";

/** The first environment variable a config string reads (`${DATABASE_URL}` gives DATABASE_URL). */
export function envName(value: ConfigString | number | undefined): string | undefined {
  if (value === undefined || typeof value === "number" || value.kind === "literal") return undefined;
  for (const part of value.parts) if ("env" in part) return part.env;
  return undefined;
}

/** The port the server listens on without any variable set, and the variable that changes it. */
export function serverPort(ir: ProjectIR): { port: number; env?: string } {
  const value = ir.server.port;
  if (typeof value === "number") return { port: value };
  if (value.kind === "literal") return { port: Number(value.value) || 3000 };
  const part = value.parts.find((p): p is { env: string; fallback?: string } => "env" in p);
  return { port: Number(part?.fallback) || 3000, env: part?.env };
}

/** The variable holding the PostgreSQL connection string (DATABASE_URL unless `database.url` names another). */
export const databaseEnv = (ir: ProjectIR): string => envName(ir.database.url) ?? "DATABASE_URL";

/** The variable the rate limiter's Redis store reads, when the app uses Redis. */
export function redisEnv(ir: ProjectIR): string | undefined {
  const use = ir.plugins.find((p) => p.name === "@betagors/yama-rate-limit");
  const options = (use?.options as { rateLimit?: { store?: string; redisUrl?: string; redis?: { url: string } } } | undefined)?.rateLimit;
  if (options?.store !== "redis") return undefined;
  const text = options.redisUrl ?? options.redis?.url ?? "";
  return /\$\{([A-Za-z_][A-Za-z0-9_]*)/.exec(text)?.[1] ?? "REDIS_URL";
}

/** The health plugin's liveness route, when the app has the plugin. */
export function livenessPath(ir: ProjectIR): string | undefined {
  const use = ir.plugins.find((p) => p.name === "@betagors/yama-health");
  return use ? (use.options as HealthOptions).liveness : undefined;
}

/** An app name as an npm package name (package.json `name`), also used for images, services and units. */
export const slug = (name: string): string => name.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "") || "yama-app";

/** The npm package name of the app. */
export const packageName = (ir: ProjectIR): string => slug(ir.name);
