/**
 * Response caching of operations, from the `cache:` section real configs use:
 *
 *   cache:
 *     provider: memory | redis          # default memory; redis needs `redisUrl: ${REDIS_URL}`
 *     default: { ttl: 5m }
 *     operations:
 *       getPost: { ttl: 5m, key: "post:{id}", invalidateOn: [updatePost, deletePost] }
 *
 * Compiled to src/plugins/cache.ts (the store) and, in each endpoint module, a middleware after the
 * route's access check: cached GET routes answer from the store, routes in `invalidateOn` drop
 * entries when they succeed. Routes that need a caller keep their entries per caller. Which route is cached, for how long and what invalidates it is
 * decided here; the app reads no config.
 */
import { z } from "zod";
import { parseConfigString } from "../2-analyze/config-string.js";
import { closest, type DiagnosticBag } from "../diagnostics.js";
import type { ParsedConfig } from "../1-parse/parse.js";
import { envText } from "../4-emit/env.js";
import { file, header, Imports, ts } from "../4-emit/writer.js";
import type { EndpointIR, ProjectIR } from "../ir.js";
import { endpointAccess } from "./auth/rules.js";
import { durationMs } from "./rate-limit.js";
import type { PluginUseIR, YamaPlugin } from "./types.js";

/** A time to live: seconds as a number (`ttl: 300`), or a duration (`5m`, `30s`, `1h`). */
const ttl = z.union([z.number().int().positive(), z.string().regex(/^(\d+)\s*(ms|s|m|h|d)$/, "must be seconds or a duration such as 30s, 5m or 1h")]);

const options = z.strictObject({
  cache: z.strictObject({
    provider: z.enum(["memory", "redis"]).default("memory"),
    /** Redis connection string, e.g. `${REDIS_URL}` (provider: redis). */
    redisUrl: z.string().optional(),
    url: z.string().optional(),
    /** Entries kept in memory per process (provider: memory). */
    maxEntries: z.number().int().positive().default(5000),
    default: z.strictObject({ ttl: ttl.optional(), enabled: z.boolean().optional() }).optional(),
    operations: z
      .record(
        z.string(),
        z.strictObject({
          ttl: ttl.optional(),
          key: z.string().regex(/^[^{}]*(\{\w+\}[^{}]*)*$/, "must be text with {name} placeholders, e.g. post:{id}").optional(),
          invalidateOn: z.array(z.string()).default([]),
          enabled: z.boolean().default(true),
        }),
      )
      .default({}),
  }),
});

export type CacheOptions = z.output<typeof options>;

const ttlMs = (value: number | string): number => (typeof value === "number" ? value * 1000 : durationMs(value));

/** The cached operations, with their time to live in ms. */
function cachedOperations(opts: CacheOptions): { name: string; ttlMs: number; key?: string; invalidateOn: string[] }[] {
  const c = opts.cache;
  if (c.default?.enabled === false) return [];
  return Object.entries(c.operations).flatMap(([name, op]) => {
    const t = op.ttl ?? c.default?.ttl;
    return op.enabled && t !== undefined ? [{ name, ttlMs: ttlMs(t), ...(op.key !== undefined ? { key: op.key } : {}), invalidateOn: op.invalidateOn }] : [];
  });
}

/**
 * Checks what the cache names against the analysed endpoints: cached operations must be exposed
 * GET routes, `invalidateOn` must name operations, key placeholders must be the route's inputs.
 */
export function checkCacheOperations(use: PluginUseIR | undefined, endpoints: readonly EndpointIR[], parsed: ParsedConfig, diagnostics: DiagnosticBag): void {
  if (use?.name !== cachePlugin.name) return;
  const opts = use.options as CacheOptions;
  const byOperation = new Map<string, EndpointIR[]>();
  for (const ep of endpoints) if (ep.operation) byOperation.set(ep.operation.name, [...(byOperation.get(ep.operation.name) ?? []), ep]);
  const known = [...byOperation.keys()];
  const unknown = (name: string, path: (string | number)[]) => {
    const s = closest(name, known);
    diagnostics.error("unknown-operation", `cache names operation "${name}", which no API exposes`, parsed.locate(path), s ? `did you mean "${s}"?` : "name an operation listed under `operations:` and exposed by `apis:`");
  };
  for (const [name, op] of Object.entries(opts.cache.operations)) {
    const eps = byOperation.get(name);
    if (!eps) unknown(name, ["cache", "operations", name]);
    else if (eps.some((ep) => ep.method !== "GET")) {
      diagnostics.error("bad-plugin-option", `cache.operations.${name}: ${name} is served by ${eps.find((ep) => ep.method !== "GET")!.method}; only GET answers are cached`, parsed.locate(["cache", "operations", name], "key"), `list ${name} under invalidateOn of the cached operations it changes instead`);
    } else if (op.key !== undefined) {
      for (const [, placeholder] of op.key.matchAll(/\{(\w+)\}/g)) {
        const inputs = [...eps[0]!.params.map((p) => p.name), ...eps[0]!.query.map((q) => q.name)];
        if (!inputs.includes(placeholder!)) diagnostics.error("bad-plugin-option", `cache.operations.${name}.key uses {${placeholder}}, which is not a path or query parameter of ${name}`, parsed.locate(["cache", "operations", name, "key"]), inputs.length ? `use one of ${inputs.map((i) => `{${i}}`).join(", ")}` : `${name} takes no parameters: leave the key out`);
      }
    }
    if (op.ttl === undefined && opts.cache.default?.ttl === undefined) {
      diagnostics.error("bad-plugin-option", `cache.operations.${name} has no ttl, and cache.default has none either`, parsed.locate(["cache", "operations", name], "key"), "add `ttl: 5m` to it or to `cache.default`");
    }
    op.invalidateOn.forEach((other, i) => {
      if (!byOperation.has(other)) unknown(other, ["cache", "operations", name, "invalidateOn", i]);
    });
  }
}

/**
 * The cache middleware of one endpoint, placed after its access check (`cacheResponses(…), ` for a
 * cached GET, `invalidateCaches(…), ` for a route whose success drops entries); empty otherwise.
 */
export function endpointCache(ir: ProjectIR, ep: EndpointIR, imports: Imports): string {
  const use = ir.plugins.find((p) => p.name === cachePlugin.name);
  if (!use || !ep.operation) return "";
  const name = ep.operation.name;
  const ops = cachedOperations(use.options as CacheOptions);
  const own = ep.method === "GET" ? ops.find((op) => op.name === name) : undefined;
  const drops = ops.filter((op) => op.invalidateOn.includes(name)).map((op) => op.name);
  let out = "";
  if (own) {
    // Routes that need a caller keep their entries per caller.
    const perCaller = endpointAccess(ir, ep).rule !== undefined || (ep.auth?.where?.length ?? 0) > 0;
    imports.add("../plugins/cache.js", "responseCache").add("../lib/response-cache.js", "cacheResponses");
    out += `cacheResponses(responseCache, { name: ${ts(name)}, route: ${ts(ep.path)}, ttlMs: ${own.ttlMs}${own.key !== undefined ? `, key: ${ts(own.key)}` : ""}, perCaller: ${perCaller} }), `;
  }
  if (drops.length) {
    imports.add("../plugins/cache.js", "responseCache").add("../lib/response-cache.js", "invalidateCaches");
    out += `invalidateCaches(responseCache, [${drops.map(ts).join(", ")}]), `;
  }
  return out;
}

export const cachePlugin: YamaPlugin<CacheOptions> = {
  name: "@betagors/yama-cache",
  aliases: ["cache"],
  options,
  sections: ["cache"],
  analyze(opts, ctx) {
    const c = opts.cache;
    const url = c.redisUrl ?? c.url;
    if (c.provider === "redis" && url === undefined) {
      ctx.diagnostics.error("bad-plugin-option", "cache.provider is redis but no Redis URL is given", ctx.parsed.locate(["cache", "provider"]), "add `redisUrl: ${REDIS_URL}`");
    }
    if (url !== undefined && parseConfigString(url).kind === "literal" && /:\/\/[^@/]*:[^@/]+@/.test(url)) {
      ctx.diagnostics.error("secret-in-config", "the Redis URL contains a password", ctx.parsed.locate(["cache", c.redisUrl !== undefined ? "redisUrl" : "url"]), "write `redisUrl: ${REDIS_URL}` and put the URL in the environment");
    }
  },
  emit(opts, ir) {
    const c = opts.cache;
    const imports = new Imports();
    const dependencies: Record<string, string> = {};
    const url = c.redisUrl ?? c.url;
    let store: string;
    if (c.provider === "redis" && url !== undefined) {
      imports.default("ioredis", "Redis").add("../lib/response-cache.js", "redisCache");
      store = `/** Cached answers shared by every instance, in Redis. A Redis that cannot be reached is skipped: routes answer uncached. */
export const cacheRedis = new Redis(${envText(parseConfigString(url))}, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
cacheRedis.on("error", () => {});

/** The store of the routes \`cache:\` names (src/endpoints/*.ts put it in front of their handlers). */
export const responseCache = redisCache(cacheRedis);`;
      dependencies.ioredis = "^6.0.0";
    } else {
      imports.add("../lib/response-cache.js", "memoryCache");
      store = `/** Cached answers in this process (at most ${c.maxEntries}), for the routes \`cache:\` names (src/endpoints/*.ts put it in front of their handlers). */\nexport const responseCache = memoryCache(${c.maxEntries});`;
    }
    return {
      files: [{ path: "src/plugins/cache.ts", content: header("response cache", ir.configFile) + file(imports.toString(), store) }],
      dependencies,
    };
  },
};
