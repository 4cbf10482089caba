/**
 * Parsing section by section (1-parse/sections.ts, used by `yamac dev`) must give exactly what
 * parsing the whole text gives: the same value, the same diagnostics and the same position for
 * every key and value. Checked on every fixture and example, on mutated fixtures, and on layouts
 * where cutting the text at its keys would change its meaning.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { describe, expect, it } from "vitest";
import { parseConfig, type ConfigPath, type ParsedConfig } from "../1-parse/parse.js";
import { SectionCache } from "../1-parse/sections.js";
import { DiagnosticBag } from "../diagnostics.js";
import { generateConfig } from "../../bench/generate-config.js";
import { compileText } from "../index.js";
import { fuzzCase, generator } from "./fuzz-lib.js";
import { ROOT } from "./harness.js";
import { FIXTURES, fixtureNames } from "./snapshot-lib.js";

const seeds = [
  ...fixtureNames().map((name) => ({ name, text: readFileSync(join(FIXTURES, name, "yama.yaml"), "utf8") })),
  { name: "examples/shop", text: readFileSync(join(ROOT, "examples", "shop", "yama.yaml"), "utf8") },
];

/** Every path in a parsed value, each followed by a child that does not exist. */
function pathsOf(value: unknown, path: ConfigPath = [], out: ConfigPath[] = []): ConfigPath[] {
  out.push(path, [...path, "no-such-key"]);
  if (Array.isArray(value)) value.forEach((item, i) => pathsOf(item, [...path, i], out));
  else if (value !== null && typeof value === "object") for (const [key, child] of Object.entries(value)) pathsOf(child, [...path, key], out);
  return out;
}

/** Parses `text` both ways and fails on the first difference; returns the section parse's statistics. */
function bothWays(text: string, cache: SectionCache, label: string): SectionCache["stats"] {
  const wholeBag = new DiagnosticBag();
  const whole = parseConfig("yama.yaml", text, wholeBag);
  const sectionBag = new DiagnosticBag();
  const sections = parseConfig("yama.yaml", text, sectionBag, cache);
  expect(sectionBag.sorted(), label).toEqual(wholeBag.sorted());
  expect(sections === undefined, label).toBe(whole === undefined);
  if (whole && sections) {
    expect(isDeepStrictEqual(sections.value, whole.value), `${label}: value`).toBe(true);
    for (const path of pathsOf(whole.value)) {
      for (const part of ["key", "value"] as const) {
        const a = sections.locate(path, part);
        const b = whole.locate(path, part);
        if (!isDeepStrictEqual(a, b)) expect({ label, path, part, location: a }).toEqual({ label, path, part, location: b });
      }
    }
  }
  return cache.stats;
}

describe("parsing section by section", () => {
  it("gives what parsing the whole text gives, on every fixture and example", () => {
    const cache = new SectionCache();
    for (const { name, text } of seeds) {
      const stats = bothWays(text, cache, name);
      // The fixtures are written in the plain layout that can be cut.
      expect(stats.whole, name).toBe(false);
    }
  });

  it("parses only the entity a save changed, and puts every position where it is in the file", () => {
    const cache = new SectionCache();
    const base = generateConfig(30);
    expect(bothWays(base, cache, "generated").whole).toBe(false);
    const added = base.replace("  Thing7:\n    fields:\n", "  Thing7:\n    fields:\n      extra: string?\n");
    const stats = bothWays(added, cache, "a field added");
    expect(stats.parsed).toBe(1);
    expect(stats.reused).toBeGreaterThan(30);
    // Thing8 did not change, but it is a line further down: its positions say so.
    const parsed = parseConfig("yama.yaml", added, new DiagnosticBag(), cache) as ParsedConfig;
    const line = added.split("\n").indexOf("  Thing8:") + 1;
    expect(parsed.locate(["entities", "Thing8"], "key")).toMatchObject({ line, col: 3 });
  });

  it("compiles to the same files with the cache as without it", () => {
    const cache = new SectionCache();
    for (const { name, text } of seeds) {
      const plain = compileText(text, "yama.yaml");
      const cached = compileText(text, "yama.yaml", undefined, { sectionCache: cache });
      expect(cached.diagnostics, name).toEqual(plain.diagnostics);
      expect(cached.files?.map((f) => [f.path, f.content]), name).toEqual(plain.files?.map((f) => [f.path, f.content]));
    }
  });

  it("parses the whole text where the sections are not independent", () => {
    const cases: Record<string, string> = {
      "an alias of an anchor in another section": "name: a\ndefaults: &d\n  x: 1\nentities:\n  A:\n    <<: *d\n    fields:\n      id: uuid!\n",
      "an alias between two entities": "entities:\n  A: &a\n    fields:\n      id: uuid!\n  B: *a\n",
      "two documents": "name: a\n---\nentities: {}\n",
      "a directive": "%YAML 1.2\n---\nname: a\n",
      "a quoted string over two lines, continued in column 0": "name: \"a\nb\"\nversion: 1\n",
      "a flow list over two lines, closed in column 0": "name: [a,\nb]\nversion: 1\n",
      "a duplicate top-level key": "name: a\nentities:\n  A:\n    fields:\n      id: uuid!\nname: b\n",
      "a duplicate entity": "entities:\n  A:\n    fields:\n      id: uuid!\n  A:\n    fields:\n      id: uuid!\n",
      "a list in column 0 under its key": "name: a\nendpoints:\n- path: /x\n  method: GET\nversion: 1\n",
      "a list under a cut-able key": "plugins:\n  - a\n  - b\n",
      "a child less indented than the first": "entities:\n    A:\n      fields: {}\n  B:\n    fields: {}\n",
      "a comment in column 0 between entities": "entities:\n  A:\n    fields:\n      id: uuid!\n# B is next\n  B:\n    fields:\n      id: uuid!\n",
      "a kept block scalar before the next entity": "entities:\n  A:\n    description: |+\n      text\n\n  B:\n    fields: {}\n",
      "a tab in the indentation": "entities:\n\tA: {}\n",
      "carriage returns": "name: a\r\nversion: 1\r\n",
      "a number as a key": "entities:\n  1:\n    fields: {}\n  \"1\":\n    fields: {}\n",
      "__proto__ as a key": "entities:\n  __proto__:\n    fields: {}\n",
      "a merge key among the entities": "entities:\n  <<: {A: {fields: {}}}\n  B:\n    fields: {}\n",
      "a key with a tag": "entities: !!map\n  A: {}\n",
      "a key with an anchor": "entities: &e\n  A: {}\nother: *e\n",
      "an explicit key": "? name\n: a\n",
      "a byte order mark": "\uFEFFname: a\n",
      "only comments": "# nothing here\n",
      "an empty file": "",
      "a plain value continued in column 0": "name: a\nb\nversion: 1\n",
      "a syntax error in one entity": "entities:\n  A:\n    fields: [\n  B:\n    fields: {}\n",
      "no final newline": "name: a\nentities:\n  A:\n    fields:\n      id: uuid!",
      "a value too deep": `entities:\n  A: ${"[".repeat(70)}${"]".repeat(70)}\n`,
    };
    const cache = new SectionCache();
    for (const [label, text] of Object.entries(cases)) bothWays(text, cache, label);
  });

  it("agrees with the whole parse where lines start or end with YAML indicators, lose their indentation or are split", () => {
    const cache = new SectionCache();
    const starts = ["", " ", "  ", "- ", "-", "? ", ": ", '"', "'", "[", "{", "]", "}", "&x ", "*x ", "!!str ", "| ", "> ", "---", "...", "#", "%", "<<: ", "\t"];
    const ends = [' "', " '", " [", " {", " ]", " }", " |", " >", " |+", " &x", " *x", " #c", ":", ": ", " - x", ",", " !!map"];
    for (let i = 0; i < Number(process.env.FUZZ_CASES ?? 2500); i++) {
      const r = generator(0x51ec7 + i);
      const seed = r.pick(seeds);
      const lines = seed.text.split("\n");
      for (let k = 1 + r.int(3); k > 0; k--) {
        const at = r.int(lines.length);
        const line = lines[at]!;
        switch (r.int(4)) {
          case 0: lines[at] = r.pick(starts) + line.trimStart(); break;
          case 1: lines[at] = line + r.pick(ends); break;
          case 2: lines[at] = line.trimStart(); break;
          default: { const pos = r.int(line.length + 1); lines.splice(at, 1, line.slice(0, pos), line.slice(pos)); }
        }
      }
      bothWays(lines.join("\n"), cache, `layout case ${i} (${seed.name})`);
    }
  }, 600_000);

  it("agrees with the whole parse on mutated fixtures", () => {
    const cache = new SectionCache();
    const cases = Number(process.env.FUZZ_CASES ?? 2500) / 5;
    for (let i = 0; i < cases; i++) {
      const { seed, text } = fuzzCase(i, seeds);
      bothWays(text, cache, `case ${i} (${seed})`);
    }
  }, 600_000);
});
