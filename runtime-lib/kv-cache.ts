/**
 * `ctx.cache` (`@betagors/yama-redis`): values kept in Redis as JSON, with an optional time to
 * live, shared by every instance of the app. While Redis cannot be reached a call fails at once
 * with a 503 (`CACHE_UNAVAILABLE`) instead of waiting: commands are not queued offline and each
 * is bounded in time.
 */
import { ServiceUnavailableError } from "./errors.js";

/** The part of a Redis client the cache needs (ioredis provides it). */
export interface KeyValueRedis {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<unknown>;
  set(key: string, value: string, mode: "EX", seconds: number): Promise<unknown>;
  del(...keys: string[]): Promise<number>;
  exists(...keys: string[]): Promise<number>;
  ping(): Promise<string>;
}

export interface Cache {
  /** The value stored under `key`, or null. */
  get<T = unknown>(key: string): Promise<T | null>;
  /** Stores `value` (as JSON); with `ttlSeconds` it expires after that many seconds. */
  set(key: string, value: unknown, ttlSeconds?: number): Promise<void>;
  /** Removes the key; whether it existed. */
  del(key: string): Promise<boolean>;
  exists(key: string): Promise<boolean>;
  /** The value under `key`, or what `load` gives, stored for next time. */
  getOrSet<T>(key: string, ttlSeconds: number | undefined, load: () => Promise<T>): Promise<T>;
  /** The same cache with every key under `<prefix>:`. */
  namespace(prefix: string): Cache;
  /** Whether Redis answers. */
  health(): Promise<boolean>;
}

async function call<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw new ServiceUnavailableError(`The cache is unavailable (${err instanceof Error ? err.message : String(err)})`, "CACHE_UNAVAILABLE");
  }
}

/** A cache whose keys all start with `prefix` (e.g. `shop:`). */
export function redisKeyValueCache(redis: KeyValueRedis, prefix: string): Cache {
  const cache: Cache = {
    async get<T>(key: string) {
      const text = await call(() => redis.get(prefix + key));
      return text === null ? null : (JSON.parse(text) as T);
    },
    async set(key, value, ttlSeconds) {
      if (value === undefined) throw new TypeError(`cache.set(${JSON.stringify(key)}): undefined cannot be stored; use del() or null`);
      const text = JSON.stringify(value);
      await call(() => (ttlSeconds === undefined ? redis.set(prefix + key, text) : redis.set(prefix + key, text, "EX", Math.max(1, Math.ceil(ttlSeconds)))));
    },
    async del(key) {
      return (await call(() => redis.del(prefix + key))) > 0;
    },
    async exists(key) {
      return (await call(() => redis.exists(prefix + key))) > 0;
    },
    async getOrSet<T>(key: string, ttlSeconds: number | undefined, load: () => Promise<T>) {
      const found = await cache.get<T>(key);
      if (found !== null) return found;
      const value = await load();
      await cache.set(key, value, ttlSeconds);
      return value;
    },
    namespace(name) {
      return redisKeyValueCache(redis, `${prefix}${name}:`);
    },
    async health() {
      try {
        return (await redis.ping()) === "PONG";
      } catch {
        return false;
      }
    },
  };
  return cache;
}
