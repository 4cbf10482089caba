/**
 * `node bin/yamac.js` as users run it: exit codes, plain output when piped, init → compile.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FIXTURES, ROOT } from "./snapshot-lib.js";

mkdirSync(join(ROOT, ".yama"), { recursive: true });
const base = mkdtempSync(join(ROOT, ".yama", "test-cli-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** Runs the CLI from the repository root with stdout and stderr piped. */
function yamac(...args: string[]): ReturnType<typeof yamacWith> {
  return yamacWith({}, ...args);
}

function yamacWith(extraEnv: Record<string, string>, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env, ...extraEnv };
  delete env.NO_COLOR;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["bin/yamac.js", ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** A project folder (relative to the repository root) holding `config` as yama.yaml. */
function project(name: string, config?: string): string {
  const dir = join(base, name);
  mkdirSync(dir, { recursive: true });
  if (config !== undefined) writeFileSync(join(dir, "yama.yaml"), config);
  return relative(ROOT, dir);
}

const ANSI = /\x1b\[/;

describe.concurrent("yamac CLI", () => {
  it("--version prints the package version", async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    const r = await yamac("--version");
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it("build --target docker bundles the Node entry the image runs, and names a missing build script", async () => {
    const dir = project("docker-build", "name: boxed\nversion: 1.0.0\nentities:\n  Note:\n    fields: { id: uuid!, title: string! }\n    crud: true\n");
    expect((await yamac("compile", dir)).status).toBe(0);
    const r = await yamac("build", dir, "--target", "docker");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("dist/node/server.mjs");
    expect(r.stdout).toContain("docker build");
    expect(r.stderr).toContain("package.json has no build script");
    expect(existsSync(join(ROOT, dir, "Dockerfile"))).toBe(true);
    expect(JSON.parse(readFileSync(join(ROOT, dir, "dist", "manifest.json"), "utf8"))).toMatchObject({ targets: ["node"] });
  }, 60_000);

  it("--help exits 0 with the usage", async () => {
    const r = await yamac("--help");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Usage: yamac <command>");
  });

  it("an unknown command or option is a usage error (exit 2)", async () => {
    const command = await yamac("frobnicate");
    expect(command.status).toBe(2);
    expect(command.stderr).toContain('unknown command "frobnicate"');
    expect((await yamac("check", "--frobnicate")).status).toBe(2);
  });

  it("check on a bad config exits 1 with plain file:line:col diagnostics", async () => {
    const dir = project("bad", "entities:\n  Post:\n    fields:\n      title: strng!\n      done: boolean = maybe\n");
    const r = await yamac("check", dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^yama\.yaml:4:14: error: unknown type "strng" for field Post\.title \[unknown-type\]$/m);
    expect(r.stderr).toMatch(/^yama\.yaml:5:23: error: default "maybe" is not true or false/m);
    expect(r.stderr).toContain('  = hint: did you mean "string"?');
    expect(r.stderr).toContain("2 errors");
    expect(r.stderr).not.toMatch(ANSI);
    expect(r.stdout).toBe("");
    expect(existsSync(join(ROOT, dir, "src"))).toBe(false);
  });

  it("init creates a yama.yaml that checks and compiles", async () => {
    const dir = relative(ROOT, join(base, "new-api"));
    const init = await yamac("init", dir);
    expect(init.status).toBe(0);
    expect(init.stdout).toContain("created");
    expect(existsSync(join(ROOT, dir, "yama.yaml"))).toBe(true);

    const check = await yamac("check", dir);
    expect(check.status).toBe(0);
    expect(check.stdout).toContain(": ok (1 entities");
    expect(existsSync(join(ROOT, dir, "src"))).toBe(false);

    const compile = await yamac("compile", dir);
    expect(compile.status).toBe(0);
    expect(compile.stderr).toBe("");
    expect(existsSync(join(ROOT, dir, "src/app.ts"))).toBe(true);

    const again = await yamac("init", dir);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain("already exists");
  });

  it("compile on a good project exits 0 and reports what it wrote", async () => {
    const dir = project("good", readFileSync(join(FIXTURES, "one-entity", "yama.yaml"), "utf8"));
    const first = await yamac("compile", dir);
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/^compiled .*good: \d+ written, 0 unchanged in \d+ ms$/m);
    expect(existsSync(join(ROOT, dir, "src/server.ts"))).toBe(true);
    const second = await yamac("compile", dir);
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/: 0 written, \d+ unchanged/);
  });
});

describe("yamac check with auth", () => {
  it("lists the routes that are public", () => {
    const res = spawnSync(process.execPath, [join(ROOT, "bin/yamac.js"), "check", join(ROOT, "fixtures/auth")], { encoding: "utf8" });
    expect(res.status).toBe(0);
    expect(res.stdout).toContain("public routes (no authentication):");
    expect(res.stdout).toContain("  GET /posts\n");
    expect(res.stdout).toContain("  GET /public/ping");
    expect(res.stdout).not.toContain("POST /posts");
    // The docs routes answer without credentials too (in development, without a docs: key).
    expect(res.stdout).toContain("public docs (when NODE_ENV=development): GET /openapi.json, GET /docs");
  });
});

describe("the CLI's bundle", () => {
  const manifest = join(ROOT, "node_modules/.cache/yamac/cli.json");
  const read = () => JSON.parse(readFileSync(manifest, "utf8")) as { dir: string; inputs: Record<string, number> };

  it("runs the same CLI as the sources, and is rebuilt when a source it was built from changes", async () => {
    const fromSource = await yamacWith({ YAMAC_FROM_SOURCE: "1" }, "--help");
    const bundled = await yamac("--help");
    expect(bundled).toEqual(fromSource);
    const first = read();
    // The recipe (bin/yamac.js) and the packages bundled in (yaml, zod) are inputs too; files under node_modules are not, one by one.
    expect(Object.keys(first.inputs)).toEqual(expect.arrayContaining(["bin/yamac.js", "compiler/cli.ts", "compiler/1-parse/parse.ts", "compiler/4-emit/routes.ts", "node_modules/yaml/package.json", "node_modules/zod/package.json"]));
    expect(Object.keys(first.inputs).filter((file) => file.startsWith("node_modules/") && !file.endsWith("/package.json"))).toEqual([]);
    expect((await yamac("--version")).status).toBe(0);
    expect(read().dir).toBe(first.dir);

    // A newer modification time on one source (its content unchanged): the next run builds anew.
    const source = join(ROOT, "compiler/paths.ts");
    const { atime } = statSync(source);
    utimesSync(source, atime, new Date(Date.now() - 1000));
    const after = await yamac("--version");
    expect(after.status).toBe(0);
    expect(read().dir).not.toBe(first.dir);
    expect(read().inputs["compiler/paths.ts"]).toBe(statSync(source).mtimeMs);

    // A recorded bundle that is gone is built again.
    rmSync(join(ROOT, "node_modules/.cache/yamac", read().dir), { recursive: true, force: true });
    expect((await yamac("--version")).status).toBe(0);
    expect(existsSync(join(ROOT, "node_modules/.cache/yamac", read().dir, "cli.js"))).toBe(true);
  });
});
