/**
 * The database-outage scenario, shared by the fast test (db-fault.test.ts) and `npm run soak`:
 * the bench app (bench/fixture plus the health plugin) runs on a private PostgreSQL server under
 * a mix of reads and writes; the server is stopped in the middle and started again. The report
 * says how requests failed while it was down (status, error code, latency), when readiness turned
 * 503 and back, how long the app took to serve again, and whether every acknowledged write exists.
 */
import postgres from "postgres";
import { prepareProjectFrom, removeProject, startServer } from "./harness.js";
import { type Outcome, quantile, startLoad } from "./load-client.js";
import { startPrivatePostgres } from "./private-postgres.js";

export interface FaultOptions {
  connections: number;
  /** Load before the stop. */
  beforeSeconds: number;
  /** How long PostgreSQL stays down. */
  downSeconds: number;
  /** Load after PostgreSQL accepts connections again. */
  afterSeconds: number;
  mode: "fast" | "immediate";
}

export interface Phase {
  requests: number;
  statuses: Record<string, number>;
  latency: { p50: number; p99: number; max: number };
}

export interface FaultReport {
  options: FaultOptions;
  /** Requests that started and ended while PostgreSQL was up, before the stop. */
  before: Phase;
  /** Failed requests between the stop and the restart. */
  failuresWhileDown: Phase;
  /** Failures whose status was not 503 or whose body was not the DB_UNAVAILABLE envelope. */
  unexpectedFailures: Outcome[];
  /** Requests with no answer at all (socket error or no response within the client's timeout). */
  unanswered: number;
  /** Status 500 anywhere in the run. */
  internalErrors: number;
  /** ms from the stop command to the first 503 of readiness, and from the restart to its first 200. */
  readiness: { downAfterMs: number | undefined; upAfterMs: number | undefined; statusesSeen: number[] };
  /** ms from the moment PostgreSQL accepted connections again until the end of the last failed request. */
  recoveredAfterMs: number;
  /** Requests that started at least 1 s after the restart, and how many of them failed. */
  afterRecovery: { requests: number; failed: number };
  writes: { acknowledged: number; missing: number };
  /** How long pg_ctl took to stop and to start the server. */
  pgCtl: { stopMs: number; startMs: number };
  /** Per second of the run (by completion time): answers by kind and the slowest latency. */
  timeline: { second: number; ok: number; unavailable: number; other: number; maxLatencyMs: number; event?: string }[];
  /** The ten slowest requests, and the times (ms since the load started) of the stop and the restart. */
  slowest: Outcome[];
  marks: { stopAt: number; startAt: number; upAt: number };
  /** Wall-clock time of the start of the load, to compare with the PostgreSQL log. */
  t0: string;
  serverStderr: string;
  /** How often each error code appears in what the server reported on stderr. */
  serverErrorCodes: Record<string, number>;
  /** The private server's log (start, stop, recovery). */
  postgresLog: string;
}

const HEALTH = `plugins:\n  "@betagors/yama-health": {}\n`;

function phase(outcomes: readonly Outcome[]): Phase {
  const statuses: Record<string, number> = {};
  for (const o of outcomes) {
    const key = o.status === 0 ? `no answer (${o.code})` : o.code ? `${o.status} ${o.code}` : String(o.status);
    statuses[key] = (statuses[key] ?? 0) + 1;
  }
  const latencies = outcomes.map((o) => o.latencyMs);
  const round = (x: number) => Math.round(x * 10) / 10;
  return { requests: outcomes.length, statuses, latency: { p50: round(quantile(latencies, 0.5)), p99: round(quantile(latencies, 0.99)), max: round(Math.max(0, ...latencies)) } };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runDatabaseFault(options: FaultOptions): Promise<FaultReport> {
  // initdb runs while the app compiles.
  const [pgStarted, dirPrepared] = await Promise.allSettled([startPrivatePostgres(), prepareProjectFrom("bench/fixture", HEALTH)]);
  const pg = pgStarted.status === "fulfilled" ? pgStarted.value : undefined;
  const dir = dirPrepared.status === "fulfilled" ? dirPrepared.value : "";
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  let sql: postgres.Sql | undefined;
  try {
    if (!pg || !dir) throw pgStarted.status === "rejected" ? pgStarted.reason : (dirPrepared as PromiseRejectedResult).reason;
    const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
    await admin.unsafe("CREATE DATABASE soak");
    await admin.end();
    const url = pg.url.replace(/\/postgres$/, "/soak");
    server = await startServer(dir, { DATABASE_URL: url, NODE_ENV: "production" });
    const base = server.base;

    // Products to read.
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${base}/products`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: `Seed ${i}`, price: 9.5 }) });
      ids.push(((await res.json()) as { id: string }).id);
    }

    const load = startLoad({
      base,
      connections: options.connections,
      timeoutMs: 30_000,
      next: (w, seq) =>
        (w + seq) % 2 === 0
          ? { method: "GET", path: `/products/${ids[(w * 7 + seq) % ids.length]}` }
          : { method: "POST", path: "/products", body: JSON.stringify({ name: `Fault ${w}-${seq}`, price: 12.5 }) },
    });
    const probes: { at: number; status: number }[] = [];
    let probing = true;
    const prober = (async () => {
      while (probing) {
        const at = load.elapsed();
        const status = await fetch(`${base}/health/ready`, { signal: AbortSignal.timeout(5000) }).then(
          (r) => r.arrayBuffer().then(() => r.status),
          () => 0,
        );
        probes.push({ at, status });
        await sleep(100);
      }
    })();

    await sleep(options.beforeSeconds * 1000);
    const stopAt = load.elapsed();
    await pg.stop(options.mode);
    const stoppedAt = load.elapsed();
    await sleep(options.downSeconds * 1000);
    const startAt = load.elapsed();
    await pg.start();
    const upAt = load.elapsed();
    await sleep(options.afterSeconds * 1000);
    const outcomes = await load.stop();
    probing = false;
    await prober;

    const ended = (o: Outcome) => o.startedAt + o.latencyMs;
    const failed = (o: Outcome) => o.status === 0 || o.status >= 400;
    const before = outcomes.filter((o) => ended(o) < stopAt);
    const down = outcomes.filter((o) => failed(o) && ended(o) >= stopAt && o.startedAt < upAt);
    const lastFailure = Math.max(upAt, ...outcomes.filter(failed).map(ended));
    const after = outcomes.filter((o) => o.startedAt >= upAt + 1000);
    const acknowledged = outcomes.filter((o) => o.status === 201 && o.id).map((o) => o.id!);

    sql = postgres(url, { max: 1, onnotice: () => {} });
    const present = await sql<{ n: number }[]>`select count(*)::int as n from products where id = any(${acknowledged}::uuid[])`;

    /** ms from `since` to the first readiness probe with `status` started after it. */
    const firstProbe = (status: number, since: number) => {
      const probe = probes.find((p) => p.at >= since && p.status === status);
      return probe === undefined ? undefined : Math.round(probe.at - since);
    };
    const timeline: FaultReport["timeline"] = [];
    for (const o of outcomes) {
      const second = Math.floor(ended(o) / 1000);
      while (timeline.length <= second) timeline.push({ second: timeline.length, ok: 0, unavailable: 0, other: 0, maxLatencyMs: 0 });
      const row = timeline[second]!;
      if (!failed(o)) row.ok++;
      else if (o.status === 503 && o.code === "DB_UNAVAILABLE") row.unavailable++;
      else row.other++;
      row.maxLatencyMs = Math.max(row.maxLatencyMs, Math.round(o.latencyMs));
    }
    const mark = (at: number, event: string) => {
      const row = timeline[Math.floor(at / 1000)];
      if (row) row.event = row.event ? `${row.event}; ${event}` : event;
    };
    mark(stopAt, `pg_ctl stop -m ${options.mode}`);
    mark(startAt, "pg_ctl start");
    mark(upAt, "PostgreSQL accepts connections");

    return {
      options,
      timeline,
      slowest: [...outcomes].sort((a, b) => b.latencyMs - a.latencyMs).slice(0, 10),
      marks: { stopAt: Math.round(stopAt), startAt: Math.round(startAt), upAt: Math.round(upAt) },
      t0: new Date(Date.now() - load.elapsed()).toISOString(),
      before: phase(before),
      failuresWhileDown: phase(down),
      unexpectedFailures: outcomes.filter((o) => failed(o) && !(o.status === 503 && o.code === "DB_UNAVAILABLE")),
      unanswered: outcomes.filter((o) => o.status === 0).length,
      internalErrors: outcomes.filter((o) => o.status === 500).length,
      readiness: {
        downAfterMs: firstProbe(503, stopAt),
        upAfterMs: firstProbe(200, upAt),
        statusesSeen: [...new Set(probes.map((p) => p.status))].sort(),
      },
      recoveredAfterMs: Math.round(lastFailure - upAt),
      afterRecovery: { requests: after.length, failed: after.filter(failed).length },
      writes: { acknowledged: acknowledged.length, missing: acknowledged.length - present[0]!.n },
      pgCtl: { stopMs: Math.round(stoppedAt - stopAt), startMs: Math.round(upAt - startAt) },
      serverStderr: server.stderr.join("").slice(-4000),
      serverErrorCodes: [...server.stderr.join("").matchAll(/\bcode: '([^']+)'/g)].reduce<Record<string, number>>((acc, m) => ({ ...acc, [m[1]!]: (acc[m[1]!] ?? 0) + 1 }), {}),
      // Without the hundreds of refused logins while it stopped and started.
      postgresLog: pg.log().split("\n").filter((line) => !/FATAL: +the database system is (starting up|not yet accepting|shutting down)|DETAIL: +Consistent recovery/.test(line)).join("\n"),
    };
  } finally {
    await sql?.end({ timeout: 5 });
    await server?.stop();
    removeProject(dir);
    await pg?.destroy();
  }
}
