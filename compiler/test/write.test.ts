/**
 * compileProject on real folders: what is written, left alone and deleted. Every project
 * lives in a fresh folder under the repository's .yama/ (ignored by git).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileProject } from "../index.js";
import { Rebuilder } from "../dev/rebuild.js";
import { GENERATED_MARKER } from "../4-emit/writer.js";
import { RECORD_PATH } from "../5-write/record.js";
import { ROOT } from "./snapshot-lib.js";

mkdirSync(join(ROOT, ".yama"), { recursive: true });
const base = mkdtempSync(join(ROOT, ".yama", "test-write-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));

let count = 0;
/** A new project folder holding `config` as yama.yaml. */
function project(config?: string): string {
  const dir = join(base, `p${++count}`);
  mkdirSync(dir, { recursive: true });
  if (config !== undefined) writeFileSync(join(dir, "yama.yaml"), config);
  return dir;
}

/** Every file under dir but yamac's local state (.yama/): relative path → content and modification time. */
function tree(dir: string): Map<string, { content: string; mtimeMs: number }> {
  const out = new Map<string, { content: string; mtimeMs: number }>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) {
        if (full !== join(dir, ".yama")) walk(full);
      }
      else out.set(relative(dir, full).split(sep).join("/"), { content: readFileSync(full, "utf8"), mtimeMs: statSync(full).mtimeMs });
    }
  };
  walk(dir);
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
}

/** Sets every file's mtime far into the past, so any later write shows. */
function age(dir: string): void {
  const past = new Date("2001-01-01T00:00:00Z");
  for (const path of tree(dir).keys()) utimesSync(join(dir, path), past, past);
}

const compile = (dir: string) => {
  const result = compileProject(dir);
  expect(result.diagnostics.filter((d) => d.severity === "error"), JSON.stringify(result.diagnostics)).toEqual([]);
  expect(result.ok).toBe(true);
  return result.write!;
};

const BLOG = `name: blog
entities:
  Post:
    fields:
      title: string!
      tags: Tag[] through:post_tags
    crud: true
  Tag:
    fields:
      name: string!
    crud: true
`;

const BLOG_WITHOUT_TAGS = `name: blog
entities:
  Post:
    fields:
      title: string!
    crud: true
`;

const PROJECT_FILES = ["package.json", "tsconfig.json", "drizzle.config.ts"];

describe("compileProject writes", () => {
  it("a new project, then nothing on a second compile: the output is byte-identical", () => {
    const dir = project(BLOG);
    const first = compile(dir);
    expect(first.unchanged).toEqual([]);
    expect(first.deleted).toEqual([]);
    expect(first.written).toEqual(expect.arrayContaining(["src/app.ts", "src/db/tables/post.ts", "src/db/tables/tag.ts", "src/routes/tag.ts", "src/validation/tag.ts", ...PROJECT_FILES]));
    for (const path of first.written.filter((p) => p.startsWith("src/"))) {
      const text = readFileSync(join(dir, path), "utf8");
      // JSON cannot carry the comment header: generated JSON starts with an "x-generated-by" member.
      expect(path.endsWith(".json") ? text.startsWith('{\n  "x-generated-by": "yamac') : text.startsWith(GENERATED_MARKER), path).toBe(true);
    }

    age(dir);
    const before = tree(dir);
    const second = compile(dir);
    expect(second.written).toEqual([]);
    expect(second.deleted).toEqual([]);
    expect(second.skipped).toEqual(expect.arrayContaining(PROJECT_FILES));
    expect(new Set(second.unchanged)).toEqual(new Set(first.written.filter((p) => !second.skipped.includes(p))));
    expect(tree(dir)).toEqual(before);
  });

  it("in place for yamac dev: the same files, no temporary file left, unchanged files untouched", () => {
    const viaRename = project(BLOG);
    compile(viaRename);
    const dir = project(BLOG);
    const rebuilder = new Rebuilder(dir);
    expect(rebuilder.run().result.ok).toBe(true);
    age(dir);
    writeFileSync(join(dir, "yama.yaml"), BLOG.replace("title: string!", "title: string(1..80)!"));
    const second = rebuilder.run();
    expect(second.result.ok).toBe(true);
    const after = tree(dir);
    expect([...after.keys()].filter((p) => p.endsWith(".yamac-tmp"))).toEqual([]);
    const aged = new Date("2001-01-01T00:00:00Z").getTime();
    expect(second.write!.written.length).toBeGreaterThan(0);
    for (const [path, file] of after) if (path !== "yama.yaml") expect(file.mtimeMs !== aged, path).toBe(second.write!.written.includes(path));
    // Back to the first config: files get shorter (the length check goes), and are rewritten in
    // place (the same inode) to yamac compile's bytes exactly, without a leftover tail.
    const inodes = new Map(second.write!.written.map((p) => [p, statSync(join(dir, p)).ino]));
    writeFileSync(join(dir, "yama.yaml"), BLOG);
    const third = rebuilder.run();
    expect(third.result.ok).toBe(true);
    const fresh = tree(viaRename);
    const shrunk = third.write!.written.filter((p) => fresh.get(p)!.content.length < after.get(p)!.content.length);
    expect(shrunk.length).toBeGreaterThan(0);
    for (const p of third.write!.written) expect(statSync(join(dir, p)).ino, p).toBe(inodes.get(p));
    for (const [path, file] of tree(dir)) if (fresh.has(path)) expect(file.content, path).toBe(fresh.get(path)!.content);
  });

  it("in place for yamac dev, files made of parts (openapi.json, the typed client) always equal a fresh compile's", () => {
    const entity = (i: number, extra = "") => `  Thing${i}:\n    fields:\n      title: string(1..${100 + i})!\n${extra}    crud: true\n`;
    const config = (things: string[]) => `name: parts\nentities:\n${things.join("")}`;
    const base = [0, 1, 2, 3, 4, 5].map((i) => entity(i));
    const dir = project(config(base));
    const fresh = project();
    const rebuilder = new Rebuilder(dir);
    expect(rebuilder.run().result.ok).toBe(true);
    const saves = [
      // the same length (a digit for a digit), a longer and a shorter middle, an entity added and removed
      config(base.map((t, i) => (i === 3 ? t.replace("(1..103)", "(1..109)") : t))),
      config(base.map((t, i) => (i === 3 ? entity(3, "      notes: text?\n      rank: integer = 0\n") : t))),
      config(base.map((t, i) => (i === 1 ? t.replace("(1..101)", "(1..9)") : t))),
      config([...base.slice(0, 2), entity(9), ...base.slice(2)]),
      config(base.slice(1)),
      config(base),
    ];
    for (const text of saves) {
      writeFileSync(join(dir, "yama.yaml"), text);
      writeFileSync(join(fresh, "yama.yaml"), text);
      const run = rebuilder.run();
      expect(run.result.ok).toBe(true);
      expect(run.write!.written).toContain("src/openapi.json");
      compile(fresh);
      for (const path of ["src/openapi.json", "src/sdk/types.ts", "src/sdk/index.ts"]) {
        expect(readFileSync(join(dir, path), "utf8"), path).toBe(readFileSync(join(fresh, path), "utf8"));
      }
    }
    // Only what changed is written: a same-length change in the last entity rewrites its parts
    // (its path item and schemas), not the file.
    const openapi = join(dir, "src/openapi.json");
    const save = (text: string) => {
      writeFileSync(join(dir, "yama.yaml"), text);
      writeFileSync(join(fresh, "yama.yaml"), text);
      expect(rebuilder.run().write!.written).toContain("src/openapi.json");
      compile(fresh);
      expect(readFileSync(openapi, "utf8")).toBe(readFileSync(join(fresh, "src/openapi.json"), "utf8"));
      return rebuilder.partsOnDisk.lastWrite("src/openapi.json")!;
    };
    const size = statSync(openapi).size;
    const patch = save(config(base.map((t, i) => (i === 5 ? t.replace("(1..105)", "(1..106)") : t))));
    expect(patch.offset).toBeGreaterThan(size / 2);
    expect(patch.bytes).toBeLessThan(size / 10);
    // A file changed by something else (an editor, a checkout), even to the same size, is written whole.
    writeFileSync(openapi, readFileSync(openapi, "utf8").replace('"openapi": "3.1.0"', '"openapi": "3.1.9"'));
    const whole = save(config(base));
    expect(whole).toEqual({ offset: 0, bytes: statSync(openapi).size });
  });

  it("nothing at all when a config has errors", () => {
    const dir = project("entities:\n  Post:\n    fields:\n      title: strng!\n");
    const result = compileProject(dir);
    expect(result.ok).toBe(false);
    expect(result.diagnostics.map((d) => d.code)).toEqual(["unknown-type"]);
    expect(result.write).toBeUndefined();
    expect([...tree(dir).keys()]).toEqual(["yama.yaml"]);
  });

  it("nothing when an already compiled project's config gets an error", () => {
    const dir = project(BLOG);
    compile(dir);
    writeFileSync(join(dir, "yama.yaml"), BLOG_WITHOUT_TAGS.replace("string!", "strng!"));
    age(dir);
    const before = tree(dir);
    expect(compileProject(dir).ok).toBe(false);
    expect(tree(dir)).toEqual(before);
  });
});

describe("the record of the last write (.yama/written.json)", () => {
  const recorded = (dir: string) => Object.keys((JSON.parse(readFileSync(join(dir, RECORD_PATH), "utf8")) as { files: Record<string, unknown> }).files);

  it("lists every generated file, and is written only by a compile that wrote", () => {
    const dir = project(BLOG);
    const first = compile(dir);
    expect(new Set(recorded(dir))).toEqual(new Set(first.written.filter((p) => !PROJECT_FILES.includes(p) && p !== ".gitignore")));
    const failing = project("entities:\n  Post:\n    fields:\n      title: strng!\n");
    expect(compileProject(failing).ok).toBe(false);
    expect(existsSync(join(failing, RECORD_PATH))).toBe(false);
    expect(compileProject(dir, { check: true }).ok).toBe(true);
  });

  it("does not hide a generated file edited by hand: it is compared and rewritten", () => {
    const dir = project(BLOG);
    compile(dir);
    const path = join(dir, "src/routes/tag.ts");
    const generated = readFileSync(path, "utf8");
    // The same size, so only the modification time tells it apart from what the record holds.
    writeFileSync(path, generated.replace("Tag", "Gat"));
    const second = compile(dir);
    expect(second.written).toEqual(["src/routes/tag.ts"]);
    expect(readFileSync(path, "utf8")).toBe(generated);
    expect(compile(dir).written).toEqual([]);
  });

  it("does not let yamac overwrite a file that replaced a generated one", () => {
    const dir = project(BLOG);
    compile(dir);
    writeFileSync(join(dir, "src/routes/tag.ts"), "// mine now\n");
    const result = compileProject(dir);
    expect(result.ok).toBe(false);
    expect(result.diagnostics.filter((d) => d.severity === "error").map((d) => d.code)).toEqual(["not-generated"]);
    expect(readFileSync(join(dir, "src/routes/tag.ts"), "utf8")).toBe("// mine now\n");
  });

  it("follows config changes, and a missing or broken record only costs reading the files", () => {
    const dir = project(BLOG);
    compile(dir);
    writeFileSync(join(dir, "yama.yaml"), BLOG.replace("name: string!", "name: string(1..40)!"));
    const changed = compile(dir);
    expect(changed.written).toEqual(expect.arrayContaining(["src/validation/tag.ts", "src/openapi.json"]));
    expect(changed.written).not.toContain("src/routes/post.ts");
    const fresh = project(BLOG.replace("name: string!", "name: string(1..40)!"));
    compile(fresh);
    for (const [path, file] of tree(fresh)) expect(readFileSync(join(dir, path), "utf8"), path).toBe(file.content);
    expect(compile(dir).written).toEqual([]);
    for (const broken of ["{not json", JSON.stringify({ version: 99, files: {} }), JSON.stringify({ version: 1, files: { "src/app.ts": [1, 2] } })]) {
      writeFileSync(join(dir, RECORD_PATH), broken);
      const again = compile(dir);
      expect(again.written).toEqual([]);
      expect(again.unchanged.length).toBeGreaterThan(10);
    }
    rmSync(join(dir, ".yama"), { recursive: true });
    expect(compile(dir).written).toEqual([]);
    expect(recorded(dir).length).toBeGreaterThan(10);
  });
});

describe("files yamac did not write", () => {
  it("in the way of an output fail the compile, and nothing is written or deleted", () => {
    const dir = project(BLOG);
    compile(dir);
    const mine = "// my own app\nexport const app = 1;\n";
    writeFileSync(join(dir, "src/app.ts"), mine);
    // This compile would also rewrite post.ts and delete the Tag files, were it not refused.
    writeFileSync(join(dir, "yama.yaml"), BLOG_WITHOUT_TAGS.replace("title: string!", "title: string!\n      body: text"));
    age(dir);
    const before = tree(dir);

    const result = compileProject(dir);
    expect(result.ok).toBe(false);
    expect(result.write).toBeUndefined();
    const errors = result.diagnostics.filter((d) => d.severity === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: "not-generated", location: { file: "src/app.ts", line: 1, col: 1 } });
    expect(errors[0]!.message).toContain("src/app.ts");
    expect(tree(dir)).toEqual(before);
    expect(readFileSync(join(dir, "src/app.ts"), "utf8")).toBe(mine);
  });

  it("are kept when an entity is removed, while its generated files are deleted", () => {
    const dir = project(BLOG);
    compile(dir);
    const tagFiles = ["src/db/tables/tag.ts", "src/db/tables/post-tags.ts", "src/routes/tag.ts", "src/validation/tag.ts"];
    for (const path of tagFiles) expect(existsSync(join(dir, path)), path).toBe(true);
    const userFiles = {
      "src/routes/custom.ts": "export const custom = true;\n",
      "src/db/tables/notes.ts": "// notes about tables\n",
      "src/README.md": `${GENERATED_MARKER}? no, written by hand\n`,
      "handlers/tag.ts": "export default () => 1;\n",
    };
    for (const [path, content] of Object.entries(userFiles)) {
      mkdirSync(join(dir, path, ".."), { recursive: true });
      writeFileSync(join(dir, path), content);
    }

    const generated = new Set([...tree(dir)].filter(([, f]) => f.content.startsWith(GENERATED_MARKER)).map(([p]) => p));
    writeFileSync(join(dir, "yama.yaml"), BLOG_WITHOUT_TAGS);
    const result = compile(dir);
    // The Tag files, and any other file that no longer has a reason to exist (e.g. the relations module).
    expect(result.deleted).toEqual(expect.arrayContaining(tagFiles));
    for (const path of result.deleted) {
      expect(generated.has(path), path).toBe(true);
      expect(existsSync(join(dir, path)), path).toBe(false);
    }
    for (const [path, content] of Object.entries(userFiles)) expect(readFileSync(join(dir, path), "utf8"), path).toBe(content);
    expect(existsSync(join(dir, "src/db/tables/post.ts"))).toBe(true);
    expect(readFileSync(join(dir, "src/app.ts"), "utf8")).not.toMatch(/tag/i);
    expect([...tree(dir).keys()].filter((p) => p.endsWith(".yamac-tmp"))).toEqual([]);
  });
});

describe("package.json, tsconfig.json and drizzle.config.ts", () => {
  it("are written only when missing; an existing package.json is never overwritten", () => {
    const dir = project(BLOG);
    const pkg = '{ "name": "mine", "private": true }\n';
    writeFileSync(join(dir, "package.json"), pkg);
    const first = compile(dir);
    expect(first.skipped).toContain("package.json");
    expect(first.written).toEqual(expect.arrayContaining(["tsconfig.json", "drizzle.config.ts"]));
    expect(readFileSync(join(dir, "package.json"), "utf8")).toBe(pkg);

    const tsconfig = "{}\n";
    writeFileSync(join(dir, "tsconfig.json"), tsconfig);
    rmSync(join(dir, "drizzle.config.ts"));
    writeFileSync(join(dir, "yama.yaml"), BLOG_WITHOUT_TAGS);
    const second = compile(dir);
    expect(second.written).toContain("drizzle.config.ts");
    expect(second.skipped).toEqual(expect.arrayContaining(["package.json", "tsconfig.json"]));
    expect(existsSync(join(dir, "drizzle.config.ts"))).toBe(true);
    expect(readFileSync(join(dir, "package.json"), "utf8")).toBe(pkg);
    expect(readFileSync(join(dir, "tsconfig.json"), "utf8")).toBe(tsconfig);
  });
});
