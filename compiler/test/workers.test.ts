/**
 * The workers target run for real: `yamac build` bundles src/worker.ts for workerd, Miniflare
 * runs it in workerd, and the Worker reaches the real PostgreSQL through postgres.js and a
 * Hyperdrive binding (the connection string comes from `env.HYPERDRIVE`, as on Cloudflare).
 */
import { execFileSync } from "node:child_process";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BuildError, buildProject } from "../build.js";
import { compileProject } from "../index.js";
import { createDatabase, prepareProject, removeProject } from "./harness.js";
import { runWorker } from "./workers-lib.js";

/** The connection string as Hyperdrive's configuration takes it (it requires a password; the test server trusts local connections). */
const withPassword = (url: string) => url.replace("postgres://postgres@", "postgres://postgres:unused@");

describe("workers target", () => {
  let dir = "";
  let db: Awaited<ReturnType<typeof createDatabase>> | undefined;
  let mf: Miniflare | undefined;
  let worker = "";

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await mf!.dispatchFetch(`https://deploy.example.workers.dev${path}`, { method, headers: body === undefined ? {} : { "content-type": "application/json" }, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
  };

  beforeAll(async () => {
    dir = await prepareProject("deploy");
    db = await createDatabase("yamac_workers");
    const compiled = compileProject(dir);
    const bundles = await buildProject(dir, compiled.ir!, { out: "dist", minify: true, sourcemap: false, targets: ["node", "workers"] });
    expect(bundles.map((b) => b.file)).toEqual(["node/server.mjs", "node/migrate.mjs", "workers/worker.mjs"]);
    // Migrations are a deploy step on Workers: the Node migration runner applies them.
    execFileSync(process.execPath, ["dist/node/migrate.mjs"], { cwd: dir, env: { ...process.env, DATABASE_URL: db.url }, stdio: "pipe" });
    worker = readFileSync(join(dir, "dist/workers/worker.mjs"), "utf8");
    mf = runWorker(dir, withPassword(db.url));
  }, 120_000);

  afterAll(async () => {
    await mf?.dispose();
    await db?.drop();
    removeProject(dir);
  });

  it("wrangler.toml declares nodejs_compat, the bundle as main and the Hyperdrive binding", () => {
    const wrangler = readFileSync(join(dir, "wrangler.toml"), "utf8");
    expect(wrangler).toMatch(/^compatibility_flags = \["nodejs_compat"\]$/m);
    expect(wrangler).toMatch(/^main = "dist\/workers\/worker.mjs"$/m);
    expect(wrangler).toMatch(/\[\[hyperdrive\]\]\nbinding = "HYPERDRIVE"/);
  });

  it("the bundle holds no PGlite and imports only Node modules workerd provides", () => {
    expect(worker).not.toContain("@electric-sql/pglite");
    expect(worker).not.toMatch(/from\s*"node:(fs|net|tls|child_process|worker_threads)"/);
    expect(worker).toMatch(/from\s*"node:async_hooks"/);
  });

  it("serves CRUD against PostgreSQL through the Hyperdrive binding", async () => {
    expect(await call("GET", "/health/ready")).toMatchObject({ status: 200, body: { status: "ok", checks: { database: { status: "ok" } } } });
    const created = await call("POST", "/notes", { title: "From a Worker", tags: ["edge", "pg"] });
    expect(created).toMatchObject({ status: 201, body: { title: "From a Worker", tags: ["edge", "pg"], pinned: false } });
    const id = created.body!.id as string;
    expect(await call("GET", `/notes/${id}`)).toMatchObject({ status: 200, body: { id, title: "From a Worker" } });
    expect(await call("PATCH", `/notes/${id}`, { pinned: true })).toMatchObject({ status: 200, body: { id, pinned: true } });
    const list = await call("GET", "/notes?pinned=true");
    expect((list.body!.data as { id: string }[]).map((n) => n.id)).toEqual([id]);
    expect(await call("GET", "/pinned")).toMatchObject({ status: 200 });
    expect(await call("GET", "/stats")).toEqual({ status: 200, body: { notes: 1, pinned: 1 } });
    expect((await call("DELETE", `/notes/${id}`)).status).toBe(204);
    expect((await call("GET", `/notes/${id}`)).status).toBe(404);
    // The row really is in (and gone from) PostgreSQL.
    expect(await db!.sql`select count(*)::int as n from notes`).toEqual([{ n: 0 }]);
  });

  it("answers bad input with the 400 envelope, and concurrent requests each get their own client", async () => {
    const bad = await call("POST", "/notes", "{not json");
    expect(bad).toMatchObject({ status: 400, body: { error: { code: "VALIDATION_BODY" } } });
    const made = await Promise.all(Array.from({ length: 8 }, (_, i) => call("POST", "/notes", { title: `parallel ${i}` })));
    expect(made.map((m) => m.status)).toEqual(Array(8).fill(201));
    expect(await db!.sql`select count(*)::int as n from notes`).toEqual([{ n: 8 }]);
  });

  it("fails the build when a handler imports a Node module Workers lack, naming it and the importer", async () => {
    const handler = join(dir, "handlers/stats.ts");
    const original = readFileSync(handler, "utf8");
    try {
      appendFileSync(handler, `\nimport { execSync } from "node:child_process";\nexport const uptime = () => execSync("uptime").toString();\n`);
      const error = await buildProject(dir, compileProject(dir).ir!, { out: "dist-bad", minify: false, sourcemap: false, targets: ["workers"] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BuildError);
      const [problem] = (error as BuildError).diagnostics;
      expect(problem).toMatchObject({ code: "workers-node-api", location: { file: "yama.yaml", line: 12 } });
      expect(problem!.message).toContain("node:child_process (from handlers/stats.ts)");
    } finally {
      writeFileSync(handler, original);
    }
  });

  it("fails the build when the compressed bundle is over the plan's limit", async () => {
    const handler = join(dir, "handlers/stats.ts");
    const original = readFileSync(handler, "utf8");
    try {
      // 4 MiB of random base64: it does not compress below the free plan's 3 MiB.
      const { randomBytes } = await import("node:crypto");
      appendFileSync(handler, `\nexport const blob = ${JSON.stringify(randomBytes(3 * 1024 * 1024).toString("base64"))};\nexport function size() { return blob.length; }\n`);
      writeFileSync(handler, readFileSync(handler, "utf8").replace("return { notes:", "void size();\n  return { notes:"));
      const error = await buildProject(dir, compileProject(dir).ir!, { out: "dist-big", minify: true, sourcemap: false, targets: ["workers"] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BuildError);
      const [problem] = (error as BuildError).diagnostics;
      expect(problem!.code).toBe("workers-bundle-size");
      expect(problem!.message).toMatch(/^the workers bundle is 3\.\d\d MiB compressed, over the 3\.00 MiB limit of the Workers free plan$/);
    } finally {
      writeFileSync(handler, original);
    }
  });
});
