/**
 * A closed-loop HTTP load generator that keeps every outcome: `connections` workers, each on its
 * own keep-alive connection, send requests back to back until told to stop. Unlike wrk it records
 * each request (when it started, how long it took, its status, error code and body), which the
 * fault tests need: the latency of failures and the id of every acknowledged write.
 */
import { Agent, request } from "node:http";

export interface Outcome {
  /** ms since the run started. */
  startedAt: number;
  latencyMs: number;
  method: string;
  /** 0 when no response arrived (socket error or client timeout). */
  status: number;
  /** The error envelope's code, or the socket error's code. */
  code?: string;
  /** The `id` of the body of a 201. */
  id?: string;
}

export interface LoadRequest {
  method: "GET" | "POST";
  path: string;
  body?: string;
}

export interface LoadOptions {
  base: string;
  connections: number;
  /** Picks the next request of a worker. */
  next: (worker: number, seq: number) => LoadRequest;
  /** A request without an answer after this long counts as hung (status 0, code "CLIENT_TIMEOUT"). */
  timeoutMs?: number;
}

export interface LoadRun {
  /** Outcomes so far, in completion order. */
  outcomes: Outcome[];
  /** ms since the run started. */
  elapsed(): number;
  /** Lets each worker finish its current request, then resolves. */
  stop(): Promise<Outcome[]>;
}

function send(agent: Agent, base: URL, req: LoadRequest, timeoutMs: number): Promise<{ status: number; body: string; code?: string }> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = req.body === undefined ? {} : { "content-type": "application/json", "content-length": String(Buffer.byteLength(req.body)) };
    const r = request({ agent, host: base.hostname, port: base.port, method: req.method, path: req.path, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", (err: NodeJS.ErrnoException) => resolve({ status: 0, body: "", code: err.code ?? "RESPONSE_ERROR" }));
    });
    r.on("timeout", () => r.destroy(Object.assign(new Error("client timeout"), { code: "CLIENT_TIMEOUT" })));
    r.on("error", (err: NodeJS.ErrnoException) => resolve({ status: 0, body: "", code: err.code ?? "REQUEST_ERROR" }));
    r.end(req.body);
  });
}

function describe(status: number, body: string): { code?: string; id?: string } {
  try {
    const parsed = JSON.parse(body) as { id?: unknown; error?: { code?: unknown } };
    return { code: typeof parsed.error?.code === "string" ? parsed.error.code : undefined, id: status === 201 && typeof parsed.id === "string" ? parsed.id : undefined };
  } catch {
    return {};
  }
}

export function startLoad(options: LoadOptions): LoadRun {
  const base = new URL(options.base);
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const outcomes: Outcome[] = [];
  const t0 = performance.now();
  let running = true;
  const worker = async (w: number) => {
    for (let seq = 0; running; seq++) {
      const req = options.next(w, seq);
      const startedAt = performance.now() - t0;
      const res = await send(agent, base, req, options.timeoutMs ?? 30_000);
      const latencyMs = performance.now() - t0 - startedAt;
      const { code, id } = res.status === 0 ? { code: res.code, id: undefined } : describe(res.status, res.body);
      outcomes.push({ startedAt, latencyMs, method: req.method, status: res.status, code, id });
      // A refused connection answers at once; do not spin on it.
      if (res.status === 0) await new Promise((r) => setTimeout(r, 20));
    }
  };
  const workers = Array.from({ length: options.connections }, (_, w) => worker(w));
  return {
    outcomes,
    elapsed: () => performance.now() - t0,
    async stop() {
      running = false;
      await Promise.all(workers);
      agent.destroy();
      return outcomes;
    },
  };
}

/** The q-quantile (0..1) of a list of numbers. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
