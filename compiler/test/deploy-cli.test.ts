/**
 * `yamac deploy`, `yamac smoke` and `yamac ci generate`, through the CLI entry point.
 * deploy --dry-run prints the exact commands; without it, a missing platform CLI is explained
 * and nothing runs, and a present one is really called. smoke runs against a running emitted app.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../cli.js";
import { onPath } from "../deploy.js";
import { createDatabase, freePort, prepareProject, removeProject, serveFixture, startServer } from "./harness.js";

/** Runs the CLI in-process and returns its exit code and what it printed. */
async function yamac(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  const error = vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
  try {
    const code = await main([...args, "--no-color"]);
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe("yamac deploy", () => {
  let dir = "";
  beforeEach(async () => {
    dir = await prepareProject("deploy");
  }, 60_000);
  afterEach(() => removeProject(dir));

  it("--dry-run prints exactly the platform commands, for every target", async () => {
    const plans: Record<string, string[]> = {
      workers: ["yamac build --target workers", "yamac migrate up    # DATABASE_URL from the environment", "wrangler deploy"],
      lambda: ["yamac build --target lambda", "yamac migrate up    # DATABASE_URL from the environment", "sam deploy --template-file template.yaml --stack-name deploy --capabilities CAPABILITY_IAM --resolve-s3 --no-confirm-changeset --parameter-overrides DatabaseUrl=$DATABASE_URL ApiKey=$API_KEY"],
      vercel: ["yamac migrate up    # DATABASE_URL from the environment", "vercel deploy --prod --yes"],
      netlify: ["yamac migrate up    # DATABASE_URL from the environment", "netlify deploy --prod"],
      docker: ["docker build --tag ghcr.io/acme/deploy:0.3.0 .", "docker push ghcr.io/acme/deploy:0.3.0"],
      node: ["yamac build --target node", "pm2 startOrReload ecosystem.config.cjs --env production", "sudo cp deploy/deploy.service /etc/systemd/system/deploy.service", "sudo systemctl daemon-reload", "sudo systemctl enable deploy.service", "sudo systemctl restart deploy.service"],
    };
    for (const [target, lines] of Object.entries(plans)) {
      const run = await yamac("deploy", "--target", target, dir, "--dry-run");
      expect(run.code, run.err).toBe(0);
      expect(run.out.split("\n")).toEqual([`# yamac deploy --target ${target}: the commands it runs in ${dir}`, ...lines]);
    }
    // A dry run writes nothing: no build output (every plan above starts by building or pushing it).
    expect(existsSync(join(dir, "dist"))).toBe(false);
  }, 60_000);

  it("without --dry-run, a missing platform CLI is explained and nothing runs", async () => {
    expect(onPath("wrangler")).toBe(false);
    const run = await yamac("deploy", "--target", "workers", dir);
    expect(run.code).toBe(1);
    expect(run.err).toContain("yamac deploy --target workers calls `wrangler`, which is not installed here (install: npm install --save-dev wrangler@4.86.0");
    expect(run.err).toContain("Nothing was run.");
    expect(existsSync(join(dir, "dist"))).toBe(false);
  });

  it("without --dry-run, a present platform CLI is called for real (docker: no engine here, so it fails and deploy stops)", async () => {
    const run = await yamac("deploy", "--target", "docker", dir);
    expect(run.code).toBe(1);
    if (onPath("docker")) {
      expect(run.out).toContain("$ docker build --tag ghcr.io/acme/deploy:0.3.0 .");
      expect(run.err).toContain("`docker` exited with");
      expect(run.out).not.toContain("docker push");
    } else {
      expect(run.err).toContain("calls `docker`, which is not installed here");
    }
  }, 60_000);

  it("refuses what it cannot do: no target, an unknown target, node without a process manager", async () => {
    expect((await yamac("deploy", dir)).code).toBe(2);
    expect(await yamac("deploy", "--target", "heroku", dir)).toMatchObject({ code: 2, err: expect.stringContaining('unknown target "heroku"') });
    writeFileSync(join(dir, "yama.yaml"), readFileSync(join(dir, "yama.yaml"), "utf8").replace(/  node:\n    pm2: \{instances: max\}\n    systemd: \{user: deploy, directory: \/srv\/deploy\}\n/, ""));
    expect(await yamac("deploy", "--target", "node", dir, "--dry-run")).toMatchObject({ code: 1, err: expect.stringContaining("the node target has no platform CLI to call") });
  });
});

describe("yamac compile --target", () => {
  it("adds a target to an existing project and says what its own package.json lacks", async () => {
    const dir = await prepareProject("one-entity");
    try {
      const run = await yamac("compile", dir, "--target", "docker");
      expect(run.code).toBe(0);
      expect(existsSync(join(dir, "Dockerfile")) && existsSync(join(dir, "compose.yaml"))).toBe(true);
      expect(run.err).toContain("package.json has no build script");
      expect(run.err).toContain("[docker-no-health]");
    } finally {
      removeProject(dir);
    }
  }, 60_000);
});

describe("yamac smoke", () => {
  const served = serveFixture("deploy", { LOG_LEVEL: "warn" });

  it("passes against a running app: health routes and the sampled GET routes", async () => {
    const run = await yamac("smoke", served.server.base, served.dir, "--sample", "3");
    expect(run.code, run.out + run.err).toBe(0);
    const lines = run.out.split("\n");
    expect(lines[0]).toBe(`smoke ${served.server.base}: 5 checks, 0 failed`);
    expect(lines.slice(1).map((l) => l.trim().split(/\s+/).slice(0, 3).join(" "))).toEqual(["ok 200 /health/live", "ok 200 /health/ready", "ok 200 /notes", "ok 200 /pinned", "ok 200 /stats"]);
  });

  it("fails when the app is not ready (its database went away) or not there at all", async () => {
    const db = await createDatabase("yamac_smoke");
    const server = await startServer(served.dir, { DATABASE_URL: db.url, LOG_LEVEL: "fatal" });
    try {
      expect((await yamac("smoke", server.base, served.dir)).code).toBe(0);
      await db.drop();
      const run = await yamac("smoke", server.base, served.dir);
      expect(run.code).toBe(1);
      expect(run.out).toMatch(/ok\s+200\s+\/health\/live/);
      expect(run.out).toMatch(/FAIL\s+503\s+\/health\/ready/);
      expect(run.out).toMatch(/FAIL\s+503\s+\/notes/);
    } finally {
      await server.stop();
    }
    const gone = await yamac("smoke", `http://127.0.0.1:${await freePort()}`, served.dir);
    expect(gone.code).toBe(1);
    expect(gone.out).toMatch(/FAIL\s+ECONNREFUSED\s+\/health\/live/);
  }, 90_000);
});

describe("yamac ci generate", () => {
  let dir = "";
  beforeEach(() => {
    dir = join(process.cwd(), ".yama", `ci-${Math.random().toString(36).slice(2)}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "yama.yaml"), "name: ci-app\nrateLimit: {max: 5, window: 1m, store: redis, redisUrl: \"${REDIS_URL}\"}\nentities:\n  Item:\n    fields: {id: uuid!, name: string!}\n    crud: true\n");
  });
  afterEach(() => removeProject(dir));

  const steps = ["npx yamac compile && git diff --exit-code", "npx yamac check", "npm run typecheck", "npx yamac migrate up", "npm test --if-present", "npx yamac build"];

  it("github: a workflow with PostgreSQL and Redis services and every step in order", async () => {
    expect((await yamac("ci", "generate", dir, "--provider", "github")).code).toBe(0);
    const workflow = parse(readFileSync(join(dir, ".github/workflows/ci.yml"), "utf8")) as { on: unknown; jobs: { build: { services: Record<string, unknown>; env: Record<string, string>; steps: { run?: string; uses?: string }[] } } };
    expect(workflow.on).toEqual({ push: { branches: ["main"] }, pull_request: null });
    expect(Object.keys(workflow.jobs.build.services)).toEqual(["postgres", "redis"]);
    expect(workflow.jobs.build.env).toEqual({ DATABASE_URL: "postgres://postgres@localhost:5432/postgres", REDIS_URL: "redis://localhost:6379" });
    expect(workflow.jobs.build.steps.flatMap((s) => (s.run ? [s.run] : []))).toEqual(["npm ci", ...steps]);
  });

  it("gitlab: stages verify, test, build with the same commands", async () => {
    expect((await yamac("ci", "generate", dir, "--provider", "gitlab")).code).toBe(0);
    const pipeline = parse(readFileSync(join(dir, ".gitlab-ci.yml"), "utf8")) as Record<string, { stage?: string; script?: string[]; services?: { alias: string }[] }> & { stages: string[] };
    expect(pipeline.stages).toEqual(["verify", "test", "build"]);
    expect(["verify", "test", "build"].flatMap((job) => pipeline[job]!.script!)).toEqual(steps);
    expect(pipeline.test!.services!.map((s) => s.alias)).toEqual(["postgres", "redis"]);
  });

  it("circleci: a 2.1 config whose job runs the steps, and an existing file is kept unless --force", async () => {
    expect((await yamac("ci", "generate", dir, "--provider", "circleci")).code).toBe(0);
    const config = parse(readFileSync(join(dir, ".circleci/config.yml"), "utf8")) as { version: number; jobs: { build: { docker: { image: string }[]; steps: (string | { run?: { command: string } })[] } }; workflows: unknown };
    expect(config.version).toBe(2.1);
    expect(config.jobs.build.docker.map((d) => d.image.split(":")[0])).toEqual(["node", "postgres", "redis"]);
    const commands = config.jobs.build.steps.flatMap((s) => (typeof s === "object" && s.run ? [s.run.command] : []));
    expect(commands.filter((c) => steps.includes(c))).toEqual(steps);
    expect(config.workflows).toEqual({ ci: { jobs: ["build"] } });
    expect((await yamac("ci", "generate", dir, "--provider", "circleci")).code).toBe(1);
    expect((await yamac("ci", "generate", dir, "--provider", "circleci", "--force")).code).toBe(0);
    expect((await yamac("ci", "generate", dir, "--provider", "jenkins")).code).toBe(2);
  });
});
