/**
 * The emit cache of `yamac dev` (compiler/4-emit/cache.ts) must never change what is emitted:
 * every fixture, and a generated config, is compiled through one cache (and the parse's section
 * cache) across a series of edits (a field added to each entity, its type changed in place, a
 * value elsewhere changed, each edit undone) and each result is compared, file by file, with a
 * compile without the caches.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isMap, isScalar, parseDocument, visit } from "yaml";
import { describe, expect, it } from "vitest";
import { generateConfig } from "../../bench/generate-config.js";
import { EmitCache } from "../4-emit/cache.js";
import { SectionCache } from "../1-parse/sections.js";
import { compileText, folderHost, type CompileResult } from "../index.js";
import { OutOfScope, ScopedEntities } from "../ir-lookup.js";
import { FIXTURES, fixtureNames } from "./snapshot-lib.js";

const contents = (r: CompileResult) => {
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return new Map(r.files!.map((f) => [f.path, f.content]));
};

/** Configs that differ from `base` in one entity: a field added, its type changed in place. */
function edits(base: string, limit: number): { what: string; text: string }[] {
  const doc = parseDocument(base);
  const entities = doc.get("entities", true);
  if (!isMap(entities)) return [];
  const out: { what: string; text: string }[] = [];
  for (const pair of entities.items.slice(0, limit)) {
    const name = String((pair.key as { value: unknown }).value);
    const fields = doc.getIn(["entities", name, "fields"], true);
    if (!isMap(fields) || fields.flow || fields.items.length === 0) continue;
    const firstKey = fields.items[0]!.key as { range?: [number, number, number] };
    const at = firstKey.range![0];
    const lineStart = base.lastIndexOf("\n", at - 1) + 1;
    const indent = base.slice(lineStart, at);
    const added = (type: string) => `${base.slice(0, lineStart)}${indent}zzCacheProbe: ${type}\n${base.slice(lineStart)}`;
    out.push({ what: `${name}: a field added`, text: added("string?") }, { what: `${name}: its type changed in place`, text: added("integer?") }, { what: `${name}: undone`, text: base });
  }
  return out;
}

/**
 * Configs that differ from `base` in one value anywhere (schemas, endpoints, operations, auth…):
 * a required mark (`!`) dropped from a type, or a description changed. Edits that do not compile
 * are skipped by check().
 */
function valueEdits(base: string, limit: number): { what: string; text: string }[] {
  const out: { what: string; text: string }[] = [];
  const doc = parseDocument(base);
  // edits() changes the entities.
  const entities = (doc.get("entities", true) as { range?: number[] } | undefined)?.range;
  visit(doc, {
    Pair(_, pair) {
      if (out.length >= limit * 2 || !isScalar(pair.key) || !isScalar(pair.value) || typeof pair.value.value !== "string" || !pair.value.range) return;
      if (entities && pair.value.range[0] >= entities[0]! && pair.value.range[0] < entities[2]!) return;
      const [start, end] = pair.value.range;
      const source = base.slice(start, end);
      const replace = (text: string) => `${base.slice(0, start)}${text}${base.slice(end)}`;
      const what = `${String(pair.key.value)} at offset ${start}`;
      if (pair.key.value === "description" && pair.value.type === "PLAIN") out.push({ what: `${what}: description changed`, text: replace(`${source} edited`) }, { what: `${what}: undone`, text: base });
      else if (/^[a-z]+(\([^)]*\))?!$/.test(source)) out.push({ what: `${what}: not required`, text: replace(source.slice(0, -1)) }, { what: `${what}: undone`, text: base });
    },
  });
  return out;
}

function check(base: string, dir: string | undefined, limit: number): EmitCache["stats"] {
  const host = dir === undefined ? undefined : folderHost(dir);
  const cache = new EmitCache();
  const sectionCache = new SectionCache();
  const totals = { reused: 0, moved: 0, emitted: 0, unscoped: 0 };
  for (const step of [{ what: "first compile", text: base }, ...edits(base, limit), ...valueEdits(base, limit)]) {
    const plain = compileText(step.text, "yama.yaml", host);
    if (step.what !== "first compile" && plain.diagnostics.some((d) => d.severity === "error")) continue;
    const fresh = contents(plain);
    const cached = contents(compileText(step.text, "yama.yaml", host, { emitCache: cache, sectionCache }));
    expect([...cached.keys()], step.what).toEqual([...fresh.keys()]);
    for (const [path, text] of fresh) expect(cached.get(path), `${step.what}: ${path}`).toBe(text);
    for (const k of ["reused", "moved", "emitted", "unscoped"] as const) totals[k] += cache.stats[k];
  }
  return totals;
}

describe("emit cache", () => {
  it.each(fixtureNames())("fixture %s: the same files with and without the cache, through edits", (name) => {
    // How much is reused depends on the config (an entity named in plugin options, such as the
    // auth module's users, is in every scope); that nothing differs does not.
    check(readFileSync(join(FIXTURES, name, "yama.yaml"), "utf8"), join(FIXTURES, name), 6);
  });

  it("a generated 30-entity config: every file set stays inside its scope, and unchanged ones are reused", () => {
    const base = generateConfig(30);
    const totals = check(base, undefined, 30);
    expect(totals.unscoped).toBe(0);
    expect(totals.reused).toBeGreaterThan(0);
    // Adding a field moves the lines of every entity below it: their files are reused with the lines moved.
    expect(totals.moved).toBeGreaterThan(0);
  });

  it("an in-place edit of one entity re-emits only that entity and its neighbours", () => {
    const base = generateConfig(20);
    const cache = new EmitCache();
    compileText(base, "yama.yaml", undefined, { emitCache: cache });
    const edited = base.replace("  Thing10:\n    fields:\n      id: uuid!\n      title: string(1..200)!", "  Thing10:\n    fields:\n      id: uuid!\n      title: string(1..150)!");
    expect(edited).not.toBe(base);
    compileText(edited, "yama.yaml", undefined, { emitCache: cache });
    // Thing9, Thing10 and Thing11 (related by parent/children), and the endpoints that return them.
    expect(cache.stats.unscoped).toBe(0);
    expect(cache.stats.emitted).toBe(6);
    expect(cache.stats.reused).toBe(34);
  });

  it("a line added above the deployment settings moves them without re-emitting every file", () => {
    // The deployment settings name their config lines; here they come after the entities, so adding a field moves them.
    const text = readFileSync(join(FIXTURES, "deploy", "yama.yaml"), "utf8");
    const deployment = text.slice(text.indexOf("\ndeployment:\n") + 1, text.indexOf("\nrateLimit:\n") + 1);
    expect(deployment.startsWith("deployment:\n")).toBe(true);
    const base = `${generateConfig(12)}\n${deployment}`;
    const totals = check(base, undefined, 12);
    expect(totals.unscoped).toBe(0);
    expect(totals.moved).toBeGreaterThan(0);
    const cache = new EmitCache();
    compileText(base, "yama.yaml", undefined, { emitCache: cache });
    compileText(base.replace("  Thing6:\n    fields:\n", "  Thing6:\n    fields:\n      zzCacheProbe: string?\n"), "yama.yaml", undefined, { emitCache: cache });
    // Thing0–Thing4 and their endpoints are above the new line; Thing7 onwards below it; only Thing5–Thing7's sets change otherwise.
    expect(cache.stats.emitted).toBe(6);
    expect(cache.stats.moved).toBeGreaterThan(0);
  });

  it("a scope refuses what it does not hold", () => {
    const entities = new ScopedEntities([]);
    expect(() => entities.get("Other")).toThrow(OutOfScope);
    expect(() => [...entities]).toThrow(OutOfScope);
    expect(() => entities.size).toThrow(OutOfScope);
  });
});
