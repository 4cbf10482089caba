/**
 * `npm run bench:startup`: time from spawning the emitted server to its first 200, for src/ run
 * through tsx and for the `yamac build` bundle, on PostgreSQL and on PGlite:
 * - PGlite, first start on this machine: no template yet, so the start runs initdb and makes the
 *   template (.yama/pglite-template) first;
 * - PGlite, new data directory: the spare copy beside the template renamed into place (what a
 *   new data directory gets once an earlier one was made on the machine);
 * - PGlite, new data directory without a spare: copied from the template;
 * - PGlite, existing data directory: a restart.
 * Besides wall time it reports the server's main-thread CPU time at its first 200 (from
 * /proc/<pid>/task/<pid>/stat), which moves much less than wall time when other processes share
 * the machine's cores.
 *
 * Uses the app of `npm run bench` (.yama/bench/app) when present, otherwise compiles the bench
 * fixture there and migrates BENCH_DATABASE_URL (postgres://postgres@127.0.0.1:5432/yamac_bench).
 * Environment: RUNS (3).
 */
import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { buildProject } from "../compiler/build.js";
import { compileProject } from "../compiler/index.js";
import { generateProjectMigration } from "../compiler/migrate/generate.js";
import { makeSpare, spareOf } from "../runtime-lib/pglite.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const APP = join(ROOT, ".yama", "bench", "app");
const DB_URL = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/yamac_bench";
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

interface Sample {
  wall: number;
  /** CPU time of the server's main thread at its first 200 (ms). */
  main: number;
}

/** Compiles the bench fixture into .yama/bench/app and creates its tables on PostgreSQL (no rows). */
async function prepare(): Promise<void> {
  mkdirSync(APP, { recursive: true });
  cpSync(join(ROOT, "bench/fixture/yama.yaml"), join(APP, "yama.yaml"));
  if (!compileProject(APP).ok) throw new Error("the bench fixture does not compile");
  await generateProjectMigration(APP, { folder: "drizzle", allowDestructive: false });
  const name = new URL(DB_URL).pathname.slice(1);
  const admin = postgres(DB_URL.replace(`/${name}`, "/postgres"), { max: 1, onnotice: () => {} });
  if ((await admin`select 1 from pg_database where datname = ${name}`).length === 0) await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.end();
  execFileSync(process.execPath, ["--import", "tsx", "src/migrate.ts"], { cwd: APP, env: { ...process.env, DATABASE_URL: DB_URL }, stdio: "ignore" });
}

function mainThreadMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/task/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

async function firstOk(env: Record<string, string>, port: number, bundled: boolean): Promise<Sample> {
  const started = performance.now();
  const child = spawn(process.execPath, bundled ? ["dist/node/server.mjs"] : ["--import", "tsx", "src/server.ts"], { cwd: APP, env: { ...process.env, ...env, PORT: String(port), HOST: "127.0.0.1" }, stdio: "ignore" });
  try {
    for (;;) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/products?limit=1`);
        if (res.status === 200) return { wall: performance.now() - started, main: mainThreadMs(child.pid!) };
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 10));
      if (performance.now() - started > 60_000) throw new Error("no 200 within 60 s");
    }
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
}

if (!existsSync(join(APP, "yama.yaml"))) await prepare();
const dataDir = join(APP, ".yama", "startup-data");
const template = join(APP, ".yama", "startup-template");
const pglite = { DATABASE_URL: "", YAMA_DATA_DIR: dataDir, YAMA_PGLITE_TEMPLATE: template };
const runs = Number(process.env.RUNS ?? 3);
const compiled = compileProject(APP);
await buildProject(APP, compiled.ir!, { out: "dist", minify: false, sourcemap: false });
const load = loadavg()[0]!.toFixed(1);
const rows: [string, string, Sample[]][] = [];
for (const bundled of [false, true]) {
  const how = bundled ? "bundle (`yamac build`, plain node)" : "src/ through tsx";
  const cases: Record<string, Sample[]> = { pg: [], firstEver: [], copy: [], spare: [], reopen: [] };
  const spare = spareOf(template);
  for (let i = 0; i < runs; i++) {
    cases.pg!.push(await firstOk({ DATABASE_URL: DB_URL }, 3401, bundled));
    for (const dir of [template, spare, dataDir]) rmSync(dir, { recursive: true, force: true });
    cases.firstEver!.push(await firstOk(pglite, 3402, bundled));
    for (const dir of [spare, dataDir]) rmSync(dir, { recursive: true, force: true });
    cases.copy!.push(await firstOk(pglite, 3403, bundled));
    rmSync(dataDir, { recursive: true, force: true });
    // As an earlier start that made a new data directory leaves it.
    await makeSpare(template);
    cases.spare!.push(await firstOk(pglite, 3404, bundled));
    cases.reopen!.push(await firstOk(pglite, 3405, bundled));
  }
  rows.push(
    [how, "PostgreSQL", cases.pg!],
    [how, "PGlite, first start on the machine (initdb, makes the template)", cases.firstEver!],
    [how, "PGlite, new data directory, no spare yet (copy of the template)", cases.copy!],
    [how, "PGlite, new data directory (the template's spare copy, renamed)", cases.spare!],
    [how, "PGlite, existing data directory", cases.reopen!],
  );
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`${cpus().length} cores, Node ${process.version}, load average ${load} (1 min) before the runs, median of ${runs}:\n`);
console.log("| how | database | first 200 (ms) | runs (ms) | main-thread CPU (ms) |\n|---|---|---:|---|---:|");
for (const [how, db, xs] of rows) {
  console.log(`| ${how} | ${db} | ${median(xs.map((x) => x.wall)).toFixed(0)} | ${xs.map((x) => x.wall.toFixed(0)).join(", ")} | ${median(xs.map((x) => x.main)).toFixed(0)} |`);
}
