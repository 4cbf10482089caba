/**
 * Rate limiting, from the three places configs put it:
 *
 *   rateLimit: {maxRequests: 100, windowMs: 60000, keyBy: ip, store: memory|redis, onFailure: open}
 *   rateLimits: {default: {window: 15m, max: 100}, operations: {createPost: {window: 1h, max: 10}}}
 *   endpoints: [{path, method, rateLimit: {maxRequests: 10, windowMs: 60000}}]
 *
 * Compiled to one limiter for the whole app plus one per limited route, in front of the
 * routes; counters live in memory or in Redis (ioredis, only when configured).
 */
import { z } from "zod";
import { parseConfigString } from "../2-analyze/config-string.js";
import { envText } from "../4-emit/env.js";
import { file, header, Imports, key, ts } from "../4-emit/writer.js";
import type { EndpointIR, ProjectIR } from "../ir.js";
import type { YamaPlugin } from "./types.js";

const DURATION = /^(\d+)\s*(ms|s|m|h|d)?$/;
const duration = z.union([z.number().int().positive(), z.string().regex(DURATION, "must be a duration such as 30s, 15m or 1h")]);
const keyBy = z.enum(["ip", "user", "both"]);

/** One limit in either spelling: {maxRequests, windowMs} (runtime style) or {max, window} (rateLimits style). */
export const limitSpec = z
  .strictObject({
    maxRequests: z.number().int().positive().optional(),
    max: z.number().int().positive().optional(),
    windowMs: z.number().int().positive().optional(),
    window: duration.optional(),
    keyBy: keyBy.optional(),
  })
  .refine((l) => (l.maxRequests ?? l.max) !== undefined, { message: "give the number of requests allowed: `max` (or `maxRequests`)" })
  .refine((l) => (l.windowMs ?? l.window) !== undefined, { message: "give the window: `window: 1m` (or `windowMs`)" });

export type LimitSpec = z.output<typeof limitSpec>;

const options = z.strictObject({
  rateLimit: z
    .strictObject({
      maxRequests: z.number().int().positive().optional(),
      max: z.number().int().positive().optional(),
      windowMs: z.number().int().positive().optional(),
      window: duration.optional(),
      keyBy: keyBy.default("ip"),
      store: z.enum(["memory", "redis"]).default("memory"),
      /** Redis connection string, e.g. `${REDIS_URL}`. */
      redisUrl: z.string().optional(),
      redis: z.strictObject({ url: z.string() }).optional(),
      onFailure: z.enum(["open", "closed"]).default("open"),
      trustProxy: z.boolean().default(false),
      enabled: z.boolean().default(true),
    })
    .optional(),
  rateLimits: z
    .strictObject({
      default: limitSpec.optional(),
      operations: z.record(z.string(), limitSpec).optional(),
    })
    .optional(),
});

export type RateLimitOptions = z.output<typeof options>;

export function durationMs(value: number | string): number {
  if (typeof value === "number") return value;
  const m = DURATION.exec(value.trim())!;
  const n = Number(m[1]);
  return n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? "ms") as "ms"] ?? 1);
}

export function normalizeLimit(l: LimitSpec): { max: number; windowMs: number; keyBy?: "ip" | "user" | "both" } {
  return { max: (l.maxRequests ?? l.max)!, windowMs: l.windowMs ?? durationMs(l.window!), keyBy: l.keyBy };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

type Limit = { max: number; windowMs: number; keyBy?: "ip" | "user" | "both" };

/** The app-wide limit (in front of every route) and the endpoints with a limit of their own. */
function limitsOf(opts: RateLimitOptions, ir: ProjectIR): { global?: Limit; perRoute: { ep: EndpointIR; limit: Limit }[] } {
  const r = opts.rateLimit && opts.rateLimit.enabled ? opts.rateLimit : undefined;
  const global = r ? { max: (r.maxRequests ?? r.max)!, windowMs: r.windowMs ?? durationMs(r.window!) } : opts.rateLimits?.default ? normalizeLimit(opts.rateLimits.default) : undefined;
  const perRoute: { ep: EndpointIR; limit: Limit }[] = [];
  for (const ep of ir.endpoints) {
    const limit = limitOf(opts, ep);
    if (limit) perRoute.push({ ep, limit });
  }
  return { ...(global ? { global } : {}), perRoute };
}

/** An endpoint's own limit: its `rateLimit:`, else its operation's under `rateLimits.operations`. */
function limitOf(opts: RateLimitOptions, ep: EndpointIR): Limit | undefined {
  const op = ep.operation ? opts.rateLimits?.operations?.[ep.operation.name] : undefined;
  return ep.rateLimit ?? (op ? normalizeLimit(op) : undefined);
}

/** Which routes can answer 429: every route under an app-wide limit, and the endpoints with their own. */
export function limitedRoutes(ir: ProjectIR): { global: boolean; endpoints: ReadonlySet<EndpointIR> } {
  const use = ir.plugins.find((p) => p.name === rateLimitPlugin.name);
  if (!use) return { global: false, endpoints: new Set() };
  const { global, perRoute } = limitsOf(use.options as RateLimitOptions, ir);
  return { global: global !== undefined, endpoints: new Set(perRoute.map((r) => r.ep)) };
}

/** `endpointLimits.<name>, ` in front of an endpoint that has a limit of its own; empty otherwise. */
export function endpointLimit(ir: ProjectIR, ep: EndpointIR, imports: Imports): string {
  const use = ir.plugins.find((p) => p.name === rateLimitPlugin.name);
  // From the endpoint alone (not the list of endpoints): an endpoint module stays a function of its own scope (4-emit/cache.ts).
  if (!use || !limitOf(use.options as RateLimitOptions, ep)) return "";
  imports.add("../plugins/rate-limit.js", "endpointLimits");
  return `endpointLimits${/^[A-Za-z_$][\w$]*$/.test(ep.name) ? `.${ep.name}` : `[${ts(ep.name)}]`}, `;
}

export const rateLimitPlugin: YamaPlugin<RateLimitOptions> = {
  name: "@betagors/yama-rate-limit",
  aliases: ["rate-limit"],
  options,
  sections: ["rateLimit", "rateLimits"],
  analyze(opts, ctx) {
    const r = opts.rateLimit;
    if (r && r.enabled && (r.maxRequests ?? r.max) === undefined) {
      ctx.diagnostics.error("bad-plugin-option", "rateLimit needs the number of requests allowed: `maxRequests` (or `max`)", ctx.parsed.locate(["rateLimit"], "key"));
    }
    if (r && r.enabled && (r.windowMs ?? r.window) === undefined) {
      ctx.diagnostics.error("bad-plugin-option", "rateLimit needs a window: `windowMs` (or `window: 1m`)", ctx.parsed.locate(["rateLimit"], "key"));
    }
    if (r?.store === "redis" && !(r.redisUrl ?? r.redis?.url)) {
      ctx.diagnostics.error("bad-plugin-option", "rateLimit.store is redis but no Redis URL is given", ctx.parsed.locate(["rateLimit", "store"]), "add `redisUrl: ${REDIS_URL}`");
    }
    const url = r?.redisUrl ?? r?.redis?.url;
    if (url !== undefined && parseConfigString(url).kind === "literal" && /:\/\/[^@/]*:[^@/]+@/.test(url)) {
      ctx.diagnostics.error("secret-in-config", "the Redis URL contains a password", ctx.parsed.locate(["rateLimit", r?.redisUrl !== undefined ? "redisUrl" : "redis"]), "write `redisUrl: ${REDIS_URL}` and put the URL in the environment");
    }
    if (r && opts.rateLimits?.default) {
      ctx.diagnostics.warn("rate-limit-twice", "rateLimit and rateLimits.default both set the app-wide limit; rateLimit is the one applied", ctx.parsed.locate(["rateLimits", "default"], "key"), "keep one of them");
    }
    const ops = opts.rateLimits?.operations ?? {};
    const known = new Set(isRecord(ctx.config.operations) ? Object.keys(ctx.config.operations) : []);
    for (const name of Object.keys(ops)) {
      if (!known.has(name)) ctx.diagnostics.error("unknown-operation", `rateLimits.operations names unknown operation "${name}"`, ctx.parsed.locate(["rateLimits", "operations", name], "key"));
    }
  },
  emit(opts, ir) {
    const r = opts.rateLimit && opts.rateLimit.enabled ? opts.rateLimit : undefined;
    const base = {
      keyBy: r?.keyBy ?? "ip",
      onFailure: r?.onFailure ?? "open",
      trustProxy: r?.trustProxy ?? false,
    };
    const { global, perRoute } = limitsOf(opts, ir);
    const imports = new Imports().add("../lib/rate-limit.js", "rateLimit").type("hono", "MiddlewareHandler");
    const url = r?.redisUrl ?? r?.redis?.url;
    let store: string;
    const dependencies: Record<string, string> = {};
    if (r?.store === "redis" && url) {
      imports.default("ioredis", "Redis").add("../lib/rate-limit.js", "redisStore");
      store = `/** Counters shared by every instance, in Redis. */
export const redis = new Redis(${envText(parseConfigString(url))}, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
redis.on("error", () => {}); // reported per request through onFailure
const store = redisStore(redis);`;
      dependencies.ioredis = "^6.0.0";
    } else {
      imports.add("../lib/rate-limit.js", "memoryStore");
      store = `/** Counters in this process. */\nconst store = memoryStore();`;
    }
    const rule = (name: string, limit: { max: number; windowMs: number; keyBy?: string }) =>
      `rateLimit(store, { name: ${ts(name)}, max: ${limit.max}, windowMs: ${limit.windowMs}, keyBy: ${ts(limit.keyBy ?? base.keyBy)}, onFailure: ${ts(base.onFailure)}, trustProxy: ${base.trustProxy} })`;
    const blocks = [store];
    if (global) blocks.push(`/** ${global.max} requests per ${global.windowMs} ms for each client, across the app. */\nexport const globalLimit: MiddlewareHandler = ${rule("app", global)};`);
    // In each endpoint's own route, before its access check (endpointLimit): a limit mounted on the
    // app by path would also count the requests of other routes its pattern matches
    // (GET /posts/:id matches GET /posts/search).
    const routes = perRoute.map(({ ep, limit }) => `  /** ${ep.method} ${ep.path} */\n  ${key(ep.name)}: ${rule(ep.name, limit)},`);
    if (routes.length) blocks.push(`/** Endpoints with a limit of their own (on top of the app's), by endpoint name; src/endpoints/*.ts put theirs in front of their handlers. */\nexport const endpointLimits = {\n${routes.join("\n")}\n};`);
    const wiring = global ? [{ order: 30, imports: { "./plugins/rate-limit.js": ["globalLimit"] }, statement: "app.use(globalLimit);" }] : [];
    return {
      files: [{ path: "src/plugins/rate-limit.ts", content: header("rate limiting", ir.configFile) + file(imports.toString(), ...blocks) }],
      wiring,
      dependencies,
    };
  },
};
