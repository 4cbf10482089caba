/**
 * `npm run bench:compile`: wall time and peak memory of `yamac compile` for generated configs
 * of 10, 50, 200 and 1,000 entities, each compile in a fresh process (as a user runs it).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateConfig } from "./generate-config.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const sizes = (process.argv[2] ?? "10,50,200,1000").split(",").map(Number);
const runs = Number(process.env.RUNS ?? 3);

interface Row {
  entities: number;
  files: number;
  coldMs: number;
  warmMs: number;
  peakMb: number;
}

function timeCompile(dir: string): { ms: number; peakMb: number; out: string } {
  const started = performance.now();
  const res = spawnSync("/usr/bin/time", ["-f", "%M", process.execPath, join(ROOT, "bin/yamac.js"), "compile", dir], { encoding: "utf8" });
  const ms = performance.now() - started;
  if (res.status !== 0) throw new Error(`compile failed:\n${res.stdout}${res.stderr}`);
  const kb = Number(res.stderr.trim().split("\n").at(-1));
  return { ms, peakMb: kb / 1024, out: res.stdout };
}

const rows: Row[] = [];
for (const n of sizes) {
  const dir = join(ROOT, ".yama", "bench-compile", String(n));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "yama.yaml"), generateConfig(n));
  // Cold: an empty project (every file written). Warm: recompiling an unchanged project.
  const cold = timeCompile(dir);
  const files = Number(/(\d+) written/.exec(cold.out)?.[1] ?? 0);
  const warm: number[] = [];
  let peak = cold.peakMb;
  for (let i = 0; i < runs; i++) {
    const r = timeCompile(dir);
    warm.push(r.ms);
    peak = Math.max(peak, r.peakMb);
  }
  warm.sort((a, b) => a - b);
  rows.push({ entities: n, files, coldMs: cold.ms, warmMs: warm[Math.floor(warm.length / 2)]!, peakMb: peak });
}

console.log("| entities | files | first compile (ms) | recompile, median (ms) | peak RSS (MB) | growth vs previous size |");
console.log("|---:|---:|---:|---:|---:|---|");
rows.forEach((r, i) => {
  const prev = rows[i - 1];
  const growth = prev ? `${(r.warmMs / prev.warmMs).toFixed(2)}× time for ${(r.entities / prev.entities).toFixed(0)}× entities` : "";
  console.log(`| ${r.entities} | ${r.files} | ${r.coldMs.toFixed(0)} | ${r.warmMs.toFixed(0)} | ${r.peakMb.toFixed(0)} | ${growth} |`);
});
