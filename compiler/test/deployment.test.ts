/**
 * `deployment:` analysis: features a target cannot run are errors naming the feature and the
 * target (with line:col), behaviours that differ are warnings; --target/--pm2/--systemd; and
 * the Node process-manager files (PM2 loads its file, systemd-analyze verifies the unit).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { compileText } from "../index.js";

const base = `name: shop
version: 1.2.0
entities:
  Item:
    fields:
      id: uuid!
      name: string!
    crud: true
`;

const diagnosticsOf = (text: string, options = {}) => compileText(text, "yama.yaml", undefined, options).diagnostics.map((d) => ({ code: d.code, severity: d.severity, at: `${d.location.line}:${d.location.col}`, message: d.message }));

describe("features a target cannot run", () => {
  it("PGlite file storage on serverless targets is an error naming the feature and each target", () => {
    const text = `${base}database:\n  dialect: pglite\ndeployment:\n  targets: [node, lambda, workers]\n`;
    expect(diagnosticsOf(text)).toEqual([
      { code: "target-pglite", severity: "error", at: "10:3", message: "PGlite file storage (database.dialect) cannot work on the lambda and workers targets: Workers have no file system to keep a database in" },
    ]);
    const plugin = `${base}plugins:\n  "@betagors/yama-pglite":\ndeployment:\n  targets: [vercel]\n`;
    expect(diagnosticsOf(plugin)).toEqual([
      { code: "target-pglite", severity: "error", at: "10:3", message: "PGlite file storage (the PGlite plugin) cannot work on the vercel target: function instances get a fresh file system and lose it between invocations" },
    ]);
    // On Node and in Docker, PGlite is fine.
    expect(diagnosticsOf(`${base}database:\n  dialect: pglite\ndeployment:\n  targets: [node, docker]\n`).filter((d) => d.severity === "error")).toEqual([]);
  });

  it("the docs page on Workers is an error; without a docs key Workers projects get no docs routes", () => {
    expect(diagnosticsOf(`${base}docs: true\ndeployment:\n  targets: [workers]\n`)).toEqual([
      { code: "target-node-only", severity: "error", at: "9:1", message: "the docs page serves Swagger UI's files from node_modules (node:fs), which the workers target does not have" },
    ]);
    expect(diagnosticsOf(`${base}docs: false\ndeployment:\n  targets: [workers]\n`)).toEqual([]);
    expect(diagnosticsOf(`${base}deployment:\n  targets: [workers]\n`)).toEqual([]);
  });

  it("the Redis rate-limit store on Workers is an error; the memory store on serverless targets a warning", () => {
    const redis = `${base}rateLimit:\n  max: 10\n  window: 1m\n  store: redis\n  redisUrl: \${REDIS_URL}\ndeployment:\n  targets: [workers]\n`;
    expect(diagnosticsOf(redis)).toEqual([
      { code: "target-node-only", severity: "error", at: "12:10", message: "the rate limiter's redis store (ioredis) needs Node's TCP sockets (node:net, node:tls), which the workers target does not have" },
    ]);
    const memory = `${base}rateLimit:\n  max: 10\n  window: 1m\ndeployment:\n  targets: [lambda, vercel]\n`;
    expect(diagnosticsOf(memory)).toEqual([
      { code: "target-memory-store", severity: "warning", at: "9:1", message: "the rate limiter keeps its counters in memory, which on the lambda and vercel targets is per function instance: limits are not shared and reset on cold starts" },
    ]);
  });

  it("targets given on the command line are checked the same way", () => {
    const text = `${base}database:\n  dataDir: /var/lib/shop\n`;
    expect(diagnosticsOf(text)).toEqual([]);
    expect(diagnosticsOf(text, { deployment: { targets: ["netlify"] } })).toEqual([
      { code: "target-pglite", severity: "error", at: "10:3", message: "PGlite file storage (database.dataDir) cannot work on the netlify target: function instances get a fresh file system and lose it between invocations" },
    ]);
  });

  it("docker: an unpinned base image is an error, a missing health plugin a warning, reported with the other errors", () => {
    const text = `${base}database:\n  dialect: pglite\ndeployment:\n  targets: [docker, vercel]\n  docker:\n    baseImage: node:20-slim\n`;
    expect(diagnosticsOf(text)).toEqual([
      { code: "target-pglite", severity: "error", at: "10:3", message: "PGlite file storage (database.dialect) cannot work on the vercel target: function instances get a fresh file system and lose it between invocations" },
      { code: "docker-no-health", severity: "warning", at: "12:13", message: "the docker target's HEALTHCHECK probes the health plugin's liveness route; without the plugin the Dockerfile has no HEALTHCHECK" },
      { code: "docker-unpinned-image", severity: "error", at: "14:16", message: 'the docker base image "node:20-slim" is not pinned: a rebuild could pick up another Node.js' },
    ]);
    const digest = `node@sha256:${"a".repeat(64)}`;
    expect(diagnosticsOf(`${base}plugins: ["@betagors/yama-health"]\ndeployment:\n  targets: [docker]\n  docker:\n    baseImage: ${digest}\n`)).toEqual([]);
  });

  it("typos in deployment options are reported with a position", () => {
    expect(diagnosticsOf(`${base}deployment:\n  workers:\n    plna: paid\n`)).toMatchObject([{ code: "unknown-key", severity: "error", at: "11:5" }]);
  });
});

describe("Node process managers", () => {
  const files = (text: string, options = {}) => new Map(compileText(text, "yama.yaml", undefined, options).files!.map((f) => [f.path, f.content]));

  it("writes nothing extra unless asked", () => {
    const out = files(base);
    expect(out.has("ecosystem.config.cjs")).toBe(false);
    expect([...out.keys()].some((p) => p.endsWith(".service"))).toBe(false);
  });

  it("--pm2 and --systemd (or deployment.node) write a PM2 file PM2 can load and a unit systemd accepts", () => {
    const out = files(base, { deployment: { pm2: true, systemd: true } });
    const dir = mkdtempSync(join(tmpdir(), "yamac-node-"));
    try {
      writeFileSync(join(dir, "ecosystem.config.cjs"), out.get("ecosystem.config.cjs")!);
      const { apps } = createRequire(import.meta.url)(join(dir, "ecosystem.config.cjs")) as { apps: Record<string, unknown>[] };
      expect(apps).toEqual([expect.objectContaining({ name: "shop", script: "dist/node/server.mjs", instances: 1, exec_mode: "fork", kill_timeout: 12000, env_production: { NODE_ENV: "production", PORT: "3000" } })]);

      const unit = out.get("deploy/shop.service")!;
      expect(unit).toMatch(/^User=node$/m);
      expect(unit).toMatch(/^WorkingDirectory=\/srv\/shop$/m);
      expect(unit).toMatch(/^ExecStart=\/usr\/bin\/node dist\/node\/server.mjs$/m);
      expect(unit).toMatch(/^KillSignal=SIGTERM$/m);
      expect(unit).toMatch(/^Restart=on-failure$/m);
      expect(unit).toMatch(/^EnvironmentFile=-\/etc\/shop.env$/m);
      const path = join(dir, "shop.service");
      writeFileSync(path, unit);
      const analyze = spawnSync("systemd-analyze", ["--version"], { encoding: "utf8" });
      if (analyze.status === 0 && execFileSync("sh", ["-c", "command -v node"], { encoding: "utf8" }).trim() === "/usr/bin/node") {
        const verified = spawnSync("systemd-analyze", ["verify", path], { encoding: "utf8" });
        expect({ status: verified.status, stderr: verified.stderr }).toEqual({ status: 0, stderr: "" });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("migrations run before start: by the server (autoRun) or by ExecStartPre", () => {
    const manual = files(`${base}database:\n  migrations:\n    autoRun: false\ndeployment:\n  node:\n    systemd: {user: api, directory: /opt/shop}\n    pm2: {instances: 4}\n`);
    const unit = manual.get("deploy/shop.service")!;
    expect(unit).toMatch(/^ExecStartPre=\/usr\/bin\/node dist\/node\/migrate.mjs$/m);
    expect(unit).toMatch(/^User=api$/m);
    expect(unit).toMatch(/^ReadWritePaths=-\/opt\/shop\/.yama$/m);
    expect(manual.get("ecosystem.config.cjs")).toContain('exec_mode: "cluster"');
    expect(files(base, { deployment: { systemd: true } }).get("deploy/shop.service")).not.toContain("ExecStartPre");
  });
});

describe("deployment.lambda and deployment.vercel", () => {
  const files = (text: string) => new Map(compileText(text, "yama.yaml").files!.map((f) => [f.path, f.content]));
  /** SAM's short intrinsic functions, read as their long forms. */
  const samTags = [
    { tag: "!Ref", resolve: (value: string) => ({ Ref: value }) },
    { tag: "!GetAtt", resolve: (value: string) => ({ "Fn::GetAtt": value.split(".") }) },
  ];
  interface Template {
    Parameters: Record<string, { Type: string; NoEcho?: boolean; Default?: string }>;
    Resources: { Api: { Type: string; Properties: Record<string, unknown> & { Environment: { Variables: Record<string, unknown> } } } };
    Outputs?: Record<string, { Value: unknown }>;
  }
  const template = (out: Map<string, string>) => parseYaml(out.get("template.yaml")!, { customTags: samTags }) as Template;

  it("defaults: 512 MB, 15 s, nodejs20.x on x86_64 behind an HTTP API, buffered handler, pool of 2 through DATABASE_POOL_MAX", () => {
    const out = files(`${base}deployment:\n  targets: [lambda, vercel]\n`);
    const t = template(out);
    expect(Object.keys(t.Parameters)).toEqual(["DatabaseUrl"]);
    const props = t.Resources.Api.Properties;
    expect(props).toMatchObject({ Runtime: "nodejs20.x", Architectures: ["x86_64"], Handler: "index.handler", CodeUri: "dist/lambda", MemorySize: 512, Timeout: 15, Events: { Http: { Type: "HttpApi" } } });
    expect(props.Layers).toBeUndefined();
    expect(props.FunctionUrlConfig).toBeUndefined();
    expect(props.Environment.Variables).toEqual({ DATABASE_URL: { Ref: "DatabaseUrl" }, DATABASE_POOL_MAX: "2", NODE_ENV: "production" });
    expect(out.get("src/db/client.ts")).toContain("poolMax: Number(process.env.DATABASE_POOL_MAX ?? 10),");
    expect(out.get("src/lambda.ts")).toContain("export const handler = handle(app);");
    expect(JSON.parse(out.get("vercel.json")!)).toEqual({
      $schema: "https://openapi.vercel.sh/vercel.json",
      rewrites: [{ source: "/(.*)", destination: "/api" }],
      functions: { "api/index.ts": { memory: 1024, maxDuration: 15 } },
    });
    // Without the lambda target the client keeps its fixed default.
    expect(files(base).get("src/db/client.ts")).toContain("poolMax: 10,");
  });

  it("configured: memory, timeout, layers, environment (values and ${VAR} parameters), runtime, arm64, streaming through a function URL", () => {
    const text = `${base}deployment:
  targets: [lambda, vercel]
  lambda:
    memory: 2048
    timeout: 120
    layers: [arn:aws:lambda:eu-west-1:123456789012:layer:otel:7]
    environment:
      LOG_LEVEL: debug
      RETRIES: 3
      JWT_SECRET: \${JWT_SECRET}
      REGION_LABEL: \${REGION_LABEL:-eu}
      NODE_ENV: staging
    runtime: nodejs22.x
    architecture: arm64
    streaming: true
  vercel:
    functions: {memory: 3009, maxDuration: 300}
    regions: [fra1, iad1]
`;
    expect(diagnosticsOf(text)).toEqual([]);
    const out = files(text);
    const t = template(out);
    expect(t.Parameters).toEqual({
      DatabaseUrl: { Type: "String", NoEcho: true },
      JwtSecret: { Type: "String", NoEcho: true },
      RegionLabel: { Type: "String", NoEcho: true, Default: "eu" },
    });
    const props = t.Resources.Api.Properties;
    expect(props).toMatchObject({ Runtime: "nodejs22.x", Architectures: ["arm64"], MemorySize: 2048, Timeout: 120, Layers: ["arn:aws:lambda:eu-west-1:123456789012:layer:otel:7"] });
    expect(props.Environment.Variables).toEqual({
      DATABASE_URL: { Ref: "DatabaseUrl" },
      DATABASE_POOL_MAX: "2",
      NODE_ENV: "staging",
      LOG_LEVEL: "debug",
      RETRIES: "3",
      JWT_SECRET: { Ref: "JwtSecret" },
      REGION_LABEL: { Ref: "RegionLabel" },
    });
    expect(props.FunctionUrlConfig).toEqual({ AuthType: "NONE", InvokeMode: "RESPONSE_STREAM" });
    expect(props.Events).toBeUndefined();
    expect(t.Outputs?.Url?.Value).toEqual({ "Fn::GetAtt": ["ApiUrl", "FunctionUrl"] });
    expect(out.get("src/lambda.ts")).toContain('import { streamHandle } from "hono/aws-lambda";');
    expect(out.get("src/lambda.ts")).toContain("export const handler = streamHandle(app);");
    expect(JSON.parse(out.get("vercel.json")!)).toMatchObject({ regions: ["fra1", "iad1"], functions: { "api/index.ts": { memory: 3009, maxDuration: 300 } } });
  });

  it("a configured database.pool.max decides the pool size: the template does not set DATABASE_POOL_MAX", () => {
    const out = files(`${base}database:\n  pool:\n    max: 4\ndeployment:\n  targets: [lambda]\n`);
    expect(out.get("src/db/client.ts")).toContain("poolMax: 4,");
    expect(template(out).Resources.Api.Properties.Environment.Variables).not.toHaveProperty("DATABASE_POOL_MAX");
  });

  it("bad values are reported together, each with its position; the options are compiled, not ignored", () => {
    const text = `${base}deployment:
  targets: [lambda, vercel]
  lambda:
    memory: 64
    timeout: 901
    layers: [my-layer]
    environment:
      AWS_REGION: eu-west-1
      URL: https://\${HOST}/api
      9LIVES: x
    runtime: python3.12
    architecture: arm
  vercel:
    functions: {memory: 4096, maxDuration: 0}
    regions: [Frankfurt]
`;
    expect(diagnosticsOf(text)).toEqual([
      { code: "bad-value", severity: "error", at: "12:13", message: "deployment.lambda.memory: must be at least 128 (MB)" },
      { code: "bad-value", severity: "error", at: "13:14", message: "deployment.lambda.timeout: must be at most 900 (seconds): Lambda's limit" },
      { code: "bad-value", severity: "error", at: "14:14", message: "deployment.lambda.layers.0: must be a layer version ARN such as arn:aws:lambda:us-east-1:123456789012:layer:my-layer:3" },
      { code: "bad-value", severity: "error", at: "16:19", message: "deployment.lambda.environment.AWS_REGION: is set by Lambda itself; a function may not set it" },
      { code: "bad-value", severity: "error", at: "17:12", message: "deployment.lambda.environment.URL: mixes text with ${VAR}; the template passes a whole value: write `URL: ${URL}` and give it at deploy" },
      { code: "bad-value", severity: "error", at: "18:15", message: "deployment.lambda.environment.9LIVES: is not an environment variable name (letters, digits and _, not starting with a digit)" },
      { code: "bad-value", severity: "error", at: "19:14", message: "deployment.lambda.runtime: must be a Node.js runtime such as nodejs20.x" },
      { code: "bad-value", severity: "error", at: "20:19", message: "deployment.lambda.architecture must be one of: x86_64, arm64" },
      { code: "bad-value", severity: "error", at: "22:25", message: "deployment.vercel.functions.memory: must be at most 3009 (MB): Vercel's limit" },
      { code: "bad-value", severity: "error", at: "22:44", message: "deployment.vercel.functions.maxDuration: must be at least 1 (second)" },
      { code: "bad-value", severity: "error", at: "23:15", message: "deployment.vercel.regions.0: must be a Vercel region id such as iad1 or fra1" },
    ]);
    expect(diagnosticsOf(`${base}deployment:\n  lambda:\n    streamin: true\n`)).toMatchObject([{ code: "unknown-key", severity: "error", at: "11:5", message: 'unknown key "streamin" in deployment.lambda' }]);
    expect(diagnosticsOf(`${base}deployment:\n  targets: [lambda, vercel]\n  lambda: {memory: 256}\n  vercel: {functions: {memory: 512}}\n`)).toEqual([]);
  });
});
