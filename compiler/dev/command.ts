/**
 * `yamac dev [dir]`: compile, migrate and serve, then watch. On each save of yama.yaml, an
 * overlay (yama.*.yaml) or a user file outside the generated folders:
 *   1. recompile in this process (rebuild.ts: only files whose content changed are written);
 *      a config with errors prints its diagnostics and changes nothing: the running server
 *      keeps serving the last good build;
 *   2. when the database schema changed, write a migration as `yamac migrate generate` does
 *      (a change that would drop data is refused unless --allow-destructive);
 *   3. restart the emitted server (a child process: `node --import tsx src/server.ts`), which
 *      applies pending migrations before it listens (database.migrations.autoRun; otherwise
 *      src/migrate.ts runs first). The database is PGlite under .yama/data unless DATABASE_URL
 *      is set, so nothing needs to be installed.
 * Ctrl-C stops the server and exits with 0.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { parseArgs } from "node:util";
import { formatDiagnostics } from "../diagnostics.js";
import { Rebuilder } from "./rebuild.js";
import { DevServer } from "./server.js";
import { TreeWatcher } from "./watch.js";

/** Folders yamac writes or tools own: changes there never trigger a rebuild. */
const IGNORED = ["src/", "node_modules/", ".yama/", ".git/", "dist/", "api/", "netlify/", "coverage/"];

/** Files whose change means a rebuild: the config, its overlays, and user code or data outside generated folders. */
export function isWatched(rel: string, migrationsFolder: string): boolean {
  const path = rel.split(sep).join("/");
  if (IGNORED.some((d) => path.startsWith(d)) || path.startsWith(`${migrationsFolder}/`)) return false;
  if (/^yama(\.[\w-]+)?\.ya?ml$/.test(path)) return true;
  return /\.(ts|mts|js|mjs|json|sql)$/.test(path) && !/(^|\/)(package(-lock)?|tsconfig|yama\.schema)\.json$/.test(path);
}

const now = () => performance.now();
const ms = (t: number) => `${Math.round(t)} ms`;

export async function devCommand(args: string[], color: boolean): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { port: { type: "string" }, "allow-destructive": { type: "boolean" }, color: { type: "boolean" }, "no-color": { type: "boolean" } },
  });
  const dir = resolve(positionals[0] ?? ".");
  const port = Number(values.port ?? process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`yamac: --port must be a port number; got "${values.port}"`);
    return 2;
  }
  const log = (line: string) => console.log(`[yamac] ${line}`);
  const rebuilder = new Rebuilder(dir);
  /** Paths the last build emitted: events for them are the compiler's own writes. */
  let written = new Set<string>();
  const server = new DevServer({ dir, port, env: process.env, print: (line) => console.log(`[server] ${line}`) });
  let folder = "drizzle";
  let autoRun = true;

  /** Content hashes of watched files, so saves that change nothing (and duplicate events) are ignored. */
  const hashes = new Map<string, string>();
  const hashOf = (rel: string) => {
    const full = join(dir, rel);
    return existsSync(full) ? createHash("sha1").update(readFileSync(full)).digest("hex") : "";
  };

  const migrate = async (): Promise<boolean> => {
    const { generateProjectMigration } = await import("../migrate/generate.js");
    // The first migration is named "init" (as `yamac migrate generate` names it), later ones "dev".
    const first = !existsSync(join(dir, folder, "meta", "_journal.json"));
    const result = await generateProjectMigration(dir, { folder, allowDestructive: values["allow-destructive"] === true, ...(first ? {} : { name: "dev" }) });
    if (result.refused) {
      log(`not applied: the schema change would drop ${result.destructive.join(", ")}. Data in them would be lost; restart with --allow-destructive (or run \`yamac migrate generate --allow-destructive\`) if that is intended. The server keeps the last good build.`);
      return false;
    }
    if (result.file) log(`migration ${result.file} (${result.statements.length} statement${result.statements.length === 1 ? "" : "s"})`);
    if (result.file && !autoRun) {
      // database.migrations.autoRun is off: apply with the emitted runner before the server starts.
      await new Promise<void>((done, fail) => {
        const child = spawn(process.execPath, ["--import", "tsx", "src/migrate.ts"], { cwd: dir, stdio: "inherit" });
        child.once("exit", (code) => (code === 0 ? done() : fail(new Error(`src/migrate.ts exited with ${code}`))));
      });
    }
    return true;
  };

  /** One rebuild; `codeChanged`: a user file (not the config) changed, so the server must restart even if nothing is written. */
  const rebuild = async (reason: string, codeChanged: boolean): Promise<void> => {
    const saved = now();
    const r = rebuilder.run();
    if (r.result.diagnostics.length) console.error(formatDiagnostics(r.result.diagnostics, { color, sources: r.result.sources }));
    if (!r.result.ok) {
      log(`${reason}: not applied (${r.result.diagnostics.filter((d) => d.severity === "error").length} error(s) above).${server.running ? " The server keeps running the last good build." : ""}`);
      return;
    }
    const ir = r.result.ir!;
    written = new Set(r.result.files!.map((f) => f.path));
    folder = ir.database.migrations.folder;
    autoRun = ir.database.migrations.autoRun;
    const w = r.write!;
    const changed = [...w.written, ...w.deleted];
    log(`${reason}: compiled in ${ms(r.compileMs)}, ${w.written.length} written${w.deleted.length ? `, ${w.deleted.length} deleted` : ""}, ${w.unchanged.length} unchanged (${ms(r.writeMs)})`);
    if (changed.length === 0 && !codeChanged && server.running) return;
    const migrationStarted = now();
    const schemaChanged = changed.some((p) => p.startsWith("src/db/")) || !existsSync(join(dir, folder, "meta", "_journal.json"));
    if (schemaChanged && !(await migrate())) return;
    const migrationMs = now() - migrationStarted;
    const restartStarted = now();
    // The standby preloaded src/lib: if this build rewrote it, it would run the old copy.
    if (changed.some((p) => p.startsWith("src/lib/"))) await server.discardStandby();
    await server.stop();
    const stopMs = now() - restartStarted;
    try {
      await server.start();
    } catch (err) {
      log(`${(err as Error).message}; fix the error above and save again`);
      return;
    }
    log(`serving http://localhost:${port} (pid ${server.pid}): ${ms(now() - saved)} from save (compile ${ms(r.compileMs)}, write ${ms(r.writeMs)}${schemaChanged ? `, migration ${ms(migrationMs)}` : ""}, restart ${ms(now() - restartStarted)}: stop ${ms(stopMs)}, start ${ms(now() - restartStarted - stopMs)}${server.lastStart === "standby" ? " from a standby process" : ""})`);
    server.prepare();
  };

  // Changes are handled one at a time; changes that arrive during a rebuild are merged into the next one.
  let pending = new Set<string>();
  let busy: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const isConfig = (rel: string) => /^yama(\.[\w-]+)?\.ya?ml$/.test(rel);
  const schedule = (rel: string) => {
    pending.add(rel);
    clearTimeout(timer);
    timer = setTimeout(drain, 25);
  };
  const drain = () => {
    if (busy || pending.size === 0) return;
    // Files the compiler itself writes outside src/ (drizzle.config.ts, …) are not user changes.
    const changed = [...pending].filter((rel) => !written.has(rel));
    pending = new Set();
    if (changed.length === 0) return;
    const config = changed.some(isConfig);
    const code = changed.some((rel) => !isConfig(rel));
    busy = rebuild(code && !config ? "user code changed" : "config changed", code).finally(() => {
      busy = undefined;
      if (pending.size && !stopped) drain();
    });
  };

  // Signals are handled from the start: Ctrl-C during the first build still stops the server it started.
  let watcher: TreeWatcher | undefined;
  let stopped = false;
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  const stop = (signal: string) => {
    if (stopped) return;
    stopped = true;
    log(`${signal}: stopping`);
    watcher?.close();
    clearTimeout(timer);
    void Promise.resolve(busy)
      .catch(() => undefined)
      .then(() => server.close())
      .then(() => finish(0));
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));

  // Watch before the first build, so a save made while it runs is not missed (it runs next).
  const onChange = (rel: string) => {
    if (!isWatched(rel, folder)) return;
    const hash = hashOf(rel);
    if (hashes.get(rel) === hash) return;
    hashes.set(rel, hash);
    schedule(rel);
  };
  for (const name of ["yama.yaml", "yama.yml"]) if (existsSync(join(dir, name))) hashes.set(name, hashOf(name));
  try {
    watcher = new TreeWatcher(dir, (rel) => !IGNORED.some((d) => `${rel}/`.startsWith(d)) && !`${rel}/`.startsWith(`${folder}/`), onChange);
  } catch (err) {
    console.error(`yamac: cannot watch ${dir}: ${(err as Error).message}`);
    return 1;
  }

  log(`watching ${relative(process.cwd(), dir) || "."} (database: ${process.env.DATABASE_URL ? "DATABASE_URL" : "PGlite in .yama/data"})`);
  busy = rebuild("start", true).finally(() => {
    busy = undefined;
    if (pending.size && !stopped) drain();
  });
  return finished;
}
