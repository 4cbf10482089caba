/**
 * `npm run bench`: the app compiled from bench/fixture against the hand-written reference in
 * bench/reference, side by side on the same PostgreSQL database and data. Load comes from wrk
 * (Debian package `wrk`) pinned to CPU 1, the servers to CPU 0; the two apps are measured
 * alternately (A B A B …) and reported as ratios. Results go to bench/RESULTS.md.
 *
 * Environment: BENCH_ROUNDS (3), BENCH_SECONDS (5), BENCH_CONNECTIONS (50),
 * BENCH_DATABASE_URL (postgres://postgres@127.0.0.1:5432/yamac_bench), BENCH_ROUTES (a
 * comma-separated subset of route names' first words, e.g. "GET,POST").
 *
 * Besides req/s, each run records the server's CPU time per request (user + system, from
 * /proc): on a machine shared with other work, req/s moves with whatever else runs, while CPU
 * time per request is what the code itself costs. After the alternating rounds, each route is
 * also run side by side (both apps loaded at once, so both see the same machine) and the CPU
 * time per request and p99 of the two compared round by round. The products a POST run creates
 * are deleted after it, so every run sees the seeded 10,000.
 */
import { execFile, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import postgres from "postgres";
import { compileProject } from "../compiler/index.js";
import { generateProjectMigration } from "../compiler/migrate/generate.js";
import { cpuSeconds, fmt, median, resetPeakRss, ROOT, type Route, routes, type Sample, type Server, sh, start, wrk, wrkArgs, wrkSample } from "./load.js";

const APP = join(ROOT, ".yama", "bench", "app");
const DB_URL = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/yamac_bench";
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const PRODUCTS = 10_000;
const REVIEWS = 50_000;

async function prepare(): Promise<string[]> {
  rmSync(APP, { recursive: true, force: true });
  mkdirSync(APP, { recursive: true });
  cpSync(join(ROOT, "bench/fixture/yama.yaml"), join(APP, "yama.yaml"));
  const compiled = compileProject(APP);
  if (!compiled.ok) throw new Error(`bench fixture does not compile: ${JSON.stringify(compiled.diagnostics)}`);
  await generateProjectMigration(APP, { folder: "drizzle", allowDestructive: false });

  const name = new URL(DB_URL).pathname.slice(1);
  const admin = postgres(DB_URL.replace(`/${name}`, "/postgres"), { max: 1, onnotice: () => {} });
  await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.end();
  // The emitted runner applies the emitted migrations: both apps see the same schema and indexes.
  sh(process.execPath, ["--import", "tsx", "src/migrate.ts"], { DATABASE_URL: DB_URL }, APP);
  const sql = postgres(DB_URL, { max: 1, onnotice: () => {} });
  await sql`insert into products (name, description, price, featured, created_at)
    select 'Product ' || g || case when g % 7 = 0 then ' anvil' else '' end, 'A fine product number ' || g, (g % 1000) + 0.99, g % 5 = 0, now() - (g || ' minutes')::interval
    from generate_series(1, ${PRODUCTS}) g`;
  await sql`insert into reviews (product_id, rating, body, created_at)
    select p.id, 1 + (r % 5), 'Review ' || r, now() - (r || ' seconds')::interval
    from (select id, row_number() over (order by id) as n from products) p
    join generate_series(1, ${REVIEWS}) r on (r % ${PRODUCTS}) + 1 = p.n`;
  await sql`analyze`;
  const ids = (await sql<{ id: string }[]>`select id from products order by random() limit 500`).map((r) => r.id);
  await sql.end();
  return ids;
}

/**
 * Both apps loaded at the same time, each by its own wrk (half the connections each): whatever
 * else the machine does in those seconds slows both alike, so their CPU time per request and their
 * latencies compare more steadily than in runs minutes apart. Returns [emitted, reference].
 */
async function sideBySide(emitted: Server, reference: Server, route: Route, seconds: number): Promise<[Sample, Sample]> {
  const script = join(ROOT, ".yama", "bench", "side.lua");
  writeFileSync(script, route.script);
  const run = promisify(execFile);
  const apps = [emitted, reference];
  const before = apps.map((a) => cpuSeconds(a.child.pid!));
  for (const a of apps) resetPeakRss(a.child.pid!);
  const outs = await Promise.all(apps.map((a) => run("taskset", wrkArgs(a, script, seconds, Math.ceil(CONNECTIONS / 2)))));
  return [wrkSample(outs[0]!.stdout, emitted, before[0]!), wrkSample(outs[1]!.stdout, reference, before[1]!)];
}


async function main(): Promise<void> {
  if (spawnSync("wrk", ["--version"]).error) throw new Error("wrk is not installed: apt-get install -y wrk");
  console.log("preparing: compile, migrate, seed …");
  const ids = await prepare();
  const emitted = await start("emitted", ["src/server.ts"], APP, 3201, { DATABASE_URL: DB_URL });
  const reference = await start("reference", [join(ROOT, "bench/reference/server.ts")], ROOT, 3202, { DATABASE_URL: DB_URL });
  const apps = [reference, emitted];
  const table: string[] = [];
  try {
    const only = process.env.BENCH_ROUTES?.split(",").map((r) => r.trim().toLowerCase());
    const rs = routes(ids).filter((r) => !only || only.includes(r.name.split(" ")[0]!.toLowerCase()));
    // POST adds tens of thousands of products a run: removed after each, so every round of the
    // search list scans the same 10,000 rows (it grew round by round before).
    const db = postgres(DB_URL, { max: 1, onnotice: () => {} });
    const afterRun = async (route: Route) => {
      if (route.method !== "POST") return;
      await db`delete from products where name like 'Bench %'`;
      await db`vacuum analyze products`;
    };
    for (const route of rs) {
      for (const app of apps) wrk(app, route, 2, CONNECTIONS); // warm-up: JIT, prepared statements, pool
      await afterRun(route);
    }
    const samples = new Map<string, { emitted: Sample[]; reference: Sample[] }>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const route of rs) {
        const s = samples.get(route.name) ?? { emitted: [], reference: [] };
        // Alternate which app goes first, so neither always gets the warmer machine.
        const order = round % 2 === 0 ? apps : [...apps].reverse();
        for (const app of order) {
          s[app.name as "emitted" | "reference"].push(wrk(app, route, SECONDS, CONNECTIONS));
          await afterRun(route);
        }
        samples.set(route.name, s);
        console.log(`round ${round + 1}/${ROUNDS} ${route.name}: emitted ${fmt(s.emitted.at(-1)!.rps)} req/s (${fmt(s.emitted.at(-1)!.cpuUs)} µs CPU/req), reference ${fmt(s.reference.at(-1)!.rps)} req/s (${fmt(s.reference.at(-1)!.cpuUs)} µs CPU/req)`);
      }
    }
    const side = new Map<string, [Sample, Sample][]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const route of rs) {
        const pair = await sideBySide(emitted, reference, route, SECONDS);
        await afterRun(route);
        side.set(route.name, [...(side.get(route.name) ?? []), pair]);
        console.log(`side by side ${round + 1}/${ROUNDS} ${route.name}: CPU µs/req emitted ${fmt(pair[0].cpuUs)}, reference ${fmt(pair[1].cpuUs)}; p99 ms emitted ${fmt(pair[0].p99, 2)}, reference ${fmt(pair[1].p99, 2)}`);
      }
    }
    table.push("| route | emitted req/s | reference req/s | ratio min–median–max | emitted p50 / p99 (ms) | reference p50 / p99 (ms) | p99 ratio (median) | server CPU µs/req emitted / reference (ratio) | side by side: CPU µs/req emitted / reference (ratio min–median–max) | side by side: p99 emitted / reference (ms; ratio min–median–max) | peak RSS emitted / reference (MB) | non-2xx |");
    table.push("|---|---:|---:|---|---|---|---:|---|---|---|---|---:|");
    for (const [name, s] of samples) {
      const ratios = s.emitted.map((e, i) => e.rps / s.reference[i]!.rps);
      const p99s = s.emitted.map((e, i) => e.p99 / s.reference[i]!.p99);
      const pairs = side.get(name)!;
      const range = (xs: number[]) => `${fmt(Math.min(...xs), 2)}–${fmt(median(xs), 2)}–${fmt(Math.max(...xs), 2)}`;
      const sideText = `${fmt(median(pairs.map((p) => p[0].cpuUs)))} / ${fmt(median(pairs.map((p) => p[1].cpuUs)))} (${range(pairs.map(([e, r]) => r.cpuUs / e.cpuUs))})`;
      const sideP99 = `${fmt(median(pairs.map((p) => p[0].p99)), 2)} / ${fmt(median(pairs.map((p) => p[1].p99)), 2)} (${range(pairs.map(([e, r]) => e.p99 / r.p99))})`;
      table.push(
        `| ${name} | ${fmt(median(s.emitted.map((x) => x.rps)))} | ${fmt(median(s.reference.map((x) => x.rps)))} | ${fmt(Math.min(...ratios), 2)}–${fmt(median(ratios), 2)}–${fmt(Math.max(...ratios), 2)} | ${fmt(median(s.emitted.map((x) => x.p50)), 2)} / ${fmt(median(s.emitted.map((x) => x.p99)), 2)} | ${fmt(median(s.reference.map((x) => x.p50)), 2)} / ${fmt(median(s.reference.map((x) => x.p99)), 2)} | ${fmt(median(p99s), 2)} | ${fmt(median(s.emitted.map((x) => x.cpuUs)))} / ${fmt(median(s.reference.map((x) => x.cpuUs)))} (${fmt(median(s.reference.map((x) => x.cpuUs)) / median(s.emitted.map((x) => x.cpuUs)), 2)}) | ${sideText} | ${sideP99} | ${fmt(Math.max(...s.emitted.map((x) => x.peakMb)))} / ${fmt(Math.max(...s.reference.map((x) => x.peakMb)))} | ${s.emitted.reduce((a, x) => a + x.errors, 0)} / ${s.reference.reduce((a, x) => a + x.errors, 0)} |`,
      );
    }
    table.push("", "Peak RSS per route: the server's largest resident set during that route's alternating runs (VmHWM, reset before each run).");
    await db.end();
  } finally {
    for (const app of apps) app.child.kill("SIGTERM");
  }
  const versions = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { version?: string }> };
  const v = (p: string) => versions.packages[`node_modules/${p}`]?.version ?? "?";
  const pg = sh("psql", ["-At", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-c", "show server_version"]).trim();
  const machine = `${cpus().length} cores (${cpus()[0]?.model ?? "?"}), Node ${process.version}, PostgreSQL ${pg}, hono ${v("hono")}, drizzle-orm ${v("drizzle-orm")}, postgres.js ${v("postgres")}, zod ${v("zod")}`;
  const report = [
    `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench\` (${ROUNDS} rounds × ${SECONDS} s per route and app, wrk -t1 -c${CONNECTIONS} on CPU 1, servers on CPU 0, pool of 10 connections each, ${PRODUCTS.toLocaleString("en")} products and ${REVIEWS.toLocaleString("en")} reviews).`,
    `Machine: ${machine}. Load average before the run: ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}.`,
    "",
    ...table,
  ].join("\n");
  console.log(`\n${report}`);
  writeFileSync(join(ROOT, ".yama", "bench", "last-run.md"), report + "\n");
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
