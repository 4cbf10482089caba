import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { compileText, folderHost } from "../index.js";
import { describe, expect, it } from "vitest";
import { expectedFiles, fixtureNames, materialize, ROOT, snapshotFiles } from "./snapshot-lib.js";

const names = fixtureNames();

describe("golden snapshots", () => {
  it.each(names)("%s compiles to exactly its snapshot", (name) => {
    const expected = expectedFiles(name);
    const actual = snapshotFiles(name);
    expect([...actual.keys()], "file list differs: run `npm run snapshots:update` and review the diff").toEqual([...expected.keys()].sort());
    for (const [path, content] of expected) expect(actual.get(path), `${name}/${path}`).toBe(content);
  });

  it("compiling twice gives byte-identical output", () => {
    for (const name of names) expect(expectedFiles(name)).toEqual(expectedFiles(name));
  });

  it.each(names.filter((n) => snapshotFiles(n).has("tsconfig.json")))("snapshots/%s passes tsc --strict (with the fixture's handlers)", (name) => {
    const tsc = join(ROOT, "node_modules/.bin/tsc");
    const dir = materialize(name, join(ROOT, ".yama", "typecheck", name));
    try {
      execFileSync(tsc, ["--noEmit", "-p", dir], { encoding: "utf8", stdio: "pipe" });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      throw new Error(`tsc failed for snapshots/${name}:\n${e.stdout ?? ""}${e.stderr ?? ""}`);
    }
  }, 120_000);
});

describe("fixtures", () => {
  it.each(names)("%s compiles without errors", (name) => {
    const log = expectedFiles(name).get("yamac.log")!;
    expect(log).not.toMatch(/: error:/);
  });
});

describe("examples", () => {
  it("examples/shop/src is what its yama.yaml compiles to (regenerate with `yamac compile examples/shop`)", () => {
    const dir = join(ROOT, "examples/shop");
    const result = compileText(readFileSync(join(dir, "yama.yaml"), "utf8"), "yama.yaml", folderHost(dir));
    expect(result.ok).toBe(true);
    for (const f of result.files!.filter((f) => f.path.startsWith("src/"))) {
      expect(existsSync(join(dir, f.path)) ? readFileSync(join(dir, f.path), "utf8") : undefined, f.path).toBe(f.content);
    }
  });
});
