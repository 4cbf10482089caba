/**
 * What a custom handler receives (`ctx`) and how its result becomes a response.
 * The generated src/context.ts adds the app's typed `entities` and `db`.
 */
import type { Context } from "hono";
import { type AppEnv, type RequestAuth, requestIdOf } from "./http.js";
import type { Logger } from "./logger.js";
import { permits } from "./permissions.js";

/** Who is calling. Filled by the auth module; `{authenticated: false}` without it. */
export interface AuthContext {
  authenticated: boolean;
  user?: { id: string; roles?: string[]; permissions?: string[]; [claim: string]: unknown };
  /** The provider that authenticated the caller: jwt, api-key or basic. */
  provider?: string;
  /** Whether the caller has this role. */
  hasRole(role: string): boolean;
  /** Whether the caller holds this permission, directly or through a role (`*` and `resource:*` wildcards). */
  can(permission: string): boolean;
  /** Whether the caller holds at least one of these permissions. */
  canAny(permissions: readonly string[]): boolean;
  /** Whether the caller holds every one of these permissions. */
  canAll(permissions: readonly string[]): boolean;
}

function authContext(state: RequestAuth | undefined): AuthContext {
  const user = state?.authenticated ? state.user : undefined;
  const granted = state?.granted ?? user?.permissions ?? [];
  const can = (permission: string) => permits(granted, permission);
  return {
    authenticated: user !== undefined,
    ...(user ? { user } : {}),
    ...(user && state?.provider ? { provider: state.provider } : {}),
    hasRole: (role) => user?.roles.includes(role) === true,
    can,
    canAny: (permissions) => permissions.some(can),
    canAll: (permissions) => permissions.every(can),
  };
}

export interface RequestContext<TParams, TQuery, TBody> {
  params: TParams;
  query: TQuery;
  body: TBody;
  auth: AuthContext;
  requestId: string;
  logger: Logger;
  method: string;
  path: string;
  /** Request headers, lower-cased. */
  headers: Record<string, string>;
  /**
   * Sets the response status (chainable); otherwise POST answers 201, DELETE 204, others 200.
   * A code outside 200–599 is a mistake in the handler: it throws (the client gets the 500 envelope).
   */
  status(code: number): this;
  /** The status set with `status()`, if any. */
  readonly statusCode: number | undefined;
  /** The underlying Hono context, for anything else (cookies, raw request). */
  readonly raw: Context<AppEnv>;
}

/** An error body a handler may return after `ctx.status(4xx)` (the original runtime's convention). */
export interface ErrorResult {
  error: unknown;
  [key: string]: unknown;
}

/** What a handler may return for a declared response type T. */
export type HandlerResult<T> = T | ErrorResult | undefined | void;

export function requestContext<TParams, TQuery, TBody>(c: Context<AppEnv>, logger: Logger, params: TParams, query: TQuery, body: TBody): RequestContext<TParams, TQuery, TBody> {
  let statusCode: number | undefined;
  const requestId = requestIdOf(c);
  const ctx: RequestContext<TParams, TQuery, TBody> = {
    params,
    query,
    body,
    auth: authContext(c.get("auth")),
    requestId,
    logger: logger.child({ requestId }),
    method: c.req.method,
    path: c.req.path,
    headers: c.req.header(),
    status(code) {
      if (!Number.isInteger(code) || code < 200 || code > 599) throw new RangeError(`ctx.status(${code}): a response status is a whole number from 200 to 599`);
      statusCode = code;
      return this;
    },
    get statusCode() {
      return statusCode;
    },
    raw: c,
  };
  return ctx;
}

/**
 * Runs a handler. A thrown value that is not an Error (`throw "boom"`, `throw {code: 1}`) is
 * wrapped in one: Hono hands only Errors to the app's error handler, and anything else would
 * reach the client as a bare 500 with no envelope and nothing logged.
 */
export async function invoke<C, R>(handler: (ctx: C) => R | Promise<R>, ctx: C): Promise<R> {
  try {
    return await handler(ctx);
  } catch (err) {
    if (err instanceof Error) throw err;
    let shown: string;
    try {
      shown = typeof err === "string" ? JSON.stringify(err) : (JSON.stringify(err) ?? String(err));
    } catch {
      shown = Object.prototype.toString.call(err);
    }
    throw new Error(`the handler threw a value that is not an Error: ${shown.slice(0, 200)}`, { cause: err });
  }
}

/** Sends a handler's result: JSON with its status, or an empty body for undefined and 204, 205 and 304. */
export function respond(c: Context<AppEnv>, statusCode: number | undefined, result: unknown, fallback: number): Response {
  if (result instanceof Response) return result;
  const status = statusCode ?? (result === undefined && fallback === 200 ? 204 : fallback);
  if (result === undefined || status === 204 || status === 205 || status === 304) return c.body(null, status as 204);
  return c.json(result, status as 200);
}
