/**
 * The docker target without a Docker engine: the Dockerfile is linted offline (dockerfile-utils)
 * and checked against the rules the target promises, then its stages are replayed in temporary
 * folders: the build stage's commands run on a copy of the build context (.dockerignore applied),
 * the runtime stage gets exactly what its COPY lines take, compose.yaml's migrate command runs,
 * then the CMD starts the server and the HEALTHCHECK command probes it.
 * `npm ci` is the one command not run: the registry is not reachable from tests, so the copies
 * resolve packages from this repository's node_modules (they live under it).
 */
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DockerfileParser, type Copy, type Instruction } from "dockerfile-ast";
import { validate } from "dockerfile-utils";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isPinnedImage } from "../2-analyze/deployment.js";
import { compileText } from "../index.js";
import { call, createDatabase, freePort, prepareProject, removeProject, ROOT } from "./harness.js";

interface Stage {
  name: string;
  image: string;
  instructions: Instruction[];
}

function stagesOf(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of DockerfileParser.parse(text).getInstructions()) {
    if (instruction.getKeyword() === "FROM") {
      const [image, , name] = instruction.getArgumentsContent()!.split(/\s+/);
      stages.push({ name: name!, image: image!, instructions: [] });
    } else stages.at(-1)?.instructions.push(instruction);
  }
  return stages;
}

const content = (i: Instruction) => i.getArgumentsContent() ?? "";
const ofKind = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.getKeyword() === keyword);

/** The exec form `["node", "x"]` after HEALTHCHECK's options, or of CMD. */
const execForm = (text: string) => JSON.parse(text.slice(text.indexOf("["))) as string[];

/** .dockerignore patterns matched against top-level names (enough for the generated file). */
function ignored(patterns: string[], name: string): boolean {
  let out = false;
  for (const p of patterns) {
    const negated = p.startsWith("!");
    const glob = new RegExp(`^${(negated ? p.slice(1) : p).replace(/[.+^${}()|\\]/g, "\\$&").replace(/\*/g, "[^/]*")}$`);
    if (glob.test(name)) out = !negated;
  }
  return out;
}

describe("docker target", () => {
  let dir = "";
  let work = "";
  let db: Awaited<ReturnType<typeof createDatabase>> | undefined;
  let dockerfile = "";
  let stages: Stage[] = [];

  beforeAll(async () => {
    dir = await prepareProject("deploy");
    db = await createDatabase("yamac_docker");
    dockerfile = readFileSync(join(dir, "Dockerfile"), "utf8");
    stages = stagesOf(dockerfile);
    work = mkdtempSync(join(ROOT, ".yama", "docker-"));
  }, 120_000);

  afterAll(async () => {
    await db?.drop();
    removeProject(dir);
    removeProject(work);
  });

  it("passes the offline Dockerfile linter (which does catch mistakes)", () => {
    expect(validate(dockerfile)).toEqual([]);
    expect(validate(dockerfile.replace("FROM node:20.20.2-bookworm-slim AS build", "FROM")).length).toBeGreaterThan(0);
  });

  it("keeps the promised rules: two stages, pinned bases, non-root runtime, HEALTHCHECK, no dev dependencies at run time", () => {
    expect(stages.map((s) => s.name)).toEqual(["build", "runtime"]);
    for (const s of stages) expect(isPinnedImage(s.image), s.image).toBe(true);
    const [build, runtime] = stages as [Stage, Stage];
    expect(ofKind(build, "RUN").map(content)).toContain("npm run build");
    // Runtime: the last USER is not root, and it comes before CMD.
    const users = ofKind(runtime, "USER").map(content);
    expect(users.at(-1)).toBe("node");
    expect(runtime.instructions.findIndex((i) => i.getKeyword() === "USER")).toBeLessThan(runtime.instructions.findIndex((i) => i.getKeyword() === "CMD"));
    // Runtime dependencies: installed with --omit=dev; nothing copied from the build stage's node_modules.
    const installs = ofKind(runtime, "RUN").map(content).filter((c) => /\bnpm (ci|install|i)\b/.test(c));
    expect(installs.length).toBe(1);
    for (const c of installs) expect(c).toContain("--omit=dev");
    for (const copy of ofKind(runtime, "COPY")) expect(content(copy)).not.toContain("node_modules");
    expect(ofKind(runtime, "COPY").every((c) => (c as Copy).getFromFlag() === null || (c as Copy).getFromFlag()!.getValue() === "build")).toBe(true);
    const [healthcheck] = ofKind(runtime, "HEALTHCHECK");
    expect(content(healthcheck!)).toContain("/health/live");
    expect(readFileSync(join(dir, ".dockerignore"), "utf8").split("\n")).toEqual(expect.arrayContaining(["node_modules", ".env", ".yama", "dist"]));
  });

  it("compose.yaml runs PostgreSQL, a migrate step that must succeed first, and the API", () => {
    const compose = parse(readFileSync(join(dir, "compose.yaml"), "utf8")) as { services: Record<string, { image?: string; build?: string; command?: string[]; environment?: Record<string, string>; depends_on?: Record<string, { condition: string }> }> };
    expect(Object.keys(compose.services).sort()).toEqual(["api", "db", "migrate"]);
    expect(isPinnedImage(compose.services.db!.image!)).toBe(true);
    expect(compose.services.api!.depends_on).toEqual({ migrate: { condition: "service_completed_successfully" }, db: { condition: "service_healthy" } });
    expect(compose.services.migrate!.depends_on).toEqual({ db: { condition: "service_healthy" } });
    for (const s of ["api", "migrate"]) {
      expect(compose.services[s]!.build).toBe(".");
      expect(compose.services[s]!.environment!.DATABASE_URL).toMatch(/@db:5432\//);
    }
  });

  it("adds Redis to compose.yaml when the rate limiter stores counters there", () => {
    const text = readFileSync(join(ROOT, "fixtures/endpoints/yama.yaml"), "utf8");
    const compiled = compileText(text, "yama.yaml", undefined, { deployment: { targets: ["docker"] } });
    const compose = parse(compiled.files!.find((f) => f.path === "compose.yaml")!.content) as { services: Record<string, { image?: string; environment?: Record<string, string>; depends_on?: Record<string, unknown> }> };
    expect(Object.keys(compose.services).sort()).toEqual(["api", "db", "migrate", "redis"]);
    expect(isPinnedImage(compose.services.redis!.image!)).toBe(true);
    expect(compose.services.api!.environment!.REDIS_URL).toBe("redis://redis:6379");
    expect(compose.services.api!.depends_on).toHaveProperty("redis", { condition: "service_healthy" });
  });

  it("replays the stages: build, migrate, start; the HEALTHCHECK command passes and CRUD works", async () => {
    const [build, runtime] = stages as [Stage, Stage];
    // Build stage: the context (minus .dockerignore) and its RUN commands.
    const ignore = readFileSync(join(dir, ".dockerignore"), "utf8").split("\n").filter((l) => l && !l.startsWith("#"));
    const buildDir = join(work, "build");
    mkdirSync(buildDir);
    for (const name of readdirSync(dir)) if (!ignored(ignore, name)) cpSync(join(dir, name), join(buildDir, name), { recursive: true });
    expect(existsSync(join(buildDir, "node_modules")) || existsSync(join(buildDir, ".yama"))).toBe(false);
    for (const run of ofKind(build, "RUN").map(content)) {
      if (run.startsWith("npm ci")) continue;
      const result = spawnSync("sh", ["-c", run], { cwd: buildDir, encoding: "utf8" });
      expect(result.status, `${run}\n${result.stderr}`).toBe(0);
    }
    // Runtime stage: only what its COPY lines bring.
    const runtimeDir = join(work, "runtime");
    mkdirSync(runtimeDir);
    for (const copy of ofKind(runtime, "COPY") as Copy[]) {
      const [from, to] = content(copy).split(/\s+/) as [string, string];
      if (copy.getFromFlag()) cpSync(join(buildDir, from.replace(/^\/app\//, "")), join(runtimeDir, to), { recursive: true });
      else for (const f of content(copy).split(/\s+/).slice(0, -1)) if (existsSync(join(buildDir, f))) cpSync(join(buildDir, f), join(runtimeDir, f));
    }
    expect(readdirSync(runtimeDir).sort()).toEqual(["dist", "package.json"]);
    expect(readdirSync(join(runtimeDir, "dist")).sort()).toEqual(["drizzle", "node"]);

    // compose.yaml's migrate service, then the CMD.
    const compose = parse(readFileSync(join(dir, "compose.yaml"), "utf8")) as { services: Record<string, { command: string[] }> };
    const [migrateBin, ...migrateArgs] = compose.services.migrate!.command;
    const migrated = spawnSync(migrateBin!, migrateArgs, { cwd: runtimeDir, env: { ...process.env, DATABASE_URL: db!.url }, encoding: "utf8" });
    expect(migrated.status, migrated.stderr).toBe(0);
    expect(await db!.sql`select to_regclass('public.notes')::text as t`).toEqual([{ t: "notes" }]);

    const port = await freePort();
    const env = { ...process.env, NODE_ENV: "production", DATABASE_URL: db!.url, PORT: String(port), LOG_LEVEL: "warn" };
    const [cmd, ...args] = execForm(content(ofKind(runtime, "CMD")[0]!));
    const server = spawn(cmd!, args, { cwd: runtimeDir, env, stdio: "ignore" });
    try {
      const [probe, ...probeArgs] = execForm(content(ofKind(runtime, "HEALTHCHECK")[0]!));
      let healthy = false;
      for (let i = 0; i < 100 && !healthy; i++) {
        healthy = spawnSync(probe!, probeArgs, { env, timeout: 5000 }).status === 0;
        if (!healthy) await new Promise((r) => setTimeout(r, 100));
      }
      expect(healthy).toBe(true);
      const created = await call(`http://127.0.0.1:${port}`, "POST", "/notes", { title: "In a container" });
      expect(created.status).toBe(201);
    } finally {
      server.kill("SIGTERM");
      await new Promise((r) => server.once("exit", r));
    }
    // With the server gone, the same probe fails: it really checks the server.
    const [probe, ...probeArgs] = execForm(content(ofKind(runtime, "HEALTHCHECK")[0]!));
    expect(spawnSync(probe!, probeArgs, { env, timeout: 5000 }).status).toBe(1);
  }, 120_000);
});
