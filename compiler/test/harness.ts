/**
 * Shared pieces of the end-to-end tests: a project compiled from a fixture into a folder
 * under .yama/ (so the repo's node_modules resolve), a fresh PostgreSQL database, and the
 * emitted server run as a child process.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { afterAll, beforeAll } from "vitest";
import { compileProject } from "../index.js";
import { generateProjectMigration } from "../migrate/generate.js";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const PG_BASE = "postgres://postgres@127.0.0.1:5432";

/**
 * Copies fixtures/<name> (config and user files) into a new folder, compiles it and generates its
 * first migration. `extraConfig` is appended to the copy's yama.yaml (e.g. an `auth:` section a
 * test needs), so fixtures copied from real projects stay as they are.
 */
export async function prepareProject(fixture: string, extraConfig = ""): Promise<string> {
  return prepareProjectFrom(join("fixtures", fixture), extraConfig);
}

/** prepareProject for a project folder anywhere in the repo (e.g. `bench/fixture`), given relative to the repo root. */
export async function prepareProjectFrom(folder: string, extraConfig = ""): Promise<string> {
  mkdirSync(join(ROOT, ".yama"), { recursive: true });
  const fixture = folder.replace(/^fixtures\//, "").replace(/\W+/g, "-");
  const dir = mkdtempSync(join(ROOT, ".yama", `${fixture}-`));
  const source = join(ROOT, folder);
  for (const entry of readdirSync(source)) cpSync(join(source, entry), join(dir, entry), { recursive: true });
  if (extraConfig) appendFileSync(join(dir, "yama.yaml"), `\n${extraConfig}`);
  const compiled = compileProject(dir);
  if (!compiled.ok) throw new Error(`${folder} does not compile: ${JSON.stringify(compiled.diagnostics.filter((d) => d.severity === "error"))}`);
  await generateProjectMigration(dir, { folder: "drizzle", allowDestructive: false });
  return dir;
}

/** prepareProject for a config (and project files, by path) written in the test itself: `name` prefixes the project's folder. */
export async function prepareProjectFromText(name: string, config: string, files: Readonly<Record<string, string>> = {}): Promise<string> {
  mkdirSync(join(ROOT, ".yama"), { recursive: true });
  const source = mkdtempSync(join(ROOT, ".yama", `${name}-source-`));
  try {
    writeFileSync(join(source, "yama.yaml"), config);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(source, path, ".."), { recursive: true });
      writeFileSync(join(source, path), text);
    }
    return await prepareProjectFrom(relative(ROOT, source));
  } finally {
    removeProject(source);
  }
}

/** `tsc --noEmit` over a compiled project: "" when it passes, else what tsc printed. */
export function typeErrors(dir: string): string {
  try {
    execFileSync(join(ROOT, "node_modules/.bin/tsc"), ["--noEmit", "-p", dir], { encoding: "utf8", stdio: "pipe" });
    return "";
  } catch (err) {
    return String((err as { stdout?: string }).stdout);
  }
}

/** typeErrors with one project file replaced by `text` for the check, and restored after it. */
export function typeErrorsWith(dir: string, file: string, text: string): string {
  const path = join(dir, file);
  const original = readFileSync(path, "utf8");
  writeFileSync(path, text);
  try {
    return typeErrors(dir);
  } finally {
    writeFileSync(path, original);
  }
}

export function removeProject(dir: string): void {
  if (dir && existsSync(dir)) rmSync(dir, { recursive: true, force: true });
}

/** A new, empty PostgreSQL database; `drop()` removes it. */
export async function createDatabase(prefix: string): Promise<{ url: string; sql: postgres.Sql; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(4).toString("hex")}`;
  const admin = postgres(`${PG_BASE}/postgres`, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = `${PG_BASE}/${name}`;
  const sql = postgres(url, { max: 2, onnotice: () => {} });
  return {
    url,
    sql,
    drop: async () => {
      await sql.end({ timeout: 5 });
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end({ timeout: 5 });
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export interface RunningServer {
  child: ChildProcess;
  base: string;
  /** Everything the server printed, stdout and stderr interleaved. */
  output: string[];
  /** What it printed on stderr only (errors, warnings). */
  stderr: string[];
  stop(): Promise<void>;
}

/**
 * The PGlite template every test server shares (runtime-lib/pglite.ts): made once, so a new data
 * directory costs a copy instead of an initdb.
 */
export const PGLITE_TEMPLATE = join(ROOT, ".yama", "pglite-template");

/** Starts the project's src/server.ts on a free port and resolves once it is listening. */
export async function startServer(dir: string, env: Record<string, string>): Promise<RunningServer> {
  const port = await freePort();
  const inherited = { ...process.env };
  delete inherited.DATABASE_URL;
  delete inherited.YAMA_DATA_DIR;
  const child = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], {
    cwd: dir,
    env: { ...inherited, HOST: "127.0.0.1", PORT: String(port), NODE_ENV: "test", YAMA_PGLITE_TEMPLATE: PGLITE_TEMPLATE, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const stderr: string[] = [];
  const server: RunningServer = {
    child,
    base: `http://127.0.0.1:${port}`,
    output,
    stderr,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      process.kill(child.pid!, "SIGTERM");
      const timer = setTimeout(() => child.exitCode === null && process.kill(child.pid!, "SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output.join("")}`)), 90_000);
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      output.push(chunk);
      if (output.join("").includes("listening on")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      output.push(chunk);
      stderr.push(chunk);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output.join("")}`));
    });
  });
  return server;
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  body: unknown;
}

/** One HTTP call with an optional JSON body; the body comes back parsed when it is JSON. */
export async function call(base: string, method: string, path: string, json?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: json === undefined ? headers : { "content-type": "application/json", ...headers },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, text, body };
}

/** A Redis logical database (1–15) emptied for this test run, so counters from earlier runs do not leak in. */
export async function freshRedisUrl(): Promise<string> {
  const { Redis } = await import("ioredis");
  const index = 1 + Math.floor(Math.random() * 15);
  const url = `redis://127.0.0.1:6379/${index}`;
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  await redis.flushdb();
  await redis.quit();
  return url;
}

export interface ServedFixture {
  dir: string;
  redisUrl: string;
  db: Awaited<ReturnType<typeof createDatabase>>;
  server: RunningServer;
}

/**
 * Registers beforeAll/afterAll hooks that compile a fixture, give it a fresh PostgreSQL
 * database (and a fresh Redis database in REDIS_URL), start its server, and clean up.
 * Read the fields inside tests: they are set once the hooks ran.
 */
export function serveFixture(fixture: string, env: Record<string, string> = {}, extraConfig = ""): ServedFixture {
  return serve(fixture, () => prepareProject(fixture, extraConfig), env);
}

/** serveFixture for a config (and project files, by path) written in the test itself. */
export function serveConfig(name: string, config: string, env: Record<string, string> = {}, files: Readonly<Record<string, string>> = {}): ServedFixture {
  return serve(name, () => prepareProjectFromText(name, config, files), env);
}

function serve(name: string, prepare: () => Promise<string>, env: Record<string, string>): ServedFixture {
  const served = {} as ServedFixture;
  beforeAll(async () => {
    served.dir = await prepare();
    served.db = await createDatabase(`yamac_${name.replace(/\W/g, "_")}`);
    served.redisUrl = await freshRedisUrl();
    served.server = await startServer(served.dir, { DATABASE_URL: served.db.url, REDIS_URL: served.redisUrl, ...env });
  }, 120_000);
  afterAll(async () => {
    await served.server?.stop();
    await served.db?.drop();
    removeProject(served.dir);
  });
  return served;
}

/** An \`auth:\` section with a JWT provider (secret from JWT_SECRET), for tests of configs that declare auth rules. */
export function jwtAuthSection(roles: Record<string, string[]>): string {
  const lines = ["auth:", "  providers:", "    - type: jwt", "      secret: ${JWT_SECRET}", "  roles:"];
  for (const [role, permissions] of Object.entries(roles)) lines.push(`    ${role}:`, `      permissions: [${permissions.map((p) => JSON.stringify(p)).join(", ")}]`);
  return lines.join("\n") + "\n";
}
