/**
 * `npx tsx bench/watch.ts [entities]`: the recompile `yamac dev` does after a one-entity change,
 * on a generated config (200 entities by default): parse → analyze → lower → emit in memory, then
 * the incremental write (only changed files written). Median and each run, in one warm process,
 * as the watcher runs it. Prints which phase takes the time.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Rebuilder } from "../compiler/dev/rebuild.js";
import { generateConfig } from "./generate-config.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const entities = Number(process.argv[2] ?? 200);
const runs = Number(process.env.RUNS ?? 7);
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

/** Times `runs` saves of `edit(i)` (each a one-entity change) through the watcher's rebuild. */
function measure(title: string, edit: (i: number) => string): void {
  const rows: { total: number; compile: number; write: number; written: number }[] = [];
  for (let i = 0; i < runs; i++) {
    writeFileSync(join(dir, "yama.yaml"), edit(i));
    const r = rebuilder.run();
    if (!r.result.ok) throw new Error(JSON.stringify(r.result.diagnostics));
    rows.push({ total: r.compileMs + r.writeMs, compile: r.compileMs, write: r.writeMs, written: r.write!.written.length });
  }
  console.log(`${title} (${entities} entities, ${runs} saves, warm process):`);
  console.log(`  recompile + write, median ${Math.round(median(rows.map((r) => r.total)))} ms (compile ${Math.round(median(rows.map((r) => r.compile)))} ms, write ${Math.round(median(rows.map((r) => r.write)))} ms)`);
  console.log(`  runs: ${rows.map((r) => Math.round(r.total)).join(", ")} ms; files written per save: ${rows.map((r) => r.written).join(", ")}`);
}

// A field's length changes in place: no line moves, so only that entity's files (and the
// project-wide ones that describe it) change.
measure("one field changed in place", (i) => base.replace(`  ${target}:\n    fields:\n      id: uuid!\n      title: string(1..200)!`, `  ${target}:\n    fields:\n      id: uuid!\n      title: string(1..${150 + (i % 2)})!`));
// A field is added: every entity below it moves down a line, and generated files name the config
// line they come from, so their headers change too.
measure("one field added", (i) => base.replace(`  ${target}:\n    fields:\n`, `  ${target}:\n    fields:\n      extra${i}: string?\n`));
rmSync(dir, { recursive: true, force: true });
