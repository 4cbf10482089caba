/** `yamac build`: one esbuild bundle per target, the migrations, a manifest; the Node bundle runs without tsx. */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildProject } from "../build.js";
import { compileProject } from "../index.js";
import { call, createDatabase, freePort, freshRedisUrl, prepareProject, removeProject } from "./harness.js";

describe("yamac build", () => {
  let dir = "";
  let db: Awaited<ReturnType<typeof createDatabase>> | undefined;

  beforeAll(async () => {
    dir = await prepareProject("endpoints");
    db = await createDatabase("yamac_build");
  }, 120_000);

  afterAll(async () => {
    await db?.drop();
    removeProject(dir);
  });

  it("bundles every configured target and writes a manifest and a production package.json", async () => {
    const compiled = compileProject(dir);
    const bundles = await buildProject(dir, compiled.ir!, { out: "dist", minify: true, sourcemap: false });
    expect(bundles.map((b) => b.file)).toEqual(["node/server.mjs", "node/migrate.mjs", "lambda/index.mjs", "netlify/api.mjs", "vercel/index.mjs"]);
    for (const b of bundles) {
      expect(existsSync(join(dir, "dist", b.file))).toBe(true);
      expect(b.gzipBytes).toBeLessThan(b.bytes);
    }
    const manifest = JSON.parse(readFileSync(join(dir, "dist/manifest.json"), "utf8")) as { routes: string[]; migrations: string[]; targets: string[]; health: unknown };
    expect(manifest.targets).toEqual(["node", "lambda", "netlify", "vercel"]);
    expect(manifest.health).toEqual({ path: "/healthz", liveness: "/health/live", readiness: "/health/ready" });
    expect(manifest.routes).toContain("POST /api/v1/products/:id/reprice");
    expect(manifest.migrations).toEqual(["0000_init.sql"]);
    const pkg = JSON.parse(readFileSync(join(dir, "dist/package.json"), "utf8")) as { dependencies: Record<string, string> };
    // PGlite loads its WebAssembly from its folder, the docs page its assets from swagger-ui-dist: both stay out of the bundles.
    expect(Object.keys(pkg.dependencies)).toEqual(["@electric-sql/pglite", "swagger-ui-dist"]);
  }, 60_000);

  it("the Node bundle starts with plain node, applies migrations and serves", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ["dist/node/server.mjs"], { cwd: dir, env: { ...process.env, DATABASE_URL: db!.url, REDIS_URL: await freshRedisUrl(), PORT: String(port), HOST: "127.0.0.1", NODE_ENV: "development" }, stdio: "ignore" });
    try {
      let status = 0;
      for (let i = 0; i < 200 && status !== 200; i++) {
        status = await fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.status, () => 0);
        if (status !== 200) await new Promise((r) => setTimeout(r, 50));
      }
      expect(status).toBe(200);
      const created = await call(`http://127.0.0.1:${port}`, "POST", "/api/v1/products", { name: "Bundled", price: 1 });
      expect(created.status).toBe(201);
      // The OpenAPI document is inlined in the bundle; the docs assets are read from swagger-ui-dist.
      const spec = await call(`http://127.0.0.1:${port}`, "GET", "/openapi.json");
      expect(spec.body).toEqual(JSON.parse(readFileSync(join(dir, "src/openapi.json"), "utf8")));
      const script = await fetch(`http://127.0.0.1:${port}/docs/swagger-ui-bundle.js`);
      expect(script.status).toBe(200);
      expect(script.headers.get("content-type")).toMatch(/^text\/javascript/);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
    }
  }, 60_000);
});
