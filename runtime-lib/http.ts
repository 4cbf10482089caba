import type { Context, ErrorHandler, MiddlewareHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ZodType, core } from "zod";
import { ApiError, type ColumnFields, type ErrorBody, type ErrorDetail, RateLimitError, ValidationError, fromDatabaseError } from "./errors.js";

/** The caller of a request, set by the auth middleware of apps with an `auth:` section (lib/auth.ts). */
export interface RequestAuth {
  authenticated: boolean;
  user?: { id: string; roles: string[]; permissions: string[]; [claim: string]: unknown };
  /** The provider that recognised (or rejected) the credentials: jwt, api-key, basic. */
  provider?: string;
  /** Every permission the caller holds: their own and their roles' (wildcards kept). */
  granted?: readonly string[];
  /** Why presented credentials were rejected (bad signature, expired, unknown key). */
  failure?: string;
  /** The credentials could not be checked right now (e.g. the signing keys were unreachable). */
  unavailable?: boolean;
  /** The WWW-Authenticate challenge a 401 carries. */
  challenge?: string;
}

/** What @hono/node-server passes as `c.env`: the Node request behind the Fetch one (absent on other runtimes). */
export interface NodeBindings {
  incoming?: { rawHeaders?: string[]; socket?: { remoteAddress?: string } };
}

/**
 * A request header by its lower-case name, like `c.req.header(name)`. On Node it is read from the
 * raw header list of the incoming message: the first `c.req.header()` of a request makes the
 * adapter build a Fetch `Headers` object of every header, which costs more than the rest of a
 * point read. Repeated headers are joined with ", " as `Headers` joins them. Other runtimes
 * (Workers, Lambda, tests through `app.request`) already hold a `Headers` object.
 */
export function requestHeader(c: Context, name: string): string | undefined {
  const raw = (c.env as NodeBindings | undefined)?.incoming?.rawHeaders;
  if (raw === undefined) return c.req.header(name);
  let value: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i]!;
    if (key.length === name.length && key.toLowerCase() === name) value = value === undefined ? raw[i + 1] : `${value}, ${raw[i + 1]}`;
  }
  return value;
}

/** Variables every request carries (`c.get("requestId")`, and `c.get("auth")` with auth). */
export interface AppEnv {
  Variables: {
    requestId: string;
    auth?: RequestAuth;
  };
}

const INCOMING_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request's id: a well-formed incoming X-Request-ID, or a new UUID, made on first use and
 * kept for the rest of the request. Error bodies, logs, spans and handler contexts all use it.
 */
export function requestIdOf(c: Context<AppEnv>): string {
  let id = c.get("requestId") as string | undefined;
  if (id === undefined) {
    const incoming = requestHeader(c, "x-request-id");
    id = incoming !== undefined && INCOMING_ID.test(incoming) ? incoming : crypto.randomUUID();
    c.set("requestId", id);
  }
  return id;
}

/**
 * Echoes the request id in an X-Request-ID response header. Wired by the logging plugin, where
 * a client's id ties its request to the log lines; apps without it do not pay for the header.
 * The header is added to the response after the handler: a header set before it would be lost
 * when a handler returns its own `Response` (as GET /:id does).
 */
export const requestId: MiddlewareHandler<AppEnv> = async (c, next) => {
  const id = requestIdOf(c);
  await next();
  c.res.headers.set("X-Request-ID", id);
};

function errorResponse(c: Context<AppEnv>, status: number, code: string, message: string, details?: ErrorDetail[], retryAfter?: number): Response {
  const body: ErrorBody = { error: { code, message, requestId: requestIdOf(c) } };
  if (details !== undefined && details.length > 0) body.error.details = details;
  if (retryAfter !== undefined) {
    body.error.retryAfter = retryAfter;
    c.header("Retry-After", String(retryAfter));
  }
  return c.json(body, status as 400);
}

/** Receives an error that becomes a 500 (a logger, an error tracker). */
export type ErrorReport = (err: unknown, c: Context<AppEnv>) => void;

/** The default report: the error and its stack on stderr. */
export const printError: ErrorReport = (err) => console.error(err);

export interface ErrorHandlerOptions {
  /** Called with errors that become a 500, in order; stderr when absent. */
  report?: ErrorReport | readonly ErrorReport[];
  /** Table columns → API fields, for naming fields in database errors (`columnFields(schema)`). */
  fields?: ColumnFields;
}

/** While the database is unreachable, its 503s are reported at most this often (the first at once). */
export const OUTAGE_REPORT_MS = 5_000;

/**
 * Maps every thrown error to the error envelope. Never leaks stack traces or SQL.
 *
 * During a database outage every request fails the same way, thousands a second under load: the
 * first such error is reported, then at most one every OUTAGE_REPORT_MS, each followed by a line
 * counting the 503s answered meanwhile (clients still get every 503, and request logs still list
 * each request).
 */
export function errorHandler(options: ErrorHandlerOptions = {}): ErrorHandler<AppEnv> {
  const reports = options.report === undefined ? [printError] : typeof options.report === "function" ? [options.report] : options.report;
  const report: ErrorReport = reports.length === 1 ? reports[0]! : (err, c) => {
    for (const r of reports) r(err, c);
  };
  let lastOutageReport = -Infinity;
  let unreported = 0;
  const reportOutage = (err: unknown, c: Context<AppEnv>) => {
    const now = Date.now();
    if (now - lastOutageReport < OUTAGE_REPORT_MS) {
      unreported++;
      return;
    }
    if (unreported > 0) console.error(`database unavailable: ${unreported} more request(s) answered 503 since the last report`);
    lastOutageReport = now;
    unreported = 0;
    report(err, c);
  };
  return (err, c) => {
    if (err instanceof ApiError) return errorResponse(c, err.status, err.code, err.message, err.details, err instanceof RateLimitError ? err.retryAfter : undefined);
    if (err instanceof HTTPException) {
      const status = err.status;
      const code = status === 413 ? "PAYLOAD_TOO_LARGE" : status === 504 ? "TIMEOUT" : status === 401 ? "AUTH_REQUIRED" : status === 403 ? "AUTHZ_FORBIDDEN" : status >= 500 ? "INTERNAL_ERROR" : "BAD_REQUEST";
      return errorResponse(c, status, code, err.message || "Request failed");
    }
    const mapped = fromDatabaseError(err, options.fields);
    if (mapped) {
      if (mapped.status === 503) reportOutage(err, c);
      else if (mapped.status >= 500) report(err, c);
      return errorResponse(c, mapped.status, mapped.code, mapped.message, mapped.details);
    }
    report(err, c);
    return errorResponse(c, 500, "INTERNAL_ERROR", "Internal server error");
  };
}

export const notFound: NotFoundHandler<AppEnv> = (c) =>
  errorResponse(c, 404, "NOT_FOUND", `Route ${c.req.method} ${c.req.path} not found`);

/** Turns zod issues into the envelope's `details`. */
export function issuesToDetails(issues: readonly core.$ZodIssue[]): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (const issue of issues) {
    const path = issue.path.map(String);
    if (issue.code === "unrecognized_keys") {
      for (const k of issue.keys) details.push({ field: [...path, k].join("."), message: "is not an allowed field", rule: "unknown_field" });
      continue;
    }
    const missing = issue.code === "invalid_type" && /received undefined/.test(issue.message);
    details.push({ field: path.join("."), message: missing ? "is required" : issue.message, rule: missing ? "required" : issue.code });
  }
  return details;
}

/** Validates `input` against a schema built at module load; throws a 400 with every bad field. */
export function validate<T>(schema: ZodType<T>, input: unknown, code: "VALIDATION_BODY" | "VALIDATION_QUERY" | "VALIDATION_PARAMS", message: string): T {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationError(message, issuesToDetails(result.error.issues), code);
  return result.data;
}

/**
 * The query string, validated against a schema built at module load. A parameter given twice
 * (`?limit=1&limit=2`) is a 400 as well: taking one of its values would ignore the other
 * silently. Telling takes one count of the `&`s; the query is parsed again only when there are
 * more pairs than names (a repeat, or an empty pair such as `a=1&&b=2`).
 */
export function validateQuery<T>(schema: ZodType<T>, c: Context): T {
  const query = c.req.query();
  const url = c.req.url;
  const start = url.indexOf("?");
  if (start !== -1) {
    let pairs = 1;
    for (let i = url.indexOf("&", start); i !== -1; i = url.indexOf("&", i + 1)) pairs++;
    if (pairs > Object.keys(query).length) {
      const repeated = repeatedNames(url.slice(start + 1));
      if (repeated.length > 0) {
        throw new ValidationError("Invalid query parameters", repeated.map((field) => ({ field, message: "is given more than once", rule: "repeated" })), "VALIDATION_QUERY");
      }
    }
  }
  return validate(schema, query, "VALIDATION_QUERY", "Invalid query parameters");
}

function repeatedNames(search: string): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const name of new URLSearchParams(search).keys()) (seen.has(name) ? repeated : seen).add(name);
  return [...repeated];
}

/** Reads a JSON body; malformed or missing JSON is a 400, never a 500. */
export async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "") throw new ValidationError("Request body is required", undefined, "VALIDATION_BODY");
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ValidationError("Request body is not valid JSON", undefined, "VALIDATION_BODY");
  }
}

/** Reads a JSON body when one was sent; undefined for an empty body. */
export async function readOptionalJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ValidationError("Request body is not valid JSON", undefined, "VALIDATION_BODY");
  }
}
