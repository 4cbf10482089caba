/**
 * The machine's locale does not change what yamac emits. Names here sort differently in
 * Lithuanian collation ("y" sorts with "i", so /yaks comes before /kites) than in English: OpenAPI
 * paths, typed-client declarations, imports and the order routes are mounted in would follow the
 * locale if the compiler sorted with `localeCompare`.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "./harness.js";
import { filesUnder } from "./snapshot-lib.js";

const CONFIG = `name: zoo
version: 0.1.0

entities:
  Kite:
    fields:
      id: uuid!
      label: string!
    crud: true
  Yak:
    fields:
      id: uuid!
      name: string!
      kite: Kite
    crud: true
  Ibis:
    fields:
      id: uuid!
      name: string!
    crud: true
`;

mkdirSync(join(ROOT, ".yama"), { recursive: true });
const base = mkdtempSync(join(ROOT, ".yama", "test-locale-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** Compiles CONFIG through the CLI in a process started with `locale`; every file of its src/, by path under src/. */
function compileUnder(locale: string): Map<string, string> {
  const dir = join(base, locale.replace(/\W/g, "_"));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "yama.yaml"), CONFIG);
  const env = { ...process.env, LANG: locale, LC_ALL: locale };
  const res = spawnSync(process.execPath, [join(ROOT, "bin/yamac.js"), "compile", dir], { env, encoding: "utf8", timeout: 60_000 });
  expect(res.status, res.stderr).toBe(0);
  return filesUnder(join(dir, "src"));
}

describe("the locale", () => {
  it("emits the same bytes under Lithuanian and English collation", () => {
    // The premise: this Node sorts these names differently by locale.
    expect(["/kites", "/yaks"].sort(new Intl.Collator("lt").compare)).toEqual(["/yaks", "/kites"]);
    const english = compileUnder("en_US.UTF-8");
    const lithuanian = compileUnder("lt_LT.UTF-8");
    expect([...lithuanian.keys()].sort()).toEqual([...english.keys()].sort());
    for (const [path, text] of english) expect(lithuanian.get(path), path).toBe(text);
    // And the English order is the one used: /kites before /yaks in the OpenAPI document.
    const openapi = english.get("openapi.json")!;
    expect(openapi.indexOf('"/kites"')).toBeLessThan(openapi.indexOf('"/yaks"'));
  }, 120_000);
});
