/**
 * Compiler fuzzing: every fixture mutated in thousands of ways (deleted, duplicated and retyped
 * keys, wrong indentation, random unicode, huge numbers, deep nesting, anchors and merge keys)
 * plus a few pathological files (10 MB, alias bombs). Every outcome must be a successful compile
 * or error diagnostics whose line:col lies inside the file; nothing may throw, and no case may
 * take long. A sample also goes through the CLI: exit 0 or exit 1 with `file:line:col`
 * diagnostics, never a stack trace.
 *
 * The case count is FUZZ_CASES (default 2,500 here; `npm run soak` runs 25,000).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileText } from "../index.js";
import { FIXTURES, fixtureNames } from "./snapshot-lib.js";
import { fuzzCase, generator, mutate } from "./fuzz-lib.js";
import { ROOT } from "./harness.js";

const CASES = Number(process.env.FUZZ_CASES ?? 2500);
/** Generous per-case bound (a shared CI core): fixtures compile in about 20 ms, the deepest nesting cases in about 1.5 s. */
const CASE_BUDGET_MS = 5000;

interface Outcome {
  ok: boolean;
  ms: number;
}

function check(text: string, label: string): Outcome {
  const started = performance.now();
  let result;
  try {
    result = compileText(text, "yama.yaml");
  } catch (err) {
    throw new Error(`compileText threw on ${label}: ${(err as Error).stack}\n--- input ---\n${text.slice(0, 2000)}`);
  }
  const ms = performance.now() - started;
  const lineCount = text.split(/\r\n|\r|\n/).length;
  for (const d of result.diagnostics) {
    if (d.location.line < 1 || d.location.line > lineCount + 1 || d.location.col < 1) {
      throw new Error(`${label}: ${d.code} at ${d.location.line}:${d.location.col} is outside the file (${lineCount} lines)`);
    }
  }
  if (!result.ok && !result.diagnostics.some((d) => d.severity === "error")) throw new Error(`${label}: failed without an error diagnostic`);
  return { ok: result.ok, ms };
}

const seeds = () => fixtureNames().map((name) => ({ name, text: readFileSync(join(FIXTURES, name, "yama.yaml"), "utf8") }));

describe("compiler fuzzing", () => {
  it(`survives ${CASES} mutated fixtures`, () => {
    const all = seeds();
    let compiled = 0;
    let slowest = { ms: 0, label: "" };
    for (let i = 0; i < CASES; i++) {
      const { seed, text } = fuzzCase(i, all);
      const label = `case ${i} (${seed})`;
      const outcome = check(text, label);
      if (outcome.ok) compiled++;
      if (outcome.ms > slowest.ms) slowest = { ms: outcome.ms, label };
    }
    expect(slowest.ms, `slowest: ${slowest.label}`).toBeLessThan(CASE_BUDGET_MS);
    // The mutations must exercise both outcomes, or the fuzzer is not testing much.
    expect(compiled).toBeGreaterThan(CASES * 0.02);
    expect(compiled).toBeLessThan(CASES * 0.95);
  }, 600_000);

  it("handles pathological files", () => {
    const base = readFileSync(join(FIXTURES, "shop", "yama.yaml"), "utf8");
    const huge = "# " + "x".repeat(120) + "\n";
    const cases: Array<[string, string]> = [
      ["10 MB of comments around a real config", base + huge.repeat(Math.ceil(10_000_000 / huge.length))],
      ["a 10 MB string value", base.replace(/^name: .*$/m, `name: "${"n".repeat(10_000_000)}"`)],
      ["10 MB of one line", "entities: " + "[".repeat(5_000_000) + "]".repeat(5_000_000)],
      ["a billion laughs", ["a: &a [x, x, x, x, x, x, x, x, x]", ...Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(", ")}]`), "entities: *j"].join("\n")],
      ["30,000 keys", "entities:\n  Post:\n    fields:\n" + Array.from({ length: 30_000 }, (_, i) => `      f${i}: string`).join("\n")],
      ["deep block nesting", Array.from({ length: 3000 }, (_, i) => `${" ".repeat(i)}k${i}:`).join("\n") + " 1"],
      ["only a BOM", "\uFEFF"],
      ["binary noise", Array.from({ length: 100_000 }, (_, i) => String.fromCharCode((i * 7919) % 256)).join("")],
    ];
    for (const [label, text] of cases) {
      const outcome = check(text, label);
      expect(outcome.ms, label).toBeLessThan(30_000);
    }
  }, 300_000);

  it("answers bad configs on the command line with exit 1 and file:line:col, never a stack trace", () => {
    const all = seeds();
    const dir = mkdtempSync(join(tmpdir(), "yamac-fuzz-"));
    try {
      for (let i = 0; i < 12; i++) {
        const r = generator(7 + i * 31);
        const seed = r.pick(all);
        const lines = seed.text.split("\n");
        for (let k = 2 + r.int(3); k > 0; k--) mutate(lines, r);
        writeFileSync(join(dir, "yama.yaml"), lines.join("\n"));
        const run = spawnSync(process.execPath, [join(ROOT, "bin/yamac.js"), "check", dir], { encoding: "utf8", timeout: 60_000, env: { ...process.env, NO_COLOR: "1" } });
        const output = run.stdout + run.stderr;
        expect(run.signal, `case ${i} timed out`).toBeNull();
        expect([0, 1], `case ${i}: exit ${run.status}\n${output}`).toContain(run.status);
        expect(output, `case ${i}`).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
        if (run.status === 1) expect(output).toMatch(/yama\.yaml:\d+:\d+: error/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
