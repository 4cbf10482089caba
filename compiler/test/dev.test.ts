/**
 * `yamac dev` as a user runs it: started on a copy of a fixture with a free port, it serves;
 * a saved change (a new field, a new entity, a handler file) is swapped into the running dev host
 * (same pid); a broken save prints diagnostics, and a handler that throws when loaded is refused,
 * while the last good build keeps answering; a change of src/lib restarts the server (new pid);
 * SIGINT exits 0 and leaves no process behind. On PostgreSQL (DATABASE_URL) and on the PGlite
 * default; a project with a Redis rate limiter restarts on every change.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isWatched, swapBlocker } from "../dev/command.js";
import { compileProject } from "../index.js";
import { Rebuilder } from "../dev/rebuild.js";
import { call, createDatabase, freePort, freshRedisUrl, removeProject, ROOT } from "./harness.js";

interface Dev {
  child: ChildProcess;
  dir: string;
  base: string;
  log: () => string;
  /** Resolves when the log contains `text` after `from` characters (the part printed since then). */
  waitFor: (text: string | RegExp, from?: number, ms?: number) => Promise<string>;
}

async function startDev(fixture: string, env: Record<string, string>): Promise<Dev> {
  mkdirSync(join(ROOT, ".yama"), { recursive: true });
  const dir = mkdtempSync(join(ROOT, ".yama", `dev-${fixture}-`));
  cpSync(join(ROOT, "fixtures", fixture), dir, { recursive: true });
  const port = await freePort();
  const inherited = { ...process.env };
  delete inherited.DATABASE_URL;
  delete inherited.YAMA_DATA_DIR;
  const child = spawn(process.execPath, [join(ROOT, "bin/yamac.js"), "dev", dir, "--port", String(port)], { cwd: ROOT, env: { ...inherited, HOST: "127.0.0.1", NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.setEncoding("utf8").on("data", (c: string) => (out += c));
  child.stderr!.setEncoding("utf8").on("data", (c: string) => (out += c));
  const waitFor = (text: string | RegExp, from = 0, ms = 120_000) =>
    new Promise<string>((resolve, reject) => {
      const started = Date.now();
      const poll = setInterval(() => {
        const part = out.slice(from);
        if (typeof text === "string" ? part.includes(text) : text.test(part)) {
          clearInterval(poll);
          resolve(part);
        } else if (Date.now() - started > ms || child.exitCode !== null) {
          clearInterval(poll);
          reject(new Error(`timed out waiting for ${String(text)}:\n${out}`));
        }
      }, 50);
    });
  return { child, dir, base: `http://127.0.0.1:${port}`, log: () => out, waitFor };
}

const lastPid = (text: string) => Number([...text.matchAll(/\(pid (\d+)\)/g)].at(-1)?.[1]);
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Processes whose working directory is `dir` (the server and its standby run there), read from /proc. */
function processesIn(dir: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) === dir) out.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

async function sigint(dev: Dev): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => dev.child.once("exit", (code) => resolve(code)));
  dev.child.kill("SIGINT");
  return exited;
}

describe("yamac dev", () => {
  it("restarts instead of swapping builds when a module opens queue connections, even without workers", () => {
    mkdirSync(join(ROOT, ".yama"), { recursive: true });
    const dir = mkdtempSync(join(ROOT, ".yama", "dev-queue-"));
    try {
      const config = (plugins: string) => `name: q\n${plugins}entities:\n  Note:\n    fields:\n      body: text!\n    crud: true\n`;
      writeFileSync(join(dir, "yama.yaml"), config(""));
      expect(compileProject(dir).ok).toBe(true);
      expect(swapBlocker(dir)).toBeUndefined();
      writeFileSync(join(dir, "yama.yaml"), config('plugins:\n  "@betagors/yama-queue-bullmq":\n    queues: [{name: exports}]\n'));
      expect(compileProject(dir).ok).toBe(true);
      expect(swapBlocker(dir)).toBe("src/plugins/queue.ts imports ../lib/queue.js");
    } finally {
      removeProject(dir);
    }
  });

  it("watches only the config, overlays and user files", () => {
    expect(isWatched("yama.yaml", "drizzle")).toBe(true);
    expect(isWatched("yama.production.yaml", "drizzle")).toBe(true);
    expect(isWatched("handlers/createOrder.ts", "drizzle")).toBe(true);
    expect(isWatched("src/routes/note.ts", "drizzle")).toBe(false);
    expect(isWatched("drizzle/0001_dev.sql", "drizzle")).toBe(false);
    expect(isWatched(".yama/data/base/1/1259", "drizzle")).toBe(false);
    expect(isWatched("package.json", "drizzle")).toBe(false);
    expect(isWatched("README.md", "drizzle")).toBe(false);
    expect(isWatched(".env", "drizzle")).toBe(true);
    expect(isWatched(".env.development.local", "drizzle")).toBe(true);
    expect(isWatched(".env.example", "drizzle")).toBe(false);
    expect(isWatched(".env.example.yamac-tmp", "drizzle")).toBe(false);
  });

  it("compiles with the overlay of the environment the server runs in (NODE_ENV, else development)", () => {
    mkdirSync(join(ROOT, ".yama"), { recursive: true });
    const dir = mkdtempSync(join(ROOT, ".yama", "dev-overlay-"));
    try {
      writeFileSync(join(dir, "yama.yaml"), "name: t\nentities:\n  Recipe:\n    fields:\n      id: uuid!\n      title: string!\n    crud: true\n");
      writeFileSync(join(dir, "yama.development.yaml"), "entities:\n  Recipe:\n    fields:\n      cuisine: string?\n");
      const table = () => readFileSync(join(dir, "src/db/tables/recipe.ts"), "utf8");
      expect(new Rebuilder(dir, "development").run().result.ok).toBe(true);
      expect(table()).toContain("cuisine");
      expect(new Rebuilder(dir, "production").run().result.ok).toBe(true);
      expect(table()).not.toContain("cuisine");
      // A bad overlay is a diagnostic at its line, not compiled silently.
      writeFileSync(join(dir, "yama.development.yaml"), "entities:\n  Recipe:\n    fields:\n      cuisine: strin?\n");
      const bad = new Rebuilder(dir, "development").run().result;
      expect(bad.ok).toBe(false);
      expect(bad.diagnostics.find((d) => d.severity === "error")).toMatchObject({ location: { file: "yama.development.yaml", line: 4 } });
      // An overlay that changes a table's fields is compiled, with a warning.
      expect(bad.diagnostics.find((d) => d.code === "overlay-changes-schema")).toMatchObject({ severity: "warning", location: { file: "yama.development.yaml", line: 3 } });
    } finally {
      removeProject(dir);
    }
  });

  it("rebuilds incrementally: writes only changed files, deletes stale ones, keeps ownership", () => {
    mkdirSync(join(ROOT, ".yama"), { recursive: true });
    const dir = mkdtempSync(join(ROOT, ".yama", "dev-rebuild-"));
    try {
      const config = join(dir, "yama.yaml");
      const original = readFileSync(join(ROOT, "fixtures/one-entity/yama.yaml"), "utf8");
      writeFileSync(config, original);
      const rebuilder = new Rebuilder(dir);
      const first = rebuilder.run();
      expect(first.result.ok).toBe(true);
      expect(first.write!.written.length).toBe(first.result.files!.length);
      const appMtime = statSync(join(dir, "src/app.ts")).mtimeMs;

      // A changed length: the table, the validation, the routes that read it and the OpenAPI document.
      writeFileSync(config, original.replace("title: string(1..120)!", "title: string(1..100)!"));
      const second = rebuilder.run();
      expect(second.write!.written.sort()).toEqual(["src/db/tables/note.ts", "src/openapi.json", "src/validation/note.ts"]);
      // The rest is unchanged (project files such as package.json are the user's after the first write: skipped).
      expect(second.write!.unchanged.length + second.write!.skipped.length).toBe(second.result.files!.length - 3);
      expect(statSync(join(dir, "src/app.ts")).mtimeMs).toBe(appMtime);

      // A second entity, then without it again: its files come and go.
      writeFileSync(config, `${original}\n  Tag:\n    fields:\n      id: uuid!\n      label: string!\n    crud: true\n`);
      expect(rebuilder.run().write!.written).toContain("src/routes/tag.ts");
      writeFileSync(config, original);
      expect(rebuilder.run().write!.deleted).toContain("src/routes/tag.ts");
      expect(existsSync(join(dir, "src/routes/tag.ts"))).toBe(false);

      // A generated file the user replaced with their own code is not overwritten: the build fails, nothing is written.
      writeFileSync(join(dir, "src/validation/note.ts"), "export const mine = 1;\n");
      writeFileSync(config, original.replace("title: string(1..120)!", "title: string(1..90)!"));
      const refused = rebuilder.run();
      expect(refused.result.ok).toBe(false);
      expect(refused.result.diagnostics.map((d) => d.code)).toContain("not-generated");
      expect(readFileSync(join(dir, "src/db/tables/note.ts"), "utf8")).not.toContain("length: 90");

      // A config error: diagnostics, nothing written.
      writeFileSync(config, original.replace("title: string(1..120)!", "title: strng!"));
      const bad = rebuilder.run();
      expect(bad.result.ok).toBe(false);
      expect(bad.write).toBeUndefined();
    } finally {
      removeProject(dir);
    }
  });

  it("serves, applies a saved change, survives a bad save, and exits cleanly on SIGINT (PostgreSQL)", async () => {
    const db = await createDatabase("yamac_dev");
    const dev = await startDev("one-entity", { DATABASE_URL: db.url });
    const config = join(dev.dir, "yama.yaml");
    try {
      const first = await dev.waitFor("serving http://localhost:");
      expect(first).toContain("migration drizzle/0000_init.sql");
      const pid1 = lastPid(first);
      expect((await call(dev.base, "POST", "/notes", { title: "first" })).status).toBe(201);

      // A new field and a new entity in one save.
      let mark = dev.log().length;
      const original = readFileSync(config, "utf8");
      writeFileSync(config, original.replace("      pinned: boolean = false\n", "      pinned: boolean = false\n      color: string?\n") + "\n  Tag:\n    fields:\n      id: uuid!\n      label: string!\n    crud: true\n");
      const second = await dev.waitFor("serving http://localhost:", mark);
      expect(second).toMatch(/config changed: compiled in \d+ ms, \d+ written/);
      expect(second).toContain("migration drizzle/0001_dev.sql");
      // Swapped into the process that already serves: no restart.
      expect(second).toMatch(/swap \d+ ms \(in process\): bundle \d+ ms, load \d+ ms, migrate \d+ ms\)/);
      expect(lastPid(second)).toBe(pid1);
      const created = await call(dev.base, "POST", "/notes", { title: "second", color: "red" });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ title: "second", color: "red" });
      expect((await call(dev.base, "POST", "/tags", { label: "x" })).status).toBe(201);
      expect((await call(dev.base, "GET", "/tags")).body).toMatchObject({ data: [{ label: "x" }] });

      // A broken save: diagnostics, and the running server keeps answering.
      mark = dev.log().length;
      const good = readFileSync(config, "utf8");
      writeFileSync(config, good.replace("      color: string?\n", "      color: strnig?\n"));
      const bad = await dev.waitFor("The server keeps running the last good build.", mark);
      expect(bad).toMatch(/yama\.yaml:\d+:\d+: error: .*strnig/);
      expect((await call(dev.base, "GET", "/notes")).status).toBe(200);
      expect(dev.child.exitCode).toBeNull();

      // Fixed: served again.
      mark = dev.log().length;
      writeFileSync(config, good.replace("      color: string?\n", "      color: string?\n      rank: integer = 0\n"));
      const fixed = await dev.waitFor("serving http://localhost:", mark);
      expect((await call(dev.base, "POST", "/notes", { title: "third", rank: 3 })).body).toMatchObject({ rank: 3, color: null });
      const pid = lastPid(fixed);

      expect(pid).toBe(pid1);
      expect(processesIn(dev.dir).length).toBeGreaterThanOrEqual(2); // the dev host and the standby
      expect(await sigint(dev)).toBe(0);
      expect(alive(pid)).toBe(false);
      expect(processesIn(dev.dir)).toEqual([]);
    } finally {
      if (dev.child.exitCode === null) dev.child.kill("SIGKILL");
      await db.drop();
      removeProject(dev.dir);
    }
  }, 300_000);

  it("works with no database server (PGlite by default), swapping builds into one process", async () => {
    const dev = await startDev("handlers", {});
    const config = join(dev.dir, "yama.yaml");
    const handler = join(dev.dir, "handlers/hello.ts");
    try {
      const first = await dev.waitFor("serving http://localhost:", 0, 240_000);
      expect(first).toContain("database: PGlite");
      expect(first).toContain("(pglite)");
      let pid = lastPid(first);
      expect((await call(dev.base, "POST", "/categories", { name: "offline" })).status).toBe(201);

      // A new field: its migration is applied and the new build swapped in, by the same process.
      let mark = dev.log().length;
      const original = readFileSync(config, "utf8");
      writeFileSync(config, original.replace("      name: string(1..80)! unique\n", "      name: string(1..80)! unique\n      note: string?\n"));
      const swapped = await dev.waitFor("serving http://localhost:", mark);
      expect(swapped).toContain("migration drizzle/0001_dev.sql");
      expect(swapped).toMatch(/swap \d+ ms \(in process\)/);
      expect(lastPid(swapped)).toBe(pid);
      expect((await call(dev.base, "GET", "/categories")).body).toMatchObject({ data: [{ name: "offline", note: null }] });
      expect((await call(dev.base, "POST", "/categories", { name: "noted", note: "n" })).body).toMatchObject({ name: "noted", note: "n" });

      // A changed handler file (no config change).
      mark = dev.log().length;
      const good = readFileSync(handler, "utf8");
      writeFileSync(handler, good.replace('hello: "world"', 'hello: "swapped"'));
      const edited = await dev.waitFor("serving http://localhost:", mark);
      expect(edited).toMatch(/user code changed: compiled in \d+ ms, 0 written/);
      expect(lastPid(edited)).toBe(pid);
      expect((await call(dev.base, "GET", "/hello")).body).toMatchObject({ hello: "swapped" });

      // A handler that throws when it is loaded: refused, and the last good build keeps answering.
      mark = dev.log().length;
      writeFileSync(handler, `throw new Error("broken on purpose");\n${good}`);
      const broken = await dev.waitFor("The server keeps running the last good build.", mark);
      expect(broken).toContain("the new build failed to load: broken on purpose");
      expect((await call(dev.base, "GET", "/hello")).body).toMatchObject({ hello: "swapped" });
      // While src/ holds that build, an .env change restarts the server with the last good build, not src/.
      mark = dev.log().length;
      writeFileSync(join(dev.dir, ".env"), "GREETING=hi\n");
      const reused = await dev.waitFor("serving http://localhost:", mark, 240_000);
      expect(reused).toContain("restarting with the last good build");
      expect((await call(dev.base, "GET", "/hello")).body).toMatchObject({ hello: "swapped" });
      pid = lastPid(reused);
      mark = dev.log().length;
      writeFileSync(handler, good);
      expect(lastPid(await dev.waitFor("serving http://localhost:", mark))).toBe(pid);
      expect((await call(dev.base, "GET", "/hello")).body).toMatchObject({ hello: "world" });

      // A migration that fails (a NOT NULL column without a default, on a table with rows) is taken
      // back, so the next save generates the change anew instead of failing on it forever.
      mark = dev.log().length;
      const withNote = readFileSync(config, "utf8");
      writeFileSync(config, withNote.replace("      note: string?\n", "      note: string?\n      rank: integer!\n"));
      const failed = await dev.waitFor("the next save generates the change again", mark);
      expect(failed).toContain("removed drizzle/0002_dev.sql");
      expect(existsSync(join(dev.dir, "drizzle/0002_dev.sql"))).toBe(false);
      mark = dev.log().length;
      writeFileSync(config, withNote.replace("      note: string?\n", "      note: string?\n      rank: integer = 3\n"));
      expect(await dev.waitFor("serving http://localhost:", mark)).toContain("migration drizzle/0002_dev.sql");
      expect(((await call(dev.base, "GET", "/categories")).body as { data: { rank: number }[] }).data.map((c) => c.rank)).toEqual([3, 3]);

      // Rate limiting adds src/lib/rate-limit.ts: the host's shared library is stale, so a full restart.
      mark = dev.log().length;
      writeFileSync(config, `${readFileSync(config, "utf8")}\nrateLimit:\n  maxRequests: 1000\n  windowMs: 60000\n`);
      const restarted = await dev.waitFor("serving http://localhost:", mark, 240_000);
      expect(restarted).toContain("src/lib changed: restarting the server");
      expect(restarted).toMatch(/restart \d+ ms: stop \d+ ms, start \d+ ms/);
      const pid2 = lastPid(restarted);
      expect(pid2).not.toBe(pid);
      expect(alive(pid)).toBe(false);
      // The data is where it was.
      const listed = (await call(dev.base, "GET", "/categories")).body as { data: { name: string }[] };
      expect(listed.data.map((c) => c.name).sort()).toEqual(["noted", "offline"]);

      expect(await sigint(dev)).toBe(0);
      expect(alive(pid2)).toBe(false);
      expect(processesIn(dev.dir)).toEqual([]);
    } finally {
      if (dev.child.exitCode === null) dev.child.kill("SIGKILL");
      removeProject(dev.dir);
    }
  }, 300_000);

  it("a project with Redis connections (a rate limiter, queue workers) restarts on every change; a changed handler file is served", async () => {
    const db = await createDatabase("yamac_dev_handler");
    const dev = await startDev("endpoints", { DATABASE_URL: db.url, REDIS_URL: await freshRedisUrl() });
    try {
      const first = await dev.waitFor("serving http://localhost:");
      // The server entry starts the queue workers (src/workers.ts), which is found first.
      expect(first).toContain("restarting the server on every change: src/server.ts imports ./workers.js");
      expect((await call(dev.base, "GET", "/api/v1/slow?ms=0")).body).toEqual({ waited: 0 });
      const mark = dev.log().length;
      const file = join(dev.dir, "handlers/slow.ts");
      writeFileSync(file, readFileSync(file, "utf8").replace("return { waited: ctx.query.ms };", "return { waited: ctx.query.ms, edited: true };"));
      const restarted = await dev.waitFor("serving http://localhost:", mark);
      expect(restarted).toMatch(/user code changed: compiled in \d+ ms, 0 written/);
      expect(restarted).toMatch(/restart \d+ ms: stop \d+ ms, start \d+ ms from a standby process/);
      expect(lastPid(restarted)).not.toBe(lastPid(first));
      expect((await call(dev.base, "GET", "/api/v1/slow?ms=0")).body).toEqual({ waited: 0, edited: true });
      expect(await sigint(dev)).toBe(0);
      expect(processesIn(dev.dir)).toEqual([]);
    } finally {
      if (dev.child.exitCode === null) dev.child.kill("SIGKILL");
      await db.drop();
      removeProject(dev.dir);
    }
  }, 120_000);

  it("a yamac dev that is killed takes its server and standby with it", async () => {
    const db = await createDatabase("yamac_dev_kill");
    const dev = await startDev("one-entity", { DATABASE_URL: db.url });
    try {
      await dev.waitFor("serving http://localhost:");
      await new Promise((r) => setTimeout(r, 2_000)); // the standby starts after the server
      expect(processesIn(dev.dir).length).toBeGreaterThanOrEqual(1);
      const exited = new Promise((resolve) => dev.child.once("exit", resolve));
      dev.child.kill("SIGKILL");
      await exited;
      // The server's IPC channel closes with its parent: it shuts down as on SIGTERM.
      const deadline = Date.now() + 15_000;
      while (processesIn(dev.dir).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(processesIn(dev.dir)).toEqual([]);
    } finally {
      await db.drop();
      removeProject(dev.dir);
    }
  }, 120_000);
});
