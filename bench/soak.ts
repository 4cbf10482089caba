/**
 * `npm run soak`: the long reliability runs (not part of `npm test`). Each step writes its figures,
 * with the command that produced them, into its own section of docs/reliability.md (between
 * `<!-- soak:NAME -->` markers); the rest of that file is prose kept as it is.
 *
 *   fuzz-compiler  FUZZ_CASES=25000 vitest run compiler/test/fuzz-compiler.test.ts
 *   fuzz-http      FUZZ_FULL=1 vitest run compiler/test/fuzz-http.test.ts
 *   load           the bench app on PostgreSQL, SOAK_CONNECTIONS (1,000) wrk connections for
 *                  SOAK_SECONDS (60) against GET and POST, server RSS sampled every second
 *   fault          a private PostgreSQL server stopped (fast, then immediate) under reads and writes
 *   shutdown       SIGTERM while 1,000 wrk connections read and write
 *
 * `npm run soak -- load fault` runs only the steps named. Needs wrk (Debian package `wrk`) and,
 * for `fault`, initdb/pg_ctl (PostgreSQL server package).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { cpus } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { type FaultOptions, type FaultReport, runDatabaseFault } from "../compiler/test/db-fault.js";
import { createDatabase, prepareProjectFrom, removeProject, ROOT, type RunningServer, startServer } from "../compiler/test/harness.js";
import { privatePostgresUnavailable, startPrivatePostgres } from "../compiler/test/private-postgres.js";

const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const CONNECTIONS = Number(process.env.SOAK_CONNECTIONS ?? 1000);
const WORK = join(ROOT, ".yama", "soak");
const DOC = join(ROOT, "docs", "reliability.md");
const HEALTH = `plugins:\n  "@betagors/yama-health": {}\n`;
const STEPS = ["fuzz-compiler", "fuzz-http", "load", "fault", "shutdown"] as const;
type Step = (typeof STEPS)[number];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (x: number, digits = 0) => x.toLocaleString("en", { minimumFractionDigits: digits, maximumFractionDigits: digits });

// ---------------------------------------------------------------------------------------------
// Machine and versions

function machine(): string {
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { version?: string }> };
  const v = (p: string) => lock.packages[`node_modules/${p}`]?.version ?? "?";
  const pg = spawnSync("psql", ["-At", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-c", "show server_version"], { encoding: "utf8" }).stdout.trim() || "?";
  const wrk = /wrk (\S+)/.exec(spawnSync("wrk", ["--version"], { encoding: "utf8" }).stdout)?.[1] ?? "?";
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  return `${cpus().length} cores (${cpus()[0]?.model.trim() ?? "?"}), Node ${process.version}, PostgreSQL ${pg}, wrk ${wrk}, hono ${v("hono")}, @hono/node-server ${v("@hono/node-server")}, drizzle-orm ${v("drizzle-orm")}, postgres.js ${v("postgres")}; load average at the start ${load} (the machine is shared)`;
}

function measured(command: string): string {
  return `Command: \`${command}\`. Measured ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC on ${machine()}.`;
}

// ---------------------------------------------------------------------------------------------
// docs/reliability.md sections

function writeSection(step: Step, body: string): void {
  const text = existsSync(DOC) ? readFileSync(DOC, "utf8") : "# Reliability\n";
  const open = `<!-- soak:${step} -->`;
  const close = `<!-- /soak:${step} -->`;
  const block = `${open}\n${body.trim()}\n${close}`;
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  const next = start >= 0 && end > start ? text.slice(0, start) + block + text.slice(end + close.length) : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(DOC, next);
}

// ---------------------------------------------------------------------------------------------
// Fuzzing through vitest

interface VitestJson {
  success: boolean;
  numTotalTests: number;
  numFailedTests: number;
  testResults: { assertionResults: { fullName: string; status: string; duration?: number; failureMessages: string[] }[] }[];
}

function vitest(step: Step, file: string, env: Record<string, string>): boolean {
  const out = join(WORK, `${step}.json`);
  const started = performance.now();
  const run = spawnSync(process.execPath, [join(ROOT, "node_modules/vitest/vitest.mjs"), "run", file, "--reporter=default", "--reporter=json", `--outputFile.json=${out}`], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: "inherit",
  });
  const wall = (performance.now() - started) / 1000;
  const report = existsSync(out) ? (JSON.parse(readFileSync(out, "utf8")) as VitestJson) : undefined;
  const command = `${Object.entries(env).map(([k, v]) => `${k}=${v} `).join("")}npx vitest run ${file}`;
  const rows = (report?.testResults ?? []).flatMap((r) => r.assertionResults).map((t) => `| ${t.fullName} | ${t.status === "passed" ? "passed" : `**${t.status}**`} | ${fmt((t.duration ?? 0) / 1000, 1)} |`);
  const failures = (report?.testResults ?? []).flatMap((r) => r.assertionResults).filter((t) => t.status === "failed").map((t) => `- ${t.fullName}: ${t.failureMessages.join(" ").split("\n")[0]!.slice(0, 400)}`);
  writeSection(step, [
    measured(command),
    "",
    `Result: ${report?.success && run.status === 0 ? "**passed**" : "**failed**"} (${report?.numTotalTests ?? 0} tests, ${report?.numFailedTests ?? "?"} failed), ${fmt(wall)} s wall time.`,
    "",
    "| test | result | seconds |",
    "|---|---|---:|",
    ...rows,
    ...(failures.length ? ["", ...failures] : []),
  ].join("\n"));
  return run.status === 0;
}

// ---------------------------------------------------------------------------------------------
// wrk

interface WrkResult {
  connections: number;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  non2xx: number;
  socket: { connect: number; read: number; write: number; timeout: number };
  /** POST script: responses with status 201. */
  created?: number;
  raw: string;
}

function ms(text: string | undefined): number {
  const m = /([\d.]+)(us|ms|s|m)\b/.exec(text ?? "");
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === "us" ? v / 1000 : m[2] === "s" ? v * 1000 : m[2] === "m" ? v * 60_000 : v;
}

function parseWrk(out: string, connections: number): WrkResult {
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    connections,
    requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? 0),
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0),
    p50: ms(/\s50%\s+(\S+)/.exec(out)?.[1]),
    p99: ms(/\s99%\s+(\S+)/.exec(out)?.[1]),
    max: ms(/Latency\s+\S+\s+\S+\s+(\S+)/.exec(out)?.[1]),
    non2xx: Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0),
    socket: { connect: Number(socket?.[1] ?? 0), read: Number(socket?.[2] ?? 0), write: Number(socket?.[3] ?? 0), timeout: Number(socket?.[4] ?? 0) },
    created: /created: (\d+)/.test(out) ? Number(/created: (\d+)/.exec(out)![1]) : undefined,
    raw: out,
  };
}

function getScript(ids: string[]): string {
  return `ids = {${ids.map((i) => `"${i}"`).join(",")}}
request = function() return wrk.format("GET", "/products/" .. ids[math.random(#ids)]) end
`;
}

const POST_SCRIPT = `local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) created = 0; counter = 0 end
function request()
  counter = counter + 1
  return wrk.format("POST", "/products", {["Content-Type"] = "application/json"}, '{"name":"Soak ' .. counter .. '","price":12.5}')
end
function response(status, headers, body) if status == 201 then created = created + 1 end end
function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do n = n + t:get("created") end
  io.write("created: " .. n .. "\\n")
end
`;

function startWrk(base: string, connections: number, seconds: number, script: string, name: string): { child: ChildProcess; done: Promise<WrkResult> } {
  const file = join(WORK, `${name}.lua`);
  writeFileSync(file, script);
  const child = spawn("wrk", ["-t1", `-c${connections}`, `-d${seconds}s`, "--timeout", "10s", "--latency", "-s", file, base], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const done = new Promise<WrkResult>((resolve) => child.once("exit", () => resolve(parseWrk(out, connections))));
  return { child, done };
}

function wrkRow(route: string, r: WrkResult): string {
  const s = r.socket;
  return `| ${route} | ${fmt(r.connections)} | ${fmt(r.requests)} | ${fmt(r.rps)} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${fmt(r.max, 1)} | ${fmt(r.non2xx)} | ${s.connect} / ${s.read} / ${s.write} / ${s.timeout} |`;
}

// ---------------------------------------------------------------------------------------------
// File descriptors

function openFilesLimit(pid: number | "self"): { soft: number; hard: number } {
  const line = readFileSync(`/proc/${pid}/limits`, "utf8").split("\n").find((l) => l.startsWith("Max open files"))!;
  const [soft, hard] = line.replace("Max open files", "").trim().split(/\s+/);
  return { soft: Number(soft), hard: Number(hard) };
}

/** Children inherit the limit: raise this process's soft limit (prlimit, util-linux) when it is too low for the run. */
function ensureOpenFiles(needed: number): string {
  const before = openFilesLimit("self");
  if (before.soft >= needed) return `soft limit ${fmt(before.soft)} open files (hard ${fmt(before.hard)}), enough for ${fmt(needed)}: nothing raised`;
  const target = Math.min(before.hard, Math.max(needed, 65_536));
  const run = spawnSync("prlimit", ["--pid", String(process.pid), `--nofile=${target}:${before.hard}`], { encoding: "utf8" });
  const after = openFilesLimit("self");
  if (run.status !== 0 || after.soft < needed) throw new Error(`open files limit ${before.soft} is below ${needed} and could not be raised (${run.stderr.trim()}); run \`ulimit -n ${needed}\` first`);
  return `soft limit raised from ${fmt(before.soft)} to ${fmt(after.soft)} open files with \`prlimit --pid <soak> --nofile=${target}:${before.hard}\` (inherited by the server and wrk)`;
}

// ---------------------------------------------------------------------------------------------
// The app under test

interface App {
  dir: string;
  /** The app's database: a connection for the soak's own queries, its URL, and where it runs. */
  db: { url: string; sql: postgres.Sql; where: string };
  server: RunningServer;
  ids: string[];
  seeded: number;
  close: () => Promise<void>;
}

/**
 * The bench app with the health plugin, on a private PostgreSQL server when one can be started:
 * the shared server on 5432 also serves other test suites, whose CREATE/DROP DATABASE
 * checkpoints stalled commits for seconds in a first run. Otherwise on a fresh database there.
 */
async function startApp(): Promise<App> {
  const dir = await prepareProjectFrom("bench/fixture", HEALTH);
  let url: string;
  let where: string;
  let drop: () => Promise<void>;
  if (!privatePostgresUnavailable()) {
    const pg = await startPrivatePostgres();
    const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
    await admin.unsafe("CREATE DATABASE soak");
    await admin.end();
    url = pg.url.replace(/\/postgres$/, "/soak");
    where = "a private PostgreSQL server (initdb + pg_ctl, default settings, max_connections 200)";
    drop = () => pg.destroy();
  } else {
    const shared = await createDatabase("yamac_soak");
    await shared.sql.end();
    url = shared.url;
    where = "a fresh database on the shared PostgreSQL server";
    drop = shared.drop;
  }
  const sql = postgres(url, { max: 2, onnotice: () => {} });
  // The application name tells the app's connections apart from the soak's own in pg_stat_activity.
  const server = await startServer(dir, { DATABASE_URL: `${url}?application_name=soak-app`, NODE_ENV: "production" });
  const seeded = 1000;
  await sql`insert into products (name, price) select 'Seed ' || g, (g % 100) + 0.5 from generate_series(1, ${seeded}) g`;
  const ids = (await sql<{ id: string }[]>`select id from products order by random() limit 500`).map((r) => r.id);
  return {
    dir,
    db: { url, sql, where },
    server,
    ids,
    seeded,
    close: async () => {
      await server.stop();
      await sql.end({ timeout: 5 });
      await drop();
      removeProject(dir);
    },
  };
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

function slope(ys: number[]): number {
  const n = ys.length;
  const mx = (n - 1) / 2;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  ys.forEach((y, x) => {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  });
  return den === 0 ? 0 : num / den;
}

// ---------------------------------------------------------------------------------------------
// Load

async function load(): Promise<boolean> {
  const fds = ensureOpenFiles(CONNECTIONS * 2 + 1000);
  const app = await startApp();
  const pid = app.server.child.pid!;
  const name = new URL(app.db.url).pathname.slice(1);
  const samples: { t: number; rss: number; pool: number }[] = [];
  const sampler = postgres(app.db.url, { max: 1, onnotice: () => {}, connection: { application_name: "soak-sampler" } });
  const sample = async (t: number) => {
    const [{ n }] = await sampler<{ n: number }[]>`select count(*)::int as n from pg_stat_activity where datname = ${name} and application_name = 'soak-app'`;
    samples.push({ t, rss: rssMb(pid), pool: n });
  };
  try {
    // Warm-up: JIT, prepared statements, pool.
    const warm = [startWrk(app.server.base, 50, 3, getScript(app.ids), "warm-get"), startWrk(app.server.base, 50, 3, POST_SCRIPT, "warm-post")];
    await Promise.all(warm.map((w) => w.done));
    // wrk exits at its deadline with requests still queued in the server: count the rows once
    // those have been written (the count holds still), so they are not taken for the run's.
    const productCount = async () => (await app.db.sql<{ n: number }[]>`select count(*)::int as n from products`)[0]!.n;
    let createdBefore = await productCount();
    for (let settled = false; !settled; ) {
      await sleep(300);
      const now = await productCount();
      settled = now === createdBefore;
      createdBefore = now;
    }
    const serverLimit = openFilesLimit(pid);
    await sample(0);
    const half = Math.floor(CONNECTIONS / 2);
    const runs = [startWrk(app.server.base, half, SECONDS, getScript(app.ids), "get"), startWrk(app.server.base, CONNECTIONS - half, SECONDS, POST_SCRIPT, "post")];
    let running = true;
    const sampling = (async () => {
      const t0 = performance.now();
      for (let i = 1; running; i++) {
        await sleep(Math.max(0, t0 + i * 1000 - performance.now()));
        if (running) await sample(i);
      }
    })();
    const [get, post] = await Promise.all(runs.map((r) => r.done));
    running = false;
    await sampling;
    const endOfLoad = samples.at(-1)!;
    for (let i = 1; i <= 10; i++) {
      await sleep(1000);
      await sample(SECONDS + i);
    }
    const rows = (await app.db.sql<{ n: number }[]>`select count(*)::int as n from products`)[0]!.n - createdBefore;
    const during = samples.filter((s) => s.t >= 1 && s.t <= SECONDS);
    const last20 = during.slice(-20).map((s) => s.rss);
    const prev20 = during.slice(-40, -20).map((s) => s.rss);
    const checked = prev20.length === 20;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const growth = checked ? ((mean(last20) - mean(prev20)) / mean(prev20)) * 100 : NaN;
    // Garbage collection swings single samples by tens of MB: on series that were flat, the mean of
    // the last 20 s moved by +6 % and a fitted trend by more than 1 MB/s from one run to the next.
    // What a leak raises is the floor: the lowest sample of a window, the memory still held after a
    // collection. So the verdict compares the floor of the last 20 s with that of the 20 s before;
    // the means and the trend over the load after its first 10 s are reported alongside.
    const floorGrowth = checked ? ((Math.min(...last20) - Math.min(...prev20)) / Math.min(...prev20)) * 100 : NaN;
    const rssSlope = slope(during.filter((s) => s.t > 10).map((s) => s.rss));
    const errors = [get!, post!].reduce((a, r) => a + r.non2xx + r.socket.connect + r.socket.read + r.socket.write + r.socket.timeout, 0);
    const stderr = app.server.stderr.join("").trim();
    const bounded = !checked || floorGrowth < 5;
    // wrk stops at its deadline without reading the answers in flight: those writes happened but were not counted.
    const unaccounted = rows - (post!.created ?? 0);
    const stored = unaccounted >= 0 && unaccounted <= post!.connections + post!.socket.timeout;
    const ok = errors === 0 && bounded && stored && app.server.child.exitCode === null;
    const series = samples.filter((s) => s.t % 5 === 0).map((s) => `${s.t} s: ${fmt(s.rss)}`).join(", ");
    writeSection("load", [
      measured(`npm run soak -- load`) + ` SOAK_CONNECTIONS=${CONNECTIONS}, SOAK_SECONDS=${SECONDS}.`,
      "",
      `App: bench/fixture with the health plugin, \`src/server.ts\` through tsx, NODE_ENV=production, pool max 10 (postgres.js), on ${app.db.where} (${fmt(app.seeded)} products). Load: two wrk processes at once for ${SECONDS} s, ${fmt(half)} connections reading products by id (random among 500) and ${fmt(CONNECTIONS - half)} creating products (validated POST), \`wrk -t1 --timeout 10s --latency\`, after a 3 s warm-up at 100 connections. Load generator and server share the 2 cores.`,
      "",
      `Result: **${ok ? "passed" : "failed"}**: ${fmt(errors)} errors (non-2xx plus socket errors), RSS ${bounded ? "bounded" : "**still growing**"}, every acknowledged write stored: ${stored ? "yes" : "**no**"}.`,
      "",
      "| route | connections | requests | req/s | p50 (ms) | p99 (ms) | max (ms) | non-2xx | socket errors (connect / read / write / timeout) |",
      "|---|---:|---:|---:|---:|---:|---:|---:|---|",
      wrkRow("GET /products/:id", get!),
      wrkRow("POST /products", post!),
      "",
      `- Server RSS (MB): start ${fmt(samples[0]!.rss)}, peak ${fmt(Math.max(...samples.map((s) => s.rss)))}, end of load ${fmt(endOfLoad.rss)}, 10 s after ${fmt(samples.at(-1)!.rss)}. ${checked ? `Last 20 s of load against the 20 s before: floor (lowest sample, what is held after a collection) ${fmt(Math.min(...last20))} vs ${fmt(Math.min(...prev20))} (${floorGrowth >= 0 ? "+" : ""}${fmt(floorGrowth, 1)} %; counted as bounded below +5 %), mean ${fmt(mean(last20))} vs ${fmt(mean(prev20))} (${growth >= 0 ? "+" : ""}${fmt(growth, 1)} %). Trend from 10 s to the end of the load: ${fmt(rssSlope, 2)} MB/s.` : "Growth not judged: the run is shorter than 40 s."}`,
      `- RSS every 5 s (MB): ${series}.`,
      `- Database connections held by the app (pg_stat_activity): at most ${Math.max(...samples.map((s) => s.pool))} (pool max 10); the other requests waited in the pool's queue.`,
      `- Writes: ${fmt(post!.created ?? 0)} POSTs answered 201, ${fmt(rows)} rows added; the ${fmt(unaccounted)} more are requests wrk stopped waiting for (in flight at its deadline, at most one per connection, or past its 10 s timeout), which it does not count as 201s.`,
      `- File descriptors: ${fds}; the server's limit: ${fmt(serverLimit.soft)}.`,
      `- Server stderr during the run: ${stderr ? `\n\n\`\`\`\n${stderr.slice(-1500)}\n\`\`\`` : "empty."}`,
    ].join("\n"));
    return ok;
  } finally {
    await sampler.end({ timeout: 5 });
    await app.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Faults

function faultRows(r: FaultReport): string[] {
  const st = (s: Record<string, number>) => Object.entries(s).map(([k, v]) => `${k}: ${fmt(v)}`).join(", ");
  return [
    `| stop mode | \`-m ${r.options.mode}\` |`,
    `| requests before the stop | ${fmt(r.before.requests)} (${st(r.before.statuses)}); p50 ${fmt(r.before.latency.p50)} ms, p99 ${fmt(r.before.latency.p99)} ms |`,
    `| failed requests from the stop until PostgreSQL accepted connections again | ${fmt(r.failuresWhileDown.requests)} (${st(r.failuresWhileDown.statuses)}) |`,
    `| latency of those failures | p50 ${fmt(r.failuresWhileDown.latency.p50, 1)} ms, p99 ${fmt(r.failuresWhileDown.latency.p99, 1)} ms, max ${fmt(r.failuresWhileDown.latency.max, 1)} ms |`,
    `| failures other than 503 DB_UNAVAILABLE / 500s / no answer | ${r.unexpectedFailures.length} / ${r.internalErrors} / ${r.unanswered} |`,
    `| readiness (/health/ready, polled every 100 ms) | 503 ${r.readiness.downAfterMs ?? "never"} ms after the stop command; 200 ${r.readiness.upAfterMs ?? "never"} ms after PostgreSQL accepted connections |`,
    `| serving again (end of the last failed request) | ${fmt(r.recoveredAfterMs)} ms after PostgreSQL accepted connections |`,
    `| requests from 1 s after the restart to the end | ${fmt(r.afterRecovery.requests)}, failed: ${r.afterRecovery.failed} |`,
    `| acknowledged writes (201) / missing afterwards | ${fmt(r.writes.acknowledged)} / ${r.writes.missing} |`,
    `| pg_ctl stop / start took | ${fmt(r.pgCtl.stopMs)} ms / ${fmt(r.pgCtl.startMs)} ms |`,
  ];
}

function faultOk(r: FaultReport): boolean {
  return (
    r.unexpectedFailures.length === 0 &&
    r.internalErrors === 0 &&
    r.unanswered === 0 &&
    r.failuresWhileDown.requests > 0 &&
    r.failuresWhileDown.latency.p99 < 2000 &&
    r.readiness.downAfterMs !== undefined &&
    (r.readiness.upAfterMs ?? Infinity) < 5000 &&
    r.recoveredAfterMs < 5000 &&
    r.afterRecovery.failed === 0 &&
    r.writes.missing === 0
  );
}

async function fault(): Promise<boolean> {
  const unavailable = privatePostgresUnavailable();
  if (unavailable) {
    writeSection("fault", `Not run: ${unavailable}.`);
    return false;
  }
  const base: Omit<FaultOptions, "mode"> = { connections: 200, beforeSeconds: 10, downSeconds: 10, afterSeconds: 10 };
  const reports: FaultReport[] = [];
  for (const mode of ["fast", "immediate"] as const) reports.push(await runDatabaseFault({ ...base, mode }));
  const ok = reports.every(faultOk);
  const timeline = reports[1]!.timeline;
  writeSection("fault", [
    measured("npm run soak -- fault"),
    "",
    `App: bench/fixture with the health plugin (tsx, NODE_ENV=production, pool max 10) on a private PostgreSQL server (initdb into a temporary folder, pg_ctl on a free port, run as the \`postgres\` user when the soak runs as root). Load: ${base.connections} keep-alive connections from a Node client that records every request, half reading a product by id, half creating one; ${base.beforeSeconds} s of load, then \`pg_ctl stop\`, ${base.downSeconds} s down, \`pg_ctl start\` (crash recovery after \`-m immediate\`), ${base.afterSeconds} s more.`,
    "",
    `Result: **${ok ? "passed" : "failed"}**.`,
    "",
    "| | |",
    "|---|---|",
    ...faultRows(reports[0]!),
    "",
    "| | |",
    "|---|---|",
    ...faultRows(reports[1]!),
    "",
    `Per second of the \`-m immediate\` run (by completion time):`,
    "",
    "| second | 2xx | 503 DB_UNAVAILABLE | other | slowest (ms) | event |",
    "|---:|---:|---:|---:|---:|---|",
    ...timeline.map((row) => `| ${row.second} | ${fmt(row.ok)} | ${fmt(row.unavailable)} | ${row.other} | ${fmt(row.maxLatencyMs)} | ${row.event ?? ""} |`),
  ].join("\n"));
  return ok;
}

// ---------------------------------------------------------------------------------------------
// Shutdown under load

function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

async function shutdown(): Promise<boolean> {
  ensureOpenFiles(CONNECTIONS * 2 + 1000);
  const app = await startApp();
  try {
    const createdBefore = (await app.db.sql<{ n: number }[]>`select count(*)::int as n from products`)[0]!.n;
    const half = Math.floor(CONNECTIONS / 2);
    const wrkSeconds = 20;
    const runs = [startWrk(app.server.base, half, wrkSeconds, getScript(app.ids), "shutdown-get"), startWrk(app.server.base, CONNECTIONS - half, wrkSeconds, POST_SCRIPT, "shutdown-post")];
    await sleep(8000);
    const port = Number(new URL(app.server.base).port);
    const exited = new Promise<number | null>((resolve) => app.server.child.once("exit", (code) => resolve(code)));
    const termAt = performance.now();
    process.kill(app.server.child.pid!, "SIGTERM");
    // The listener closes when the server's event loop gets to the signal; under this load that takes a moment.
    let refusedAfterMs: number | undefined;
    while (refusedAfterMs === undefined && app.server.child.exitCode === null && performance.now() - termAt < 10_000) {
      if (await refuses(port)) refusedAfterMs = performance.now() - termAt;
      else await sleep(50);
    }
    const refused = refusedAfterMs !== undefined;
    const code = await exited;
    const exitMs = performance.now() - termAt;
    const [get, post] = await Promise.all(runs.map((r) => r.done));
    const rows = (await app.db.sql<{ n: number }[]>`select count(*)::int as n from products`)[0]!.n - createdBefore;
    const ok = code === 0 && refused && rows === post!.created && exitMs < 10_000;
    writeSection("shutdown", [
      measured("npm run soak -- shutdown") + ` SOAK_CONNECTIONS=${CONNECTIONS}.`,
      "",
      `The same app and load as the load run (${fmt(half)} connections reading, ${fmt(CONNECTIONS - half)} writing, wrk for ${wrkSeconds} s); SIGTERM 8 s in.`,
      "",
      `Result: **${ok ? "passed" : "failed"}**: exit code ${code}, ${fmt(exitMs)} ms after SIGTERM; new connections ${refused ? `refused from ${fmt(refusedAfterMs!)} ms after SIGTERM (probed every 50 ms; the few accepted before that were served or closed idle)` : "**never refused before the exit**"}; ${fmt(post!.created ?? 0)} POSTs answered 201 and ${fmt(rows)} rows were added (${rows === post!.created ? "every write the server made was answered" : "**writes without an answer**"}).`,
      "",
      "| route | connections | requests | req/s | p50 (ms) | p99 (ms) | max (ms) | non-2xx | socket errors (connect / read / write / timeout) |",
      "|---|---:|---:|---:|---:|---:|---:|---:|---|",
      wrkRow("GET /products/:id", get!),
      wrkRow("POST /products", post!),
      "",
      "wrk keeps reconnecting for the rest of its run once the port is closed; it counts those refused reconnects as read and write errors (a server that answers every request it receives and then closes its listener gives the same counts), so they are not resets of accepted requests. The per-request accounting is in `compiler/test/shutdown.test.ts` (every request sent before SIGTERM answered 2xx, every later one answered or refused, rows = 201s).",
    ].join("\n"));
    return ok;
  } finally {
    await app.close();
  }
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => a !== "--");
  for (const w of wanted) if (!(STEPS as readonly string[]).includes(w)) throw new Error(`unknown step ${w}; steps: ${STEPS.join(", ")}`);
  const steps = wanted.length ? (wanted as Step[]) : [...STEPS];
  if (steps.some((s) => s === "load" || s === "shutdown") && spawnSync("wrk", ["--version"]).error) throw new Error("wrk is not installed: apt-get install -y wrk");
  mkdirSync(WORK, { recursive: true });
  const results: Record<string, boolean> = {};
  for (const step of steps) {
    console.log(`\n=== soak: ${step} ===`);
    try {
      results[step] =
        step === "fuzz-compiler" ? vitest(step, "compiler/test/fuzz-compiler.test.ts", { FUZZ_CASES: "25000" })
        : step === "fuzz-http" ? vitest(step, "compiler/test/fuzz-http.test.ts", { FUZZ_FULL: "1" })
        : step === "load" ? await load()
        : step === "fault" ? await fault()
        : await shutdown();
    } catch (err) {
      console.error(err);
      writeSection(step, `${measured(`npm run soak -- ${step}`)}\n\nResult: **failed to run**: ${String(err).split("\n")[0]}`);
      results[step] = false;
    }
    console.log(`soak ${step}: ${results[step] ? "passed" : "FAILED"}`);
  }
  console.log(`\n${Object.entries(results).map(([s, ok]) => `${ok ? "passed" : "FAILED"}  ${s}`).join("\n")}\nfigures written to docs/reliability.md`);
  if (Object.values(results).some((ok) => !ok)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
