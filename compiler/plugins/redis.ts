/**
 * `@betagors/yama-redis`: a Redis connection and `ctx.cache` in handlers, values as JSON:
 *
 *   plugins:
 *     "@betagors/yama-redis": { url: ${REDIS_URL} }        # or host, port, password, db, tls
 *
 *   await ctx.cache.set(`quote:${id}`, quote, 60);          // seconds to live
 *   const quote = await ctx.cache.get<Quote>(`quote:${id}`);
 *
 * Compiled to src/plugins/redis.ts (the client and the cache, keys under `<app name>:` unless
 * `keyPrefix` says otherwise); the health plugin checks the connection, and the server closes it
 * on shutdown.
 */
import { z } from "zod";
import { file, header, Imports, ts } from "../4-emit/writer.js";
import { parseConfigString } from "../2-analyze/config-string.js";
import { connectionMembers, connectionOf, redisConnectionFields, type RedisConnectionOptions } from "./redis-connection.js";
import type { YamaPlugin } from "./types.js";

const options = redisConnectionFields.extend({
  /** Prefix of every key `ctx.cache` writes; default `<app name>:`. */
  keyPrefix: z.string().optional(),
  prefix: z.string().optional(),
  /** How long one command may take before it fails with a 503. */
  commandTimeoutMs: z.number().int().positive().default(2000),
});

export type RedisOptions = z.output<typeof options>;

export const REDIS_PLUGIN = "@betagors/yama-redis";

/** The connection the options give (at top level, as the original plugin takes them); `${REDIS_URL}` when none. */
function connectionOfOptions(opts: RedisOptions): RedisConnectionOptions {
  const { keyPrefix: _keyPrefix, prefix: _prefix, commandTimeoutMs: _timeout, ...settings } = opts;
  return Object.values(settings).some((v) => v !== undefined) ? settings : connectionOf(undefined, undefined);
}

export const redisPlugin: YamaPlugin<RedisOptions> = {
  name: REDIS_PLUGIN,
  aliases: ["redis", "yama-redis", "@betagors/yama-cache-redis"],
  options,
  analyze(opts, ctx) {
    const c = connectionOfOptions(opts);
    const at = (key: string) => ctx.parsed.locate([...ctx.path, key]);
    if (c.password !== undefined && c.password !== "" && parseConfigString(c.password).kind === "literal") {
      ctx.diagnostics.error("secret-in-config", "the Redis password is written into the config", at("password"), "read it from the environment: `password: ${REDIS_PASSWORD}`");
    }
    if (opts.url !== undefined && parseConfigString(opts.url).kind === "literal" && /:\/\/[^@/]*:[^@/]+@/.test(opts.url)) {
      ctx.diagnostics.error("secret-in-config", "the Redis URL contains a password", at("url"), "write `url: ${REDIS_URL}` and put the URL in the environment");
    }
  },
  emit(opts, ir) {
    const { keyPrefix, prefix, commandTimeoutMs } = opts;
    const c = connectionOfOptions(opts);
    const behaviour = `{ maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: ${commandTimeoutMs} }`;
    const members = connectionMembers(c, "  ").map((m) => m.replace(/^ {2}tls: true,$/, "  tls: {},")).filter((m) => !/^ {2}tls: false,$/.test(m));
    const onlyUrl = Object.keys(c).filter((k) => c[k as keyof typeof c] !== undefined).join() === "url";
    const client = onlyUrl
      ? `new Redis(${members[0]!.replace(/^ {2}url: /, "").replace(/,$/, "")}, ${behaviour})`
      : `new Redis({\n${members.join("\n")}\n  ...${behaviour},\n})`;
    const imports = new Imports().default("ioredis", "Redis").add("../lib/kv-cache.js", "redisKeyValueCache");
    const use = ir.plugins.find((p) => p.name === REDIS_PLUGIN);
    const body = `/** The app's Redis. While it cannot be reached, commands fail at once (ctx.cache answers 503) instead of queueing. */
export const redis = ${client};
// Connection errors repeat on every reconnect; calls report them, so the event is not logged.
redis.on("error", () => {});

/** \`ctx.cache\`: JSON values in Redis, keys under ${ts(keyPrefix ?? prefix ?? `${ir.name}:`)}. */
export const cache = redisKeyValueCache(redis, ${ts(keyPrefix ?? prefix ?? `${ir.name}:`)});`;
    return {
      files: [{ path: "src/plugins/redis.ts", content: header("Redis and ctx.cache", use?.loc ?? ir.configFile) + file(imports.toString(), body) }],
      context: ir.endpoints.length > 0 ? [{ name: "cache", imports: { "./plugins/redis.js": ["cache"] }, typeImports: { "./lib/kv-cache.js": ["Cache"] }, doc: "JSON values in Redis (src/plugins/redis.ts): get, set(key, value, ttlSeconds), del, exists, getOrSet, namespace.", type: "Cache", value: "cache" }] : [],
      shutdown: [{ imports: { "./plugins/redis.js": ["redis"] }, call: "redis.quit().catch(() => undefined)" }],
      dependencies: { ioredis: "^6.0.0" },
    };
  },
};
