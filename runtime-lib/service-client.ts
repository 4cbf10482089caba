/**
 * Calls to other services (`services:` in yama.yaml), as `ctx.services.<name>.<method>(input)`.
 *
 * A method's input carries the path parameters by name; the rest of it is the JSON body (POST,
 * PUT, PATCH) or the query string (GET, DELETE). Each attempt has a timeout. Idempotent methods
 * (GET, PUT, DELETE) are retried on timeouts, network errors, 5xx and 429, with backoff; POST and
 * PATCH are never retried (a retry could do the work twice). A circuit breaker stops calling a
 * service that failed `failureThreshold` times in a row, and tries again after `resetTimeoutMs`.
 *
 * Failures reach the caller as errors the app's error handler answers with the envelope: a non-2xx
 * answer is 502 UPSTREAM_ERROR (with the service's status and body on the error, for handlers that
 * catch it), a timeout 504 UPSTREAM_TIMEOUT, an unreachable, unconfigured or broken-circuit service
 * 503 UPSTREAM_UNAVAILABLE. Responses are typed as yama.yaml declares them, not validated.
 */
import { BrokenCircuitError, circuitBreaker, ConsecutiveBreaker, ConstantBackoff, ExponentialBackoff, handleWhen, retry, wrap } from "cockatiel";
import { ApiError } from "./errors.js";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface ServiceOptions {
  /** The service's name in yama.yaml, for messages. */
  name: string;
  baseUrl: string | undefined;
  /** The environment variables baseUrl reads, named when it is unset. */
  variables: readonly string[];
  headers?: Readonly<Record<string, string | undefined>>;
  timeoutMs: number;
  retry?: { maxAttempts: number; backoff: "exponential" | "constant"; initialDelayMs: number };
  circuitBreaker?: { failureThreshold: number; resetTimeoutMs: number };
}

/** One endpoint of a service: its method, path template (`/users/:id`) and path parameters. */
export interface ServiceEndpoint {
  name: string;
  method: HttpMethod;
  path: string;
  params: readonly string[];
}

/** A failed call: `status` is the envelope's (502, 503, 504); `upstreamStatus` and `upstreamBody` are the service's answer, when there was one. */
export class ServiceError extends ApiError {
  constructor(
    status: 502 | 503 | 504,
    code: "UPSTREAM_ERROR" | "UPSTREAM_UNAVAILABLE" | "UPSTREAM_TIMEOUT",
    message: string,
    readonly upstreamStatus?: number,
    readonly upstreamBody?: unknown,
  ) {
    super(status, code, message);
  }

  /** A timeout, a network error, or an answer of 5xx or 429. */
  get transient(): boolean {
    if (this.upstreamStatus !== undefined) return this.upstreamStatus >= 500 || this.upstreamStatus === 429;
    return this.code === "UPSTREAM_TIMEOUT" || this.reachable === false;
  }

  /** Set on a network error (false), as opposed to a service that is not configured. */
  reachable?: boolean;
}

const IDEMPOTENT = new Set<HttpMethod>(["GET", "PUT", "DELETE"]);

/** Whether an attempt's failure is worth another attempt (and counts against the circuit): a timeout, a network error, 5xx or 429. */
const transient = (err: Error): boolean => err instanceof ServiceError && err.transient;

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (text === "") return undefined;
  if (!(res.headers.get("content-type") ?? "").includes("json")) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The call function of one service; the emitted client gives each endpoint a typed method over it. */
export function serviceClient(options: ServiceOptions): <T>(endpoint: ServiceEndpoint, input: object | undefined) => Promise<T> {
  const breaker = options.circuitBreaker ? circuitBreaker(handleWhen(transient), { halfOpenAfter: options.circuitBreaker.resetTimeoutMs, breaker: new ConsecutiveBreaker(options.circuitBreaker.failureThreshold) }) : undefined;
  const retrying = options.retry
    ? retry(handleWhen(transient), {
        maxAttempts: Math.max(0, options.retry.maxAttempts - 1),
        backoff: options.retry.backoff === "constant" ? new ConstantBackoff(options.retry.initialDelayMs) : new ExponentialBackoff({ initialDelay: options.retry.initialDelayMs }),
      })
    : undefined;
  // The policies each kind of call goes through, built once: idempotent methods are retried, others only pass the breaker.
  const idempotentPolicy = retrying || breaker ? wrap(...[retrying, breaker].filter((p) => p !== undefined)) : undefined;
  const otherPolicy = breaker;
  const label = (endpoint: ServiceEndpoint) => `${options.name}.${endpoint.name}`;

  async function attempt(endpoint: ServiceEndpoint, input: Record<string, unknown>): Promise<unknown> {
    if (!options.baseUrl) throw new ServiceError(503, "UPSTREAM_UNAVAILABLE", `${options.name} is not configured: set ${options.variables.join(" or ") || "its baseUrl"}`);
    const rest: Record<string, unknown> = { ...input };
    let path = endpoint.path;
    for (const param of endpoint.params) {
      const value = rest[param];
      delete rest[param];
      if (value === undefined || value === null || value === "") throw new TypeError(`${label(endpoint)}: the path parameter ${param} is required`);
      path = path.replace(`:${param}`, encodeURIComponent(String(value)));
    }
    const url = new URL(options.baseUrl.replace(/\/+$/, "") + path);
    const hasBody = endpoint.method === "POST" || endpoint.method === "PUT" || endpoint.method === "PATCH";
    if (!hasBody) {
      for (const [key, value] of Object.entries(rest)) {
        if (value === undefined || value === null) continue;
        for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(key, String(item));
      }
    }
    const headers: Record<string, string> = { accept: "application/json" };
    for (const [key, value] of Object.entries(options.headers ?? {})) if (value) headers[key] = value;
    if (hasBody) headers["content-type"] = "application/json";
    let res: Response;
    try {
      res = await fetch(url, { method: endpoint.method, headers, body: hasBody ? JSON.stringify(rest) : undefined, signal: AbortSignal.timeout(options.timeoutMs) });
    } catch (err) {
      if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) throw new ServiceError(504, "UPSTREAM_TIMEOUT", `${label(endpoint)}: no answer within ${options.timeoutMs} ms`);
      const unreachable = new ServiceError(503, "UPSTREAM_UNAVAILABLE", `${label(endpoint)}: ${options.name} cannot be reached (${err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err)})`);
      unreachable.reachable = false;
      throw unreachable;
    }
    const body = await readBody(res);
    if (!res.ok) throw new ServiceError(502, "UPSTREAM_ERROR", `${label(endpoint)}: ${options.name} answered ${res.status}`, res.status, body);
    return body;
  }

  return async <T>(endpoint: ServiceEndpoint, input: object | undefined): Promise<T> => {
    const run = () => attempt(endpoint, (input ?? {}) as Record<string, unknown>);
    const policy = IDEMPOTENT.has(endpoint.method) ? idempotentPolicy : otherPolicy;
    try {
      return (await (policy ? policy.execute(run) : run())) as T;
    } catch (err) {
      if (err instanceof BrokenCircuitError) throw new ServiceError(503, "UPSTREAM_UNAVAILABLE", `${label(endpoint)}: ${options.name} failed too often; calls resume after ${options.circuitBreaker!.resetTimeoutMs} ms`);
      throw err;
    }
  };
}
