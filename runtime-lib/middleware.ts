/**
 * Mounting helpers for the app's own middleware (`middleware:` in yama.yaml). A middleware is a
 * Hono middleware of the project; these run it at the phases that are not simply "before the
 * route": after the route answered, or only when the request failed.
 */
import type { Context, MiddlewareHandler, Next } from "hono";
import type { AppEnv } from "./http.js";

const done: Next = async () => {};

/** Runs `middleware` once the route has answered (`post-handler`): it sees `c.res` and may replace it. */
export function afterHandler(middleware: MiddlewareHandler<AppEnv>): MiddlewareHandler<AppEnv> {
  return async (c: Context<AppEnv>, next: Next) => {
    await next();
    const replaced = await middleware(c, done);
    if (replaced instanceof Response) c.res = replaced;
  };
}

/** Runs `middleware` only for a request that ended in an error (`error`), once its error response is set; `c.error` is the error. */
export function afterError(middleware: MiddlewareHandler<AppEnv>): MiddlewareHandler<AppEnv> {
  return async (c: Context<AppEnv>, next: Next) => {
    await next();
    if (c.error === undefined) return;
    const replaced = await middleware(c, done);
    if (replaced instanceof Response) c.res = replaced;
  };
}

/** Runs `middleware` only for requests with this method (a middleware of one endpoint). */
export function forMethod(method: string, middleware: MiddlewareHandler<AppEnv>): MiddlewareHandler<AppEnv> {
  return (c: Context<AppEnv>, next: Next) => (c.req.method === method ? middleware(c, next) : next());
}
