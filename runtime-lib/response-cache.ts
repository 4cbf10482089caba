/**
 * Response caching of GET routes (`cache:` in yama.yaml): a 200 JSON answer is kept for a time to
 * live and served again (`X-Cache: HIT`) until it expires or a route that changes the data
 * succeeds (`invalidateOn`). Entries of routes that need a caller are kept per caller, so a
 * cached answer never reaches anyone its route would not have answered in the same way. The
 * store is in memory (one process) or Redis (shared by every instance).
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "./http.js";

/** One cached answer. */
export interface CachedResponse {
  body: string;
  contentType: string;
  etag?: string;
}

export interface ResponseCacheStore {
  get(name: string, key: string): Promise<CachedResponse | undefined>;
  set(name: string, key: string, value: CachedResponse, ttlMs: number): Promise<void>;
  /** Drops every entry of the named routes. */
  invalidate(names: readonly string[]): Promise<void>;
}

/**
 * Entries in this process, at most `maxEntries` of them (the oldest go first). Invalidation
 * bumps a route's generation, which every key of it carries: old entries are never read again
 * and age out. No timer, so the store can be created where timers are not allowed.
 */
export function memoryCache(maxEntries = 5_000): ResponseCacheStore {
  const entries = new Map<string, { value: CachedResponse; expiresAt: number }>();
  const generations = new Map<string, number>();
  const keyOf = (name: string, key: string) => `${name}\u0000${generations.get(name) ?? 0}\u0000${key}`;
  return {
    async get(name, key) {
      const k = keyOf(name, key);
      const entry = entries.get(k);
      if (entry === undefined) return undefined;
      if (entry.expiresAt <= Date.now()) {
        entries.delete(k);
        return undefined;
      }
      return entry.value;
    },
    async set(name, key, value, ttlMs) {
      const k = keyOf(name, key);
      entries.delete(k);
      entries.set(k, { value, expiresAt: Date.now() + ttlMs });
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    },
    async invalidate(names) {
      for (const name of names) generations.set(name, (generations.get(name) ?? 0) + 1);
    },
  };
}

/** The part of a Redis client the store needs (ioredis provides it). */
export interface CacheRedis {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, mode: "PX", ttlMs: number): Promise<unknown>;
  incr(key: string): Promise<number>;
}

/** Entries in Redis, shared by every instance; a route's generation counter lives there too. */
export function redisCache(redis: CacheRedis, prefix = "cache:"): ResponseCacheStore {
  const generation = async (name: string) => (await redis.get(`${prefix}${name}:generation`)) ?? "0";
  return {
    async get(name, key) {
      const text = await redis.get(`${prefix}${name}:${await generation(name)}:${key}`);
      return text === null ? undefined : (JSON.parse(text) as CachedResponse);
    },
    async set(name, key, value, ttlMs) {
      await redis.set(`${prefix}${name}:${await generation(name)}:${key}`, JSON.stringify(value), "PX", ttlMs);
    },
    async invalidate(names) {
      await Promise.all(names.map((name) => redis.incr(`${prefix}${name}:generation`)));
    },
  };
}

export interface CacheRule {
  /** The route's name (its operation): what `invalidateOn` of other routes names. */
  name: string;
  ttlMs: number;
  /** The route's path pattern: routes exposing one operation under several APIs never share entries. */
  route: string;
  /** `post:{id}`: which requests of the route share an entry (path and query parameters by name); default: the path and the whole query. */
  key?: string;
  /** The route needs a caller (an access rule or a row policy): entries are kept per caller. */
  perCaller: boolean;
}

/** The caller an entry belongs to: their id and roles (roles decide what some routes return). */
function callerPart(c: Context<AppEnv>): string | undefined {
  const auth = c.get("auth");
  if (!auth?.authenticated || auth.user === undefined) return undefined;
  return `${auth.provider ?? ""}:${auth.user.id}:${[...auth.user.roles].sort().join(",")}`;
}

/** The request's key: the template with `{name}` filled from the path, then the query; or the path and the sorted query. */
function requestKey(c: Context<AppEnv>, template: string | undefined): string {
  const url = new URL(c.req.url);
  if (template === undefined) {
    const query = [...url.searchParams].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `${url.pathname}?${new URLSearchParams(query).toString()}`;
  }
  const params = c.req.param() as Record<string, string>;
  return template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? url.searchParams.get(name) ?? ""));
}

/**
 * Serves a GET route from the cache, or runs it and keeps a 200 JSON answer. A store that fails
 * (Redis unreachable) is skipped: the route answers as without a cache.
 */
export function cacheResponses(store: ResponseCacheStore, rule: CacheRule): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    let key = `${rule.route}|${requestKey(c, rule.key)}`;
    if (rule.perCaller) {
      const caller = callerPart(c);
      // Without a caller the route answers 401 or 403, which is never cached.
      if (caller === undefined) return next();
      key = `${caller}|${key}`;
    }
    const hit = await store.get(rule.name, key).catch(() => undefined);
    if (hit !== undefined) {
      if (hit.etag !== undefined && c.req.header("if-none-match") === hit.etag) return new Response(null, { status: 304, headers: { ETag: hit.etag, "X-Cache": "HIT" } });
      const headers: Record<string, string> = { "Content-Type": hit.contentType, "X-Cache": "HIT" };
      if (hit.etag !== undefined) headers.ETag = hit.etag;
      return new Response(hit.body, { status: 200, headers });
    }
    await next();
    const res = c.res;
    const contentType = res.headers.get("content-type") ?? "";
    if (res.status !== 200 || !contentType.startsWith("application/json")) return;
    const body = await res.clone().text();
    const etag = res.headers.get("etag") ?? undefined;
    await store.set(rule.name, key, { body, contentType, ...(etag !== undefined ? { etag } : {}) }, rule.ttlMs).catch(() => undefined);
    res.headers.set("X-Cache", "MISS");
  };
}

/** After a successful (2xx) change, drops the cached answers of the named routes. */
export function invalidateCaches(store: ResponseCacheStore, names: readonly string[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    if (c.res.status >= 200 && c.res.status < 300) await store.invalidate(names).catch(() => undefined);
  };
}
