/**
 * The transport of the generated client (src/sdk/): builds URLs, sends credentials, encodes
 * JSON, and turns error answers into ApiError. It uses only what browsers and Node (18+) both
 * have (fetch, URLSearchParams, btoa), so the client runs in either.
 */

/** Codes the generated API answers with (handlers may add their own). */
export type ErrorCode =
  | "BAD_REQUEST" | "VALIDATION_BODY" | "VALIDATION_QUERY" | "VALIDATION_PARAMS" | "VALIDATION_FAILED" | "VALIDATION_REFERENCE"
  | "AUTH_REQUIRED" | "AUTH_INVALID_TOKEN" | "AUTH_UNAVAILABLE" | "AUTHZ_FORBIDDEN" | "AUTHZ_INSUFFICIENT_ROLE" | "AUTHZ_INSUFFICIENT_PERMISSION" | "AUTHZ_POLICY"
  | "NOT_FOUND" | "CONFLICT" | "CONFLICT_REFERENCED" | "PRECONDITION_FAILED" | "PAYLOAD_TOO_LARGE" | "UNPROCESSABLE_ENTITY" | "HEADERS_TOO_LARGE"
  | "RATE_LIMIT_EXCEEDED" | "RATE_LIMIT_UNAVAILABLE" | "INTERNAL_ERROR" | "DB_UNAVAILABLE" | "SERVICE_UNAVAILABLE" | "TIMEOUT"
  | (string & {});

/** One problem with the request: the field (a dotted path), what is wrong, the rule that failed. */
export interface ErrorDetail {
  field: string;
  message: string;
  rule: string;
}

/** The body of every error answer. */
export interface ErrorEnvelope {
  error: { code: ErrorCode; message: string; requestId: string; details?: ErrorDetail[]; retryAfter?: number };
}

/** An answer outside 2xx. `code`, `details` and `requestId` come from the error envelope. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly details: ErrorDetail[];
  readonly requestId: string | undefined;
  /** The parsed body (or its text when it is not JSON). */
  readonly body: unknown;

  constructor(status: number, code: ErrorCode, message: string, details: ErrorDetail[] = [], requestId?: string, body?: unknown) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.requestId = requestId;
    this.body = body;
  }
}

/** Whether `err` is an ApiError, optionally with one of `codes`. */
export function isApiError(err: unknown, ...codes: ErrorCode[]): err is ApiError {
  return err instanceof ApiError && (codes.length === 0 || codes.includes(err.code));
}

type Awaitable<T> = T | Promise<T>;

/** A credential, or a function asked before every request (to read or refresh it); empty means none. */
export type Credential<T = string> = T | null | undefined | (() => Awaitable<T | null | undefined>);

export interface ClientOptions {
  /** Where the API is served, e.g. `https://api.example.com`; empty (the default) means the page's own origin. */
  baseUrl?: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: Credential;
  /** Sent in the API key header. */
  apiKey?: Credential;
  /** Sent as `Authorization: Basic …`. */
  basic?: Credential<{ username: string; password: string }>;
  /** Headers sent with every request. */
  headers?: Record<string, string> | (() => Awaitable<Record<string, string>>);
  /** The fetch to call (default: the global one), e.g. one that retries or logs. */
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
}

/** Per-call options, the last argument of every client method. */
export interface RequestOptions {
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

export type QueryValue = string | number | boolean | null | undefined | readonly (string | number | boolean)[];

interface Call {
  query?: object;
  body?: unknown;
  options?: RequestOptions;
}

export type Send = <T>(method: string, path: string, call?: Call) => Promise<T>;

/** `value` as a path segment. */
export const segment = (value: string | number): string => encodeURIComponent(String(value));

async function resolve<T>(credential: Credential<T>): Promise<T | null | undefined> {
  return typeof credential === "function" ? (credential as () => Awaitable<T | null | undefined>)() : credential;
}

/** `?a=1&b=x,y`: absent values are left out, lists are comma-separated. */
function queryString(query: object | undefined): string {
  if (query === undefined) return "";
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query) as [string, QueryValue][]) {
    if (value === undefined || value === null) continue;
    params.append(name, Array.isArray(value) ? value.join(",") : String(value));
  }
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
}

async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text === "" ? undefined : (JSON.parse(text) as unknown);
  } catch {
    // Not JSON (a proxy's error page): kept as text.
  }
  const envelope = typeof body === "object" && body !== null && "error" in body ? (body as Partial<ErrorEnvelope>).error : undefined;
  if (envelope && typeof envelope.code === "string") {
    return new ApiError(res.status, envelope.code, envelope.message ?? res.statusText, envelope.details ?? [], envelope.requestId, body);
  }
  return new ApiError(res.status, `HTTP_${res.status}`, res.statusText || `HTTP ${res.status}`, [], res.headers.get("x-request-id") ?? undefined, body);
}

/** The function every generated method calls. `apiKeyHeader` is the header the API reads keys from. */
export function createTransport(options: ClientOptions, apiKeyHeader = "X-API-Key"): Send {
  const base = (options.baseUrl ?? "").replace(/\/+$/, "");
  return async <T>(method: string, path: string, call: Call = {}): Promise<T> => {
    const headers: Record<string, string> = { accept: "application/json" };
    Object.assign(headers, typeof options.headers === "function" ? await options.headers() : options.headers);
    const token = await resolve(options.token);
    if (token) headers.authorization = `Bearer ${token}`;
    const basic = await resolve(options.basic);
    if (basic) headers.authorization = `Basic ${btoa(`${basic.username}:${basic.password}`)}`;
    const apiKey = await resolve(options.apiKey);
    if (apiKey) headers[apiKeyHeader.toLowerCase()] = apiKey;
    let body: string | undefined;
    if (call.body !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(call.body);
    }
    Object.assign(headers, call.options?.headers);
    const send = options.fetch ?? ((input: string, init: RequestInit) => fetch(input, init));
    const res = await send(`${base}${path}${queryString(call.query)}`, { method, headers, body, signal: call.options?.signal });
    if (!res.ok) throw await errorOf(res);
    const text = res.status === 204 ? "" : await res.text();
    return (text === "" ? undefined : JSON.parse(text)) as T;
  };
}
