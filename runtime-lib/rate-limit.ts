/**
 * Fixed-window rate limiting with X-RateLimit-* headers and a 429 in the error envelope.
 * The counter store is in memory (one process) or Redis (shared by every instance).
 */
import type { Context, MiddlewareHandler } from "hono";
import { ApiError, RateLimitError } from "./errors.js";
import { type NodeBindings, requestHeader } from "./http.js";

export interface RateLimitStore {
  /** Counts one hit for `key` in a window of `windowMs`; returns the count and when the window ends (epoch ms). */
  hit(key: string, windowMs: number): Promise<{ count: number; resetAt: number }>;
}

/**
 * Counters in this process (or Worker isolate). Expired windows are swept at most once a minute,
 * during a hit: no timer, so the store can be created where timers are not allowed (a Worker's
 * global scope) and never keeps a process alive.
 */
export function memoryStore(): RateLimitStore {
  const windows = new Map<string, { count: number; resetAt: number }>();
  let nextSweep = 0;
  return {
    async hit(key, windowMs) {
      const now = Date.now();
      if (now >= nextSweep) {
        for (const [k, w] of windows) if (w.resetAt <= now) windows.delete(k);
        nextSweep = now + 60_000;
      }
      let w = windows.get(key);
      if (!w || w.resetAt <= now) {
        w = { count: 0, resetAt: now + windowMs };
        windows.set(key, w);
      }
      w.count++;
      return { count: w.count, resetAt: w.resetAt };
    },
  };
}

/** The part of a Redis client the store needs (ioredis provides it). */
export interface RedisLike {
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
}

/** INCR and set the window's expiry atomically; returns [count, ms left]. */
const HIT_SCRIPT = `local c = redis.call('INCR', KEYS[1])
if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {c, ttl}`;

export function redisStore(redis: RedisLike, prefix = "ratelimit:"): RateLimitStore {
  return {
    async hit(key, windowMs) {
      const [count, ttl] = (await redis.eval(HIT_SCRIPT, 1, prefix + key, windowMs)) as [number, number];
      return { count, resetAt: Date.now() + ttl };
    },
  };
}

export type KeyBy = "ip" | "user" | "both";

/** The client's address: the first X-Forwarded-For hop behind a trusted proxy, else the socket's. */
export function clientIp(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = requestHeader(c, "x-forwarded-for")?.split(",")[0]?.trim();
    if (forwarded) return forwarded;
  }
  const incoming = (c.env as NodeBindings | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? requestHeader(c, "x-real-ip") ?? "unknown";
}

export interface RateLimitRule {
  /** Name used in the store key (one counter per rule). */
  name: string;
  max: number;
  windowMs: number;
  keyBy: KeyBy;
  /** When the store fails: let requests through ("open") or refuse them with 503 ("closed"). */
  onFailure: "open" | "closed";
  trustProxy: boolean;
}

function keyOf(c: Context, rule: RateLimitRule): string {
  const user = (c.get("auth" as never) as { user?: { id?: string } } | undefined)?.user?.id;
  const ip = clientIp(c, rule.trustProxy);
  if (rule.keyBy === "user") return `${rule.name}:u:${user ?? `ip:${ip}`}`;
  if (rule.keyBy === "both") return `${rule.name}:b:${user ?? "-"}:${ip}`;
  return `${rule.name}:ip:${ip}`;
}

export function rateLimit(store: RateLimitStore, rule: RateLimitRule): MiddlewareHandler {
  return async (c, next) => {
    let result: { count: number; resetAt: number };
    try {
      result = await store.hit(keyOf(c, rule), rule.windowMs);
    } catch {
      if (rule.onFailure === "open") return next();
      throw new ApiError(503, "RATE_LIMIT_UNAVAILABLE", "Rate limiting is unavailable; try again shortly");
    }
    const remaining = Math.max(0, rule.max - result.count);
    const resetSeconds = Math.max(0, Math.ceil((result.resetAt - Date.now()) / 1000));
    if (result.count > rule.max) {
      c.header("X-RateLimit-Limit", String(rule.max));
      c.header("X-RateLimit-Remaining", String(remaining));
      c.header("X-RateLimit-Reset", String(resetSeconds));
      throw new RateLimitError(resetSeconds);
    }
    await next();
    // Set on the response the route produced (headers set before it would be lost when a
    // handler returns its own Response). A route's own limit runs inside the app-wide one and
    // sets them first: the most specific limit is the one reported.
    const headers = c.res.headers;
    if (headers.has("X-RateLimit-Limit")) return;
    headers.set("X-RateLimit-Limit", String(rule.max));
    headers.set("X-RateLimit-Remaining", String(remaining));
    headers.set("X-RateLimit-Reset", String(resetSeconds));
  };
}
