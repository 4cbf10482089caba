/**
 * `npx tsx bench/watch.ts [entities] [--dev]`: the recompile `yamac dev` does after a one-entity
 * change, on a generated config (200 entities by default): parse → analyze → lower → emit in
 * memory (reusing the files of unchanged entities, 4-emit/cache.ts), then the incremental write
 * (only changed files written). Median and each run, in one warm process, as the watcher runs it.
 * Environment: RUNS (7) saves measured per kind of change, after WARMUP (5).
 *
 * With --dev it also runs `yamac dev` on fixtures/one-entity (PostgreSQL when DATABASE_URL is set,
 * else PGlite) and times save → serving for one-entity changes without and with a schema change,
 * from the timings dev prints.
 */
import { spawn } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Rebuilder } from "../compiler/dev/rebuild.js";
import { generateConfig } from "./generate-config.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const entities = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 200);
const runs = Number(process.env.RUNS ?? 7);
const PAUSE_MS = Number(process.env.PAUSE_MS ?? 4000);
const WARMUP = Number(process.env.WARMUP ?? 5);
const dir = join(ROOT, ".yama", `bench-watch-${entities}`);
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const base = generateConfig(entities);
writeFileSync(join(dir, "yama.yaml"), base);

const rebuilder = new Rebuilder(dir);
const first = rebuilder.run();
if (!first.result.ok) throw new Error(JSON.stringify(first.result.diagnostics));
console.log(`first compile: ${first.result.files!.length} files, ${Math.round(first.compileMs + first.writeMs)} ms`);

const target = `Thing${Math.floor(entities / 2)}`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Times `runs` saves of `edit(i)` (each a one-entity change) through the watcher's rebuild, after
 * `WARMUP` saves that are not counted: a dev session compiles many times, and its first few
 * compiles also pay for V8 optimising the compiler's code.
 */
function measure(title: string, edit: (i: number) => string): void {
  const rows: { total: number; compile: number; write: number; written: number }[] = [];
  for (let i = 0; i < WARMUP; i++) {
    writeFileSync(join(dir, "yama.yaml"), edit(i));
    if (!rebuilder.run().result.ok) throw new Error("a warm-up save did not compile");
  }
  for (let i = 0; i < runs; i++) {
    writeFileSync(join(dir, "yama.yaml"), edit(WARMUP + i));
    const r = rebuilder.run();
    if (!r.result.ok) throw new Error(JSON.stringify(r.result.diagnostics));
    rows.push({ total: r.compileMs + r.writeMs, compile: r.compileMs, write: r.writeMs, written: r.write!.written.length });
  }
  console.log(`${title} (${entities} entities, ${runs} saves, warm process):`);
  console.log(`  recompile + write, median ${Math.round(median(rows.map((r) => r.total)))} ms (compile ${Math.round(median(rows.map((r) => r.compile)))} ms, write ${Math.round(median(rows.map((r) => r.write)))} ms)`);
  console.log(`  runs: ${rows.map((r) => Math.round(r.total)).join(", ")} ms; files written per save: ${rows.map((r) => r.written).join(", ")}`);
  const s = rebuilder.emitCache.stats;
  console.log(`  emit cache at the last save: ${s.reused} file sets reused, ${s.moved} reused with their config lines moved, ${s.emitted} emitted, ${s.unscoped} emitted outside their scope`);
}

// A field's length changes in place: no line moves, so only that entity's files (and the
// project-wide ones that describe it) change.
measure("one field changed in place", (i) => base.replace(`  ${target}:\n    fields:\n      id: uuid!\n      title: string(1..200)!`, `  ${target}:\n    fields:\n      id: uuid!\n      title: string(1..${150 + (i % 2)})!`));
// A field is added: every entity below it moves down a line, and generated files name the config
// line they come from, so their headers change too.
measure("one field added", (i) => base.replace(`  ${target}:\n    fields:\n`, `  ${target}:\n    fields:\n      extra${i}: string?\n`));
// Each save adds one more field: every entity below moves down a line again, so their files
// (which name their config line) are emitted and written again on every save.
measure("a field added on every save (the lines below move each time)", (i) => base.replace(`  ${target}:\n    fields:\n`, `  ${target}:\n    fields:\n${Array.from({ length: i + 1 }, (_, k) => `      more${k}: string?\n`).join("")}`));
rmSync(dir, { recursive: true, force: true });

if (process.argv.includes("--dev")) await measureDev();

/** save → serving through `yamac dev`, read from the line it prints after each restart. */
async function measureDev(): Promise<void> {
  const project = join(ROOT, ".yama", "bench-dev");
  rmSync(project, { recursive: true, force: true });
  cpSync(join(ROOT, "fixtures", "one-entity"), project, { recursive: true });
  const config = join(project, "yama.yaml");
  const original = readFileSync(config, "utf8");
  const child = spawn(process.execPath, [join(ROOT, "bin/yamac.js"), "dev", project, "--port", String(30000 + Math.floor(Math.random() * 20000))], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
  child.stderr.setEncoding("utf8").on("data", (c: string) => (out += c));
  const served = async (count: number) => {
    while ((out.match(/from save/g) ?? []).length < count) {
      if (child.exitCode !== null) throw new Error(out);
      await new Promise((r) => setTimeout(r, 20));
    }
    return [...out.matchAll(/: (\d+) ms from save \((.*)\)/g)].at(-1)!;
  };
  await served(1);
  const saves = (title: string, edit: (i: number) => string, first: number) => async () => {
    const rows: string[] = [];
    const totals: number[] = [];
    for (let i = 0; i < runs; i++) {
      // Saves a few seconds apart, as a person edits: the standby process has loaded by then.
      await new Promise((r) => setTimeout(r, PAUSE_MS));
      writeFileSync(config, edit(i));
      const m = await served(first + i + 1);
      totals.push(Number(m[1]));
      rows.push(`${m[1]} ms (${m[2]})`);
    }
    console.log(`yamac dev, ${title} (${process.env.DATABASE_URL ? "PostgreSQL" : "PGlite"}): save → serving median ${median(totals)} ms`);
    for (const r of rows) console.log(`  ${r}`);
  };
  // No schema change: the page size of the CRUD list (validation, routes, OpenAPI).
  await saves("one entity, no schema change", (i) => original.replace("    crud: true", `    crud:\n      pagination:\n        limit: ${20 + (i % 2) + 1}`), 1)();
  // A schema change: a new column, so a migration is generated and applied.
  await saves("one entity, a new column", (i) => original.replace("      pinned: boolean = false\n", `      pinned: boolean = false\n${Array.from({ length: i + 1 }, (_, k) => `      extra${k}: string?\n`).join("")}`), 1 + runs)();
  child.kill("SIGINT");
  await new Promise((r) => child.once("exit", r));
  rmSync(project, { recursive: true, force: true });
}
