/**
 * `yamac dev [dir]`: compile, migrate and serve, then watch. On each save of yama.yaml, an
 * overlay (yama.*.yaml), a user file outside the generated folders or an .env file:
 *   1. recompile in this process (rebuild.ts: only files whose content changed are written);
 *      a config with errors prints its diagnostics and changes nothing: the running server
 *      keeps serving the last good build;
 *   2. when the database schema changed, write a migration as `yamac migrate generate` does
 *      (a change that would drop data is refused unless --allow-destructive);
 *   3. hot-swap the new build into the running dev host (host.ts): the app's own modules are
 *      bundled (bundle.ts) and imported by the process that already listens and holds the
 *      database open; it applies pending migrations first (database.migrations.autoRun, or the
 *      migration this save generated when autoRun is off), and keeps the previous app serving
 *      if the new one fails to load. The database is PGlite under .yama/data unless DATABASE_URL
 *      is set, so nothing needs to be installed.
 * A full restart (a new process, prepared ahead as a standby) replaces the swap when the host's
 * shared state is stale: src/lib, src/server.ts or src/load-env.ts changed, an .env file changed,
 * or the host died. Projects the host cannot serve in place (see `swapBlocker`) restart the
 * emitted src/server.ts on every build, as before.
 * Ctrl-C stops the server and exits with 0.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { parseArgs } from "node:util";
import { formatDiagnostics } from "../diagnostics.js";
import { AppBundler } from "./bundle.js";
import type { HostLoad } from "./host.js";
import { Rebuilder } from "./rebuild.js";
import { DevServer } from "./server.js";
import { TreeWatcher } from "./watch.js";

/** Folders yamac writes or tools own: changes there never trigger a rebuild. */
const IGNORED = ["src/", "node_modules/", ".yama/", ".git/", "dist/", "api/", "netlify/", "coverage/"];

/** .env, .env.local, .env.development, …: read once when the server starts (src/load-env.ts). .env.example is documentation. */
const isEnvFile = (path: string) => /^\.env(\.[\w-]+)?(\.local)?$/.test(path) && path !== ".env.example";

/** Files whose change means a rebuild: the config, its overlays, user code or data outside generated folders, and .env files. */
export function isWatched(rel: string, migrationsFolder: string): boolean {
  const path = rel.split(sep).join("/");
  if (IGNORED.some((d) => path.startsWith(d)) || path.startsWith(`${migrationsFolder}/`)) return false;
  if (/^yama(\.[\w-]+)?\.ya?ml$/.test(path) || isEnvFile(path)) return true;
  return /\.(ts|mts|js|mjs|json|sql)$/.test(path) && !/(^|\/)(package(-lock)?|tsconfig|yama\.schema)\.json$/.test(path);
}

/** What the emitted src/server.ts may import for the dev host to stand in for it. */
const SERVER_IMPORTS = new Set(["./load-env.js", "./env.js", "@hono/node-server", "node:url", "./app.js", "./db/client.js", "./lib/migrations.js", "./lib/node-server.js"]);
/** Packages that open connections or install process-wide hooks when a module is loaded: every swap would add another. */
const PROCESS_WIDE = ["ioredis", "bullmq", "@opentelemetry/sdk-node", "@sentry/node", "../lib/queue.js"];
const importsOf = (text: string) => [...text.matchAll(/^\s*(?:import|export)\s+(?:[^"';]*?\sfrom\s+)?["']([^"']+)["']/gm)].map((m) => m[1]!);

/**
 * Why the dev host cannot serve this project by swapping builds in (undefined: it can). The
 * server entry must be the plain one (telemetry flushed on shutdown, for one, is not), and no
 * generated plugin may open its own connections (a Redis rate limiter, queues) or install
 * process-wide hooks (tracing, error tracking).
 */
export function swapBlocker(dir: string): string | undefined {
  for (const file of ["src/server.ts", "src/app.ts", "src/db/client.ts", "src/lib/db.ts", "src/lib/migrations.ts", "src/lib/node-server.ts"]) {
    if (!existsSync(join(dir, file))) return `there is no ${file}`;
  }
  const extra = importsOf(readFileSync(join(dir, "src/server.ts"), "utf8")).find((m) => !SERVER_IMPORTS.has(m));
  if (extra) return `src/server.ts imports ${extra}`;
  const plugins = join(dir, "src/plugins");
  for (const name of existsSync(plugins) ? readdirSync(plugins).sort() : []) {
    if (!name.endsWith(".ts")) continue;
    const pkg = importsOf(readFileSync(join(plugins, name), "utf8")).find((m) => PROCESS_WIDE.some((p) => m === p || m.startsWith(`${p}/`)));
    if (pkg) return `src/plugins/${name} imports ${pkg}`;
  }
  return undefined;
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
  const bundler = new AppBundler(dir);
  /** The bundle the dev host serves (older ones are removed). */
  let lastLoaded: string | undefined;

  /** Content hashes of watched files, so saves that change nothing (and duplicate events) are ignored. */
  const hashes = new Map<string, string>();
  const hashOf = (rel: string) => {
    const full = join(dir, rel);
    return existsSync(full) ? createHash("sha1").update(readFileSync(full)).digest("hex") : "";
  };

  /**
   * Generates the migration for a schema change; `generated` says whether a file was written.
   * `applyHere`: with autoRun off, apply it now with the emitted runner (src/migrate.ts) before
   * src/server.ts starts; a dev host applies it itself (it holds the database open).
   */
  const migrate = async (applyHere: boolean, rollbackOnFailure: boolean): Promise<{ ok: boolean; generated?: string }> => {
    const { generateProjectMigration } = await import("../migrate/generate.js");
    // The first migration is named "init" (as `yamac migrate generate` names it), later ones "dev".
    const first = !existsSync(join(dir, folder, "meta", "_journal.json"));
    const result = await generateProjectMigration(dir, { folder, allowDestructive: values["allow-destructive"] === true, importSchema: (path) => bundler.importSchema(path), ...(first ? {} : { name: "dev" }) });
    if (result.refused) {
      log(`not applied: the schema change would drop ${result.destructive.join(", ")}. Data in them would be lost; restart with --allow-destructive (or run \`yamac migrate generate --allow-destructive\`) if that is intended. The server keeps the last good build.`);
      return { ok: false };
    }
    if (result.file) log(`migration ${result.file} (${result.statements.length} statement${result.statements.length === 1 ? "" : "s"})`);
    for (const warning of result.warnings) log(`warning: ${warning}`);
    if (result.file && !autoRun && applyHere) {
      // database.migrations.autoRun is off: apply with the emitted runner before the server starts.
      const code = await new Promise<number | null>((done) => {
        const child = spawn(process.execPath, ["--import", "tsx", "src/migrate.ts"], { cwd: dir, stdio: "inherit" });
        child.once("exit", done);
      });
      if (code !== 0) {
        forget(result.file, rollbackOnFailure);
        log(`src/migrate.ts exited with ${code}: not applied.${server.serving ? " The server keeps running the last good build." : ""}`);
        return { ok: false };
      }
    }
    return result.file !== undefined ? { ok: true, generated: result.file } : { ok: true };
  };

  /**
   * Takes back a migration this process generated that failed to apply and was rolled back: left
   * in drizzle/, it would fail again at every start, and the next save could not generate the
   * change anew (its snapshot would already hold it).
   */
  const forget = (file: string, rolledBack: boolean) => {
    if (!rolledBack) return;
    void import("../migrate/generate.js").then(({ discardLastMigration }) => {
      if (discardLastMigration(dir, folder, file)) log(`removed ${file}, which failed: the next save generates the change again`);
    });
  };

  /**
   * The last build was written to src/ but not served (refused, or it did not load): a restart
   * that compiles nothing new (an .env change) serves the last good bundle, not src/.
   */
  let unserved = false;

  /** Why the last build restarts instead of swapping, so the reason is printed when it changes. */
  let blockerShown: string | undefined;

  /**
   * One rebuild. `codeChanged`: a user file (not the config) changed, so the app must be reloaded
   * even if nothing is written; `envChanged`: an .env file changed, so the server restarts.
   */
  const rebuild = async (reason: string, codeChanged: boolean, envChanged = false): Promise<void> => {
    const saved = now();
    const r = rebuilder.run();
    if (r.result.diagnostics.length) console.error(formatDiagnostics(r.result.diagnostics, { color, sources: r.result.sources }));
    if (!r.result.ok) {
      log(`${reason}: not applied (${r.result.diagnostics.filter((d) => d.severity === "error").length} error(s) above).${server.serving ? " The server keeps running the last good build." : ""}`);
      return;
    }
    const ir = r.result.ir!;
    written = new Set(r.result.files!.map((f) => f.path));
    folder = ir.database.migrations.folder;
    autoRun = ir.database.migrations.autoRun;
    const w = r.write!;
    const changed = [...w.written, ...w.deleted];
    const libChanged = changed.some((p) => p.startsWith("src/lib/"));
    log(`${reason}: compiled in ${ms(r.compileMs)}, ${w.written.length} written${w.deleted.length ? `, ${w.deleted.length} deleted` : ""}, ${w.unchanged.length} unchanged (${ms(r.writeMs)})`);
    if (changed.length === 0 && !codeChanged && !envChanged && server.serving) return;

    const blocker = swapBlocker(dir);
    if (blocker !== blockerShown) {
      blockerShown = blocker;
      if (blocker) log(`restarting the server on every change: ${blocker}, so builds are not swapped into a running process`);
    }
    const hosted = blocker === undefined;
    // Why the running dev host cannot take this build in place (it shares src/lib and the environment it started with).
    const restartReason = !hosted || !server.hosting ? undefined
      : libChanged ? "src/lib changed"
      : changed.some((p) => p === "src/server.ts" || p === "src/load-env.ts") ? "the server entry changed"
      : envChanged ? "an .env file changed"
      : undefined;
    if (restartReason) log(`${restartReason}: restarting the server`);
    else if (server.pid !== undefined && !server.running) log("the server had exited: starting it again");
    const swapping = hosted && server.hosting && !restartReason;

    const migrationStarted = now();
    const schemaChanged = changed.some((p) => p.startsWith("src/db/")) || !existsSync(join(dir, folder, "meta", "_journal.json"));
    let generated: string | undefined;
    if (schemaChanged) {
      const m = await migrate(!hosted, ir.database.migrations.rollbackOnFailure);
      if (!m.ok) {
        unserved = true;
        return;
      }
      generated = m.generated;
    }
    /** After a failed load, takes back the migration this save generated if that is what failed. */
    const failedWith = (message: string) => {
      unserved = true;
      if (generated !== undefined && /migrations failed and were rolled back/.test(message)) forget(generated, true);
    };
    const migrationMs = now() - migrationStarted;
    const steps = `compile ${ms(r.compileMs)}, write ${ms(r.writeMs)}${schemaChanged ? `, migration ${ms(migrationMs)}` : ""}`;

    if (hosted) {
      const bundleStarted = now();
      let file: string;
      // Nothing new to build since a build that was not served: serve the last good one, not src/.
      const reuse = unserved && changed.length === 0 && !codeChanged && lastLoaded !== undefined;
      if (reuse) log("src/ holds a build that was not served: restarting with the last good build");
      try {
        file = reuse ? lastLoaded! : await bundler.build();
      } catch (err) {
        unserved = true;
        log(`${reason}: not applied: bundling failed: ${(err as Error).message}${server.serving ? "\nThe server keeps running the last good build." : ""}`);
        return;
      }
      const bundleMs = now() - bundleStarted;
      // Pending migrations are applied as src/server.ts would: at every start with autoRun,
      // else the one this save generated (as src/migrate.ts would have); and after a start whose build did not load.
      const apply = autoRun ? !swapping || schemaChanged || !server.serving : generated !== undefined;
      const { rollbackOnFailure, verifyAfterRun } = ir.database.migrations;
      const load: HostLoad = { file, name: ir.name, ...(apply ? { migrations: { folder, rollbackOnFailure, verifyAfterRun } } : {}) };
      if (swapping) {
        const swapStarted = now();
        const wasServing = server.serving;
        try {
          const t = await server.swap(load);
          bundler.prune(file);
          log(`serving http://localhost:${port} (pid ${server.pid}): ${ms(now() - saved)} from save (${steps}, swap ${ms(bundleMs + now() - swapStarted)} (in process): bundle ${ms(bundleMs)}, load ${ms(t.importMs)}${load.migrations ? `, migrate ${ms(t.migrateMs)}` : ""})`);
        } catch (err) {
          bundler.prune(lastLoaded);
          failedWith((err as Error).message);
          log(`${reason}: not applied: ${(err as Error).message}.${wasServing ? " The server keeps running the last good build." : " Fix the error above and save again."}`);
          return;
        }
        lastLoaded = file;
        unserved = false;
        return;
      }
      if (await restart(load, saved, `${steps}, bundle ${ms(bundleMs)}`, libChanged, failedWith)) {
        bundler.prune(file);
        lastLoaded = file;
        unserved = false;
      }
      return;
    }
    if (await restart(undefined, saved, steps, libChanged, failedWith)) unserved = false;
  };

  /**
   * Replaces the server process (with the dev host serving `load`, or the emitted src/server.ts)
   * and prints how long it took from the save at `saved`; false when the new one failed to start.
   * `libChanged`: the build rewrote src/lib, which the standby process has preloaded.
   */
  const restart = async (load: HostLoad | undefined, saved: number, steps: string, libChanged: boolean, failed: (message: string) => void): Promise<boolean> => {
    const restartStarted = now();
    if (libChanged) await server.discardStandby();
    await server.stop();
    const stopMs = now() - restartStarted;
    try {
      await server.start(load);
    } catch (err) {
      failed((err as Error).message);
      log(`${(err as Error).message}; fix the error above and save again`);
      server.prepare();
      return false;
    }
    log(`serving http://localhost:${port} (pid ${server.pid}): ${ms(now() - saved)} from save (${steps}, restart ${ms(now() - restartStarted)}: stop ${ms(stopMs)}, start ${ms(now() - restartStarted - stopMs)}${server.lastStart === "standby" ? " from a standby process" : ""})`);
    server.prepare();
    return true;
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
    const env = changed.some(isEnvFile);
    const code = changed.some((rel) => !isConfig(rel) && !isEnvFile(rel));
    busy = rebuild(config ? "config changed" : code ? "user code changed" : "environment changed", code, env).finally(() => {
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
      .then(() => Promise.all([server.close(), bundler.close()]))
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
