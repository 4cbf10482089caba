/**
 * Error tracking with Sentry (@sentry/node): errors that become a 500 are sent with the request's
 * method, URL, route pattern, request id and, when the caller signed in, their user id. Client
 * errors (4xx) are answers, not failures, and are never sent. Credentials (Authorization,
 * cookies, API keys) are left out of the request data.
 */
import * as Sentry from "@sentry/node";
import type { Context } from "hono";
import { routePath } from "hono/route";
import { type AppEnv, type ErrorReport, requestIdOf } from "./http.js";

const PRIVATE_HEADERS = new Set(["authorization", "cookie", "set-cookie", "x-api-key", "proxy-authorization"]);

function withRequest(scope: Sentry.Scope, c: Context<AppEnv>): void {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(c.req.header())) if (!PRIVATE_HEADERS.has(name)) headers[name] = value;
  const url = new URL(c.req.url);
  scope.setSDKProcessingMetadata({ normalizedRequest: { method: c.req.method, url: `${url.origin}${url.pathname}`, query_string: url.search.slice(1), headers } });
  scope.setTag("http.method", c.req.method);
  scope.setTag("http.route", routePath(c, -1));
  scope.setTag("request_id", requestIdOf(c));
  const auth = c.get("auth");
  if (auth?.authenticated && auth.user) scope.setUser({ id: auth.user.id });
}

/** Sends an unexpected error (a 500) with the request it broke. */
export const captureError: ErrorReport = (err, c) => {
  Sentry.withScope((scope) => {
    withRequest(scope, c);
    Sentry.captureException(err, { mechanism: { type: "hono", handled: false } });
  });
};

/** What handlers see as `ctx.errorTracking`. */
export interface ErrorTracking {
  /** Reports an error the handler caught (with the request's context); returns the event id. */
  captureException(error: unknown, extra?: Record<string, unknown>): string;
  /** Reports a message; returns the event id. */
  captureMessage(message: string, level?: "info" | "warning" | "error"): string;
}

export function errorTracking(c: Context<AppEnv>): ErrorTracking {
  return {
    captureException: (error, extra) =>
      Sentry.withScope((scope) => {
        withRequest(scope, c);
        if (extra) scope.setExtras(extra);
        return Sentry.captureException(error, { mechanism: { type: "handler", handled: true } });
      }),
    captureMessage: (message, level = "info") =>
      Sentry.withScope((scope) => {
        withRequest(scope, c);
        return Sentry.captureMessage(message, level);
      }),
  };
}
