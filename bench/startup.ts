/**
 * `npm run bench:startup`: time from spawning the emitted server to its first 200, on
 * PostgreSQL, on PGlite with a new data directory and on PGlite reopening an existing one.
 * Uses the app prepared by `npm run bench` (.yama/bench/app).
 */
import { spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildProject } from "../compiler/build.js";
import { compileProject } from "../compiler/index.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const APP = join(ROOT, ".yama", "bench", "app");
const DB_URL = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/yamac_bench";

async function firstOk(env: Record<string, string>, port: number, bundled = false): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, bundled ? ["dist/node/server.mjs"] : ["--import", "tsx", "src/server.ts"], { cwd: APP, env: { ...process.env, ...env, PORT: String(port), HOST: "127.0.0.1" }, stdio: "ignore" });
  try {
    for (;;) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/products?limit=1`);
        if (res.status === 200) return performance.now() - started;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 20));
      if (performance.now() - started > 60_000) throw new Error("no 200 within 60 s");
    }
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
}

if (!existsSync(APP)) throw new Error("run `npm run bench` first: it prepares .yama/bench/app");
const dataDir = join(APP, ".yama", "startup-data");
const runs = Number(process.env.RUNS ?? 3);
const compiled = compileProject(APP);
await buildProject(APP, compiled.ir!, { out: "dist", minify: false, sourcemap: false });
const rows: [string, number[]][] = [];
for (const bundled of [false, true]) {
  const how = bundled ? "bundle (`yamac build`, plain node)" : "src/ through tsx";
  const pg: number[] = [];
  const fresh: number[] = [];
  const reopen: number[] = [];
  for (let i = 0; i < runs; i++) {
    pg.push(await firstOk({ DATABASE_URL: DB_URL }, 3401, bundled));
    rmSync(dataDir, { recursive: true, force: true });
    fresh.push(await firstOk({ DATABASE_URL: "", YAMA_DATA_DIR: dataDir }, 3402, bundled));
    reopen.push(await firstOk({ DATABASE_URL: "", YAMA_DATA_DIR: dataDir }, 3403, bundled));
  }
  rows.push([`${how}: PostgreSQL`, pg], [`${how}: PGlite, new data directory`, fresh], [`${how}: PGlite, existing data directory`, reopen]);
}
console.log("| database | first 200 after spawn, median of " + runs + " (ms) | all runs (ms) |\n|---|---:|---|");
for (const [name, xs] of rows) {
  const sorted = [...xs].sort((a, b) => a - b);
  console.log(`| ${name} | ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} | ${xs.map((x) => x.toFixed(0)).join(", ")} |`);
}
