/**
 * Where Redis is, as the plugins that hold a Redis connection take it (the queues,
 * `@betagors/yama-redis`): a URL string, or `{url}` / `{host, port, username, password, db, tls}`,
 * any value of which may be `${VAR}`; `${REDIS_URL}` when the config gives none.
 */
import { z } from "zod";
import { parseConfigString } from "../2-analyze/config-string.js";
import type { DiagnosticBag, SourceLocation } from "../diagnostics.js";
import { envNumber, envText, requiredVariables } from "../4-emit/env.js";

/** A setting that may come from the environment (`port: ${REDIS_PORT}`). */
const numberOrEnv = z.union([z.number().int().nonnegative(), z.string().min(1)]);

/** The settings of one connection (also the options of plugins that take them at top level). */
export const redisConnectionFields = z.strictObject({
  url: z.string().min(1).optional(),
  host: z.string().min(1).optional(),
  port: numberOrEnv.optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  db: numberOrEnv.optional(),
  tls: z.boolean().optional(),
});

/** `connection:` of a plugin's options. */
export const redisConnection = z.union([z.string().min(1), redisConnectionFields]);

export type RedisConnectionOptions = z.output<typeof redisConnectionFields>;

/** The connection settings from `connection:` or `url:`, `${REDIS_URL}` when neither is given. */
export function connectionOf(connection: z.output<typeof redisConnection> | undefined, url: string | undefined): RedisConnectionOptions {
  const c = connection ?? url ?? "${REDIS_URL}";
  return typeof c === "string" ? { url: c } : c;
}

/** A password or a URL with one written into the config is an error: secrets come from the environment. */
export function checkRedisSecrets(connection: z.output<typeof redisConnection> | undefined, url: string | undefined, at: (...path: string[]) => SourceLocation, diagnostics: DiagnosticBag): void {
  const c = connectionOf(connection, url);
  const where = connection === undefined ? (url !== undefined ? ["url"] : []) : typeof connection === "string" ? ["connection"] : ["connection", "password"];
  if (c.password !== undefined && c.password !== "" && parseConfigString(c.password).kind === "literal") {
    diagnostics.error("secret-in-config", "the Redis password is written into the config", at(...where), "read it from the environment: `password: ${REDIS_PASSWORD}`");
  }
  if (c.url !== undefined && parseConfigString(c.url).kind === "literal" && /:\/\/[^@/]*:[^@/]+@/.test(c.url)) {
    diagnostics.error("secret-in-config", "the Redis URL contains a password", at(...(typeof connection === "object" ? ["connection", "url"] : where)), "write `url: ${REDIS_URL}` and put the URL in the environment");
  }
}

/** The settings as the members of an emitted object literal (`    host: process.env.REDIS_HOST ?? "",`), with `${VAR}` read at runtime. */
export function connectionMembers(c: RedisConnectionOptions, indent: string): string[] {
  return Object.entries(c)
    .filter(([, v]) => v !== undefined)
    .map(([name, v]) => `${indent}${name}: ${typeof v === "boolean" ? String(v) : name === "port" || name === "db" ? (typeof v === "number" ? String(v) : envNumber(parseConfigString(v as string), name === "port" ? 6379 : 0)) : envText(parseConfigString(v as string))},`);
}

/** The environment variables the connection needs (named in errors when none is set). */
export function connectionVariables(c: RedisConnectionOptions): string[] {
  return [...new Set(Object.values(c).flatMap((v) => (typeof v === "string" ? requiredVariables(parseConfigString(v)) : [])))];
}
