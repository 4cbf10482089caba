/**
 * Environments: yama.<env>.yaml overlays (merge rules, diagnostics in the overlay file), the
 * typed `config:` section (src/env.ts checked at start, every problem at once), .env files for
 * local runs, and .env.example.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mergeOverlay } from "../1-parse/overlay.js";
import { parseConfig } from "../1-parse/parse.js";
import { DiagnosticBag } from "../diagnostics.js";
import { compileProject, compileText } from "../index.js";
import { generateProjectMigration } from "../migrate/generate.js";
import { loadEnvFiles } from "../../runtime-lib/env-files.js";
import { call, createDatabase, prepareProject, removeProject, ROOT, startServer, type RunningServer } from "./harness.js";

function merged(base: string, overlay: string): unknown {
  const bag = new DiagnosticBag();
  const b = parseConfig("yama.yaml", base, bag)!;
  const o = parseConfig("yama.production.yaml", overlay, bag)!;
  expect(bag.items).toEqual([]);
  return o.value == null ? b.value : mergeOverlay(b, o).value;
}

describe("overlay merge rules", () => {
  const cases: { name: string; base: string; overlay: string; expected: unknown }[] = [
    { name: "a scalar is replaced", base: "server: {port: 3000}", overlay: "server: {port: 8080}", expected: { server: { port: 8080 } } },
    {
      name: "mappings merge key by key, at every depth",
      base: "database:\n  url: ${DATABASE_URL}\n  pool: {min: 1, max: 10}",
      overlay: "database:\n  pool: {max: 50}\n  ssl: require",
      expected: { database: { url: "${DATABASE_URL}", pool: { min: 1, max: 50 }, ssl: "require" } },
    },
    { name: "a key only in the overlay is added", base: "name: api", overlay: "version: 2.0.0", expected: { name: "api", version: "2.0.0" } },
    { name: "null removes a key", base: "name: api\nrateLimit: {max: 10}", overlay: "rateLimit: null", expected: { name: "api" } },
    { name: "~ removes a nested key", base: "database: {url: x, dataDir: .data}", overlay: "database: {dataDir: ~}", expected: { database: { url: "x" } } },
    { name: "a plain list is replaced, not concatenated", base: "deployment: {targets: [node, lambda]}", overlay: "deployment: {targets: [vercel]}", expected: { deployment: { targets: ["vercel"] } } },
    { name: "a list of scalars inside an entity is replaced", base: "x: {tags: [a, b, c]}", overlay: "x: {tags: [d]}", expected: { x: { tags: ["d"] } } },
    { name: "a mapping over a scalar replaces it", base: "auth: false", overlay: "auth: {providers: []}", expected: { auth: { providers: [] } } },
    { name: "a scalar over a mapping replaces it", base: "cache: {ttl: 10}", overlay: "cache: false", expected: { cache: false } },
    {
      name: "endpoints merge by method and path; new ones are appended",
      base: "endpoints:\n  - {path: /a, method: GET, handler: handlers/a.ts, description: base}\n  - {path: /a, method: POST, handler: handlers/b.ts}",
      overlay: "endpoints:\n  - {path: /a, method: get, description: overlay}\n  - {path: /debug, method: GET, handler: handlers/debug.ts}",
      expected: {
        endpoints: [
          { path: "/a", method: "get", handler: "handlers/a.ts", description: "overlay" },
          { path: "/a", method: "POST", handler: "handlers/b.ts" },
          { path: "/debug", method: "GET", handler: "handlers/debug.ts" },
        ],
      },
    },
    {
      name: "apis.rest endpoints merge the same way",
      base: "apis:\n  rest:\n    basePath: /api\n    endpoints:\n      - {path: /x, method: GET, handler: handlers/x.ts}",
      overlay: "apis:\n  rest:\n    endpoints:\n      - {path: /x, method: GET, auth: false}",
      expected: { apis: { rest: { basePath: "/api", endpoints: [{ path: "/x", method: "GET", handler: "handlers/x.ts", auth: false }] } } },
    },
    {
      name: "plugins (list form) merge by name, a bare name and its options alike",
      base: 'plugins:\n  - "@betagors/yama-health"\n  - "@betagors/yama-logging": {level: info, format: json}',
      overlay: 'plugins:\n  - "@betagors/yama-logging": {level: warn}\n  - "@betagors/yama-security"',
      expected: { plugins: ["@betagors/yama-health", { "@betagors/yama-logging": { level: "warn", format: "json" } }, "@betagors/yama-security"] },
    },
    {
      name: "plugins given a bare name in the base take the overlay's options",
      base: 'plugins: ["@betagors/yama-health"]',
      overlay: 'plugins:\n  - "@betagors/yama-health": {path: /healthz}',
      expected: { plugins: [{ "@betagors/yama-health": { path: "/healthz" } }] },
    },
    {
      name: "a plugin written {name, config} in one file and as a one-key map in the other: the overlay's entry replaces",
      base: 'plugins:\n  - name: "@betagors/yama-logging"\n    config: {level: info}',
      overlay: 'plugins:\n  - "@betagors/yama-logging": {level: warn}',
      expected: { plugins: [{ "@betagors/yama-logging": { level: "warn" } }] },
    },
    {
      name: "auth providers merge by type",
      base: 'auth:\n  providers:\n    - {type: jwt, secret: "${JWT_SECRET}", expiresIn: 1h}\n    - {type: api-key, keys: "${KEYS}"}',
      overlay: "auth:\n  providers:\n    - {type: jwt, expiresIn: 5m}",
      expected: { auth: { providers: [{ type: "jwt", secret: "${JWT_SECRET}", expiresIn: "5m" }, { type: "api-key", keys: "${KEYS}" }] } },
    },
    {
      name: "a list with an item that has no key is replaced whole",
      base: "endpoints:\n  - {path: /a, method: GET, handler: handlers/a.ts}",
      overlay: "endpoints:\n  - {path: /b}",
      expected: { endpoints: [{ path: "/b" }] },
    },
    {
      name: "entity fields merge: one field changed, the others kept",
      base: "entities:\n  Note:\n    fields:\n      id: uuid!\n      title: string!\n    crud: true",
      overlay: "entities:\n  Note:\n    fields:\n      title: string(1..50)!\n    crud: {pagination: {limit: 5}}",
      expected: { entities: { Note: { fields: { id: "uuid!", title: "string(1..50)!" }, crud: { pagination: { limit: 5 } } } } },
    },
    { name: "an empty overlay changes nothing", base: "name: api", overlay: "# nothing here\n", expected: { name: "api" } },
  ];
  it.each(cases)("$name", ({ base, overlay, expected }) => {
    expect(merged(base, overlay)).toEqual(expected);
  });
});

const BASE = `name: notes
entities:
  Note:
    fields:
      id: uuid!
      title: string(1..120)!
    crud: true
`;

describe("diagnostics with an overlay", () => {
  it("point into the overlay file for values it set, and into yama.yaml for the rest", () => {
    const overlay = "entities:\n  Note:\n    fields:\n      body: txt?\n";
    const base = BASE.replace("title: string(1..120)!", "title: strng!");
    const result = compileText(base, "yama.yaml", undefined, { overlay: { file: "yama.production.yaml", text: overlay } });
    expect(result.ok).toBe(false);
    const errors = result.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.location.file}:${d.location.line}:${d.location.col} ${d.code}`);
    expect(errors).toEqual(["yama.production.yaml:4:13 unknown-type", "yama.yaml:6:14 unknown-type"]);
    expect(result.sources.get("yama.production.yaml")).toBe(overlay);
  });

  it("an unknown key in the overlay is reported at the overlay's key", () => {
    const result = compileText(BASE, "yama.yaml", undefined, { overlay: { file: "yama.staging.yaml", text: "server:\n  port: 8080\ndatabse:\n  url: x\n" } });
    const d = result.diagnostics.find((x) => x.code === "unknown-key")!;
    expect(d.location).toMatchObject({ file: "yama.staging.yaml", line: 3, col: 1 });
    expect(d.hint).toContain('"database"');
  });

  it("a value merged from the overlay into an entity yama.yaml declares is located in the overlay", () => {
    const result = compileText(BASE.replace("crud: true", "crud: {pagination: {maxLimit: 50}}"), "yama.yaml", undefined, { overlay: { file: "yama.production.yaml", text: "entities:\n  Note:\n    crud:\n      pagination:\n        limit: 80\n" } });
    const d = result.diagnostics.find((x) => x.code === "bad-crud-option")!;
    expect(d.location).toMatchObject({ file: "yama.production.yaml", line: 5, col: 16 });
  });

  it("an overlay that changes tables is a warning at what it changes; crud settings are not", () => {
    const warnings = (text: string) => compileText(BASE, "yama.yaml", undefined, { overlay: { file: "yama.production.yaml", text } }).diagnostics.filter((d) => d.code === "overlay-changes-schema").map((d) => [d.location.file, d.location.line]);
    expect(warnings("entities:\n  Note:\n    crud:\n      pagination:\n        limit: 80\n")).toEqual([]);
    expect(warnings("server:\n  port: 8080\nentities:\n  Note:\n    fields:\n      extra: string?\n  Audit:\n    fields:\n      what: string!\n")).toEqual([
      ["yama.production.yaml", 5],
      ["yama.production.yaml", 7],
    ]);
  });

  it("an overlay that is not a mapping is an error at the overlay", () => {
    const result = compileText(BASE, "yama.yaml", undefined, { overlay: { file: "yama.production.yaml", text: "- a\n- b\n" } });
    expect(result.diagnostics.map((d) => [d.code, d.location.file])).toEqual([["bad-overlay", "yama.production.yaml"]]);
  });

  it("`yamac check --env` merges the overlay and prints its source line; without --env it is not read", () => {
    mkdirSync(join(ROOT, ".yama"), { recursive: true });
    const dir = mkdtempSync(join(ROOT, ".yama", "overlay-cli-"));
    try {
      writeFileSync(join(dir, "yama.yaml"), BASE);
      writeFileSync(join(dir, "yama.production.yaml"), "# production\nentities:\n  Note:\n    fields:\n      title: strng!\n");
      const env = { ...process.env, NODE_ENV: "" };
      const bad = spawnSync(process.execPath, ["bin/yamac.js", "check", dir, "--env", "production", "--no-color"], { cwd: ROOT, encoding: "utf8", env });
      expect(bad.status).toBe(1);
      expect(bad.stderr).toContain("yama.production.yaml:5:14: error: unknown type");
      expect(bad.stderr).toContain("5 |       title: strng!");
      const plain = spawnSync(process.execPath, ["bin/yamac.js", "check", dir, "--no-color"], { cwd: ROOT, encoding: "utf8", env });
      expect(plain.status).toBe(0);
      // NODE_ENV picks the overlay when --env is not given.
      const byNodeEnv = spawnSync(process.execPath, ["bin/yamac.js", "check", dir, "--no-color"], { cwd: ROOT, encoding: "utf8", env: { ...process.env, NODE_ENV: "production" } });
      expect(byNodeEnv.status).toBe(1);
      const missing = spawnSync(process.execPath, ["bin/yamac.js", "check", dir, "--env", "prod", "--no-color"], { cwd: ROOT, encoding: "utf8", env });
      expect(missing.status).toBe(0);
      expect(missing.stderr).toContain("no yama.prod.yaml");
      expect(compileProject(dir, { env: "../x" }).diagnostics.map((d) => d.code)).toEqual(["bad-env-name"]);
    } finally {
      removeProject(dir);
    }
  });
});

describe("config: diagnostics", () => {
  const check = (section: string) => compileText(`${BASE}config:\n${section}`).diagnostics.map((d) => `${d.location.line}:${d.location.col} ${d.severity} ${d.code}: ${d.message}`);

  it("reports every bad variable at once, each at its position", () => {
    expect(
      check(
        [
          "  PAGE_SIZE: numbr = 20",
          "  LIMIT: { type: integer, default: 2.5 }",
          "  MODE: { type: enum }",
          "  KEY: { type: string, secret: true, default: abc }",
          "  PORT: { type: string, format: port }",
          "  LEVEL: { type: enum, values: [a, b], default: c }",
          "  TOKEN: { type: string, secret: true, example: xyz }",
          "  bad-name: string",
        ].join("\n"),
      ),
    ).toEqual([
      '9:14 error bad-config-var: config.PAGE_SIZE: "numbr = 20" is not a variable type',
      "10:36 error bad-config-var: config.LIMIT: the default 2.5 is not an integer",
      "11:17 error bad-config-var: config.MODE: an enum needs its values",
      "12:38 error bad-config-var: config.KEY is a secret: a default would put its value in the config and in src/",
      "13:33 error bad-config-var: config.PORT: format port does not apply to a string",
      '14:49 error bad-config-var: config.LEVEL: the default "c" is not a value of the enum (a, b)',
      "15:40 error bad-config-var: config.TOKEN is a secret: it cannot have an example value",
      '16:3 error bad-config-var: config.bad-name: "bad-name" is not an identifier',
    ]);
  });

  it("an unknown key of a variable suggests the right one", () => {
    const d = compileText(`${BASE}config:\n  A: { type: string, requird: true }\n`).diagnostics[0]!;
    expect([d.code, d.location.line, d.location.col, d.hint]).toEqual(["unknown-key", 9, 22, 'did you mean "required"?']);
  });

  it("a malformed ${…} reference is a warning; handler code is not checked", () => {
    const result = compileText(`${BASE}database:\n  url: \${DB-URL}\n`);
    expect(result.diagnostics.map((d) => `${d.code} ${d.location.line}:${d.location.col}`)).toEqual(["bad-env-reference 9:8"]);
  });
});

describe(".env.example", () => {
  it("lists every variable the app reads, with descriptions, and never a secret value", () => {
    const result = compileText(`${BASE}config:
  STRIPE_KEY: { type: string, required: true, secret: true, description: Stripe API key }
  PAGE_SIZE: { type: integer, default: 20, description: Items per page }
  PUBLIC_URL: { type: url, required: true, example: "https://api.example.com" }
  LOG_FORMAT: { type: enum, values: [json, pretty], default: json }
auth:
  providers:
    - type: jwt
      secret: \${JWT_SECRET:-insecure-dev-secret}
database:
  pool:
    max: \${DATABASE_POOL_MAX:-10}
`);
    expect(result.ok).toBe(true);
    const text = result.files!.find((f) => f.path === ".env.example")!.content;
    expect(text.startsWith("# Generated by yamac from yama.yaml")).toBe(true);
    const entries = [...text.matchAll(/^(# )?([A-Z_]+)=(.*)$/gm)].map((m) => `${m[1] ? "optional" : "required"} ${m[2]}=${m[3]}`);
    expect(entries).toEqual([
      "optional DATABASE_POOL_MAX=10",
      "optional DATABASE_URL=",
      "optional HOST=",
      "optional JWT_SECRET=",
      "optional LOG_FORMAT=json",
      "optional PAGE_SIZE=20",
      "optional PORT=",
      "required PUBLIC_URL=https://api.example.com",
      "required STRIPE_KEY=",
      "optional YAMA_DATA_DIR=",
      "optional YAMA_PGLITE_TEMPLATE=",
    ]);
    expect(text).toContain("# Stripe API key (string, required, secret)");
    expect(text).toContain("# Items per page (integer, default 20)");
    expect(text).toContain("# Used by auth.providers.0.secret in yama.yaml.");
    expect(text).not.toContain("insecure-dev-secret");
    // Every variable the emitted code reads is listed.
    const read = new Set(result.files!.flatMap((f) => [...f.content.matchAll(/process\.env\.([A-Z_]+)/g)].map((m) => m[1]!)));
    read.delete("NODE_ENV");
    for (const name of read) expect(text, name).toContain(`${name}=`);
  });
});

describe(".env files", () => {
  it("later files win, and the real environment wins over every file", () => {
    mkdirSync(join(ROOT, ".yama"), { recursive: true });
    const dir = mkdtempSync(join(ROOT, ".yama", "dotenv-"));
    try {
      writeFileSync(join(dir, ".env"), "A=env\nB=env\nC=env\nD=env\nE=env\n");
      writeFileSync(join(dir, ".env.staging"), "B=staging\nC=staging\nD=staging\n");
      writeFileSync(join(dir, ".env.local"), "C=local\nD=local\n");
      writeFileSync(join(dir, ".env.staging.local"), 'D="staging local"\n');
      writeFileSync(join(dir, ".env.production"), "A=production\n");
      const target: Record<string, string | undefined> = { E: "real" };
      expect(loadEnvFiles(dir, "staging", target)).toEqual([".env", ".env.staging", ".env.local", ".env.staging.local"]);
      expect(target).toEqual({ A: "env", B: "staging", C: "local", D: "staging local", E: "real" });
    } finally {
      removeProject(dir);
    }
  });
});

describe("the emitted app checks its environment at start", () => {
  const CONFIG = `${BASE}endpoints:
  - path: /settings
    method: GET
    handler: handlers/settings.ts
config:
  STRIPE_KEY: { type: string, required: true, secret: true, minLength: 8, description: Stripe API key }
  PAGE_SIZE: { type: integer, min: 1, max: 100, default: 20 }
  PUBLIC_URL: url!
  FEATURES_ON: { type: boolean, default: false }
  LOG_FORMAT: { type: enum, values: [json, pretty], default: json }
  SUPPORT_EMAIL: { type: email }
`;
  const HANDLER = `import type { SettingsContext } from "../src/endpoints/settings.js";
import { env } from "../src/env.js";

export async function settings(ctx: SettingsContext) {
  const { PAGE_SIZE, FEATURES_ON, PUBLIC_URL, LOG_FORMAT, SUPPORT_EMAIL } = ctx.config;
  return { PAGE_SIZE, FEATURES_ON, PUBLIC_URL, LOG_FORMAT, SUPPORT_EMAIL, same: env === ctx.config, keyLength: ctx.config.STRIPE_KEY.length };
}
`;
  let dir = "";
  let db: Awaited<ReturnType<typeof createDatabase>> | undefined;
  let server: RunningServer | undefined;

  beforeAll(async () => {
    mkdirSync(join(ROOT, ".yama"), { recursive: true });
    dir = mkdtempSync(join(ROOT, ".yama", "env-app-"));
    writeFileSync(join(dir, "yama.yaml"), CONFIG);
    mkdirSync(join(dir, "handlers"));
    writeFileSync(join(dir, "handlers/settings.ts"), HANDLER);
    const compiled = compileProject(dir);
    expect(compiled.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    await generateProjectMigration(dir, { folder: "drizzle", allowDestructive: false });
    db = await createDatabase("yamac_envapp");
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    removeProject(dir);
  });

  /** Starts src/server.ts expecting it to fail; its exit code and stderr. */
  function startFailing(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
    const inherited = { ...process.env };
    for (const k of ["DATABASE_URL", "STRIPE_KEY", "PAGE_SIZE", "PUBLIC_URL", "FEATURES_ON", "LOG_FORMAT", "SUPPORT_EMAIL"]) delete inherited[k];
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], { cwd: dir, env: { ...inherited, PORT: "0", DATABASE_URL: db!.url, ...env }, stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stderr }));
    });
  }

  it("lists every missing and malformed variable at once, exits 1, and never prints a secret", async () => {
    const { code, stderr } = await startFailing({ STRIPE_KEY: "sk_shh", PAGE_SIZE: "500", FEATURES_ON: "maybe", LOG_FORMAT: "xml", SUPPORT_EMAIL: "nobody" });
    expect(code).toBe(1);
    expect(stderr).toContain("invalid environment (6 problems):");
    expect(stderr).toContain("  - FEATURES_ON must be true or false (or 1/0, yes/no, on/off), got \"maybe\"");
    expect(stderr).toContain('  - LOG_FORMAT must be one of: json, pretty, got "xml"');
    expect(stderr).toContain('  - PAGE_SIZE must be at most 100, got "500"');
    expect(stderr).toContain("  - PUBLIC_URL is not set");
    expect(stderr).toContain("  - STRIPE_KEY must be at least 8 characters long (value hidden: secret)");
    expect(stderr).toContain('  - SUPPORT_EMAIL must be a valid email, got "nobody"');
    expect(stderr).not.toContain("sk_shh");
    expect(stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
  }, 60_000);

  it("a missing required secret is named with its description", async () => {
    const { code, stderr } = await startFailing({ PUBLIC_URL: "https://api.example.com" });
    expect(code).toBe(1);
    expect(stderr).toContain("invalid environment (1 problem):\n  - STRIPE_KEY is not set (Stripe API key)");
  }, 60_000);

  it("starts with values from .env files (the real environment winning) and hands typed values to handlers", async () => {
    writeFileSync(join(dir, ".env"), "STRIPE_KEY=sk_test_from_dotenv\nPUBLIC_URL=https://from-dotenv.example.com\nPAGE_SIZE=30\nFEATURES_ON=yes\n");
    writeFileSync(join(dir, ".env.local"), "PAGE_SIZE=40\n");
    server = await startServer(dir, { DATABASE_URL: db!.url, PUBLIC_URL: "https://real.example.com", NODE_ENV: "development" });
    const res = await call(server.base, "GET", "/settings");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ PAGE_SIZE: 40, FEATURES_ON: true, PUBLIC_URL: "https://real.example.com", LOG_FORMAT: "json", same: true, keyLength: "sk_test_from_dotenv".length });
    expect(readFileSync(join(dir, ".env.example"), "utf8")).toContain("STRIPE_KEY=\n");
  }, 120_000);
});

describe("fixtures/environments served", () => {
  let dir = "";
  let db: Awaited<ReturnType<typeof createDatabase>> | undefined;
  let server: RunningServer | undefined;
  beforeAll(async () => {
    dir = await prepareProject("environments");
    db = await createDatabase("yamac_envfix");
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    removeProject(dir);
  });

  it("migrates and verifies at start, then serves typed config (renamed variable, defaults, booleans)", async () => {
    server = await startServer(dir, { DATABASE_URL: db!.url, STRIPE_KEY: "sk_test_0123456789abcdef", PUBLIC_URL: "https://api.example.com", SEARCH_ENABLED: "on", APP_REGION: "us-east-2" });
    expect((await call(server.base, "GET", "/about")).body).toEqual({ publicUrl: "https://api.example.com", pageSize: 20, searchEnabled: true, region: "us-east-2", logFormat: "json" });
    expect(Number((await db!.sql`SELECT count(*) AS n FROM drizzle.__drizzle_migrations`)[0]!.n)).toBe(1);
  }, 120_000);
});
