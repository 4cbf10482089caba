/**
 * The process every server of `yamac dev` runs in (cwd: the project). It is started before it is
 * needed: it loads Node, the TypeScript loader and the app's runtime library (src/lib, and through
 * it Hono, Drizzle, zod and the database driver, resolved from the project as the app resolves
 * them), then waits for one of two messages:
 *
 *   `load` (the hot swap): this process becomes a long-lived dev host. It owns the HTTP listener
 *   and the open database, and its fetch handler delegates to the current app. Each `load` names
 *   a bundle of the app's own modules (bundle.ts: src/app.ts, src/db/client.ts and what they
 *   import, with packages and src/lib left as imports of the copies already loaded here); the host
 *   imports it, applies pending migrations with it when asked, then serves the new app. The
 *   database stays open across loads (src/lib/db.ts `keepConnectionsOpen`). A bundle that throws
 *   while loading, or migrations that fail, leave the previous app serving. Replies on IPC:
 *   `{ loaded, importMs, migrateMs }` or `{ failed }`.
 *
 *   `start` (a full restart, for projects the host cannot swap; see command.ts): imports
 *   src/server.ts, so a restart only evaluates the app's own modules.
 *
 * The IPC channel stays open: when `yamac dev` goes away without stopping it (killed), the channel
 * closes and the process shuts down as on SIGTERM, so no server outlives its watcher.
 */
import { existsSync, readdirSync } from "node:fs";
import type { Server } from "node:http";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** A build to serve: the bundle, and what to do before serving it. */
export interface HostLoad {
  /** Absolute path of the bundle (.yama/dev/app-<n>.mjs). */
  file: string;
  /** The app's name, for the "listening on" line. */
  name: string;
  /** Apply pending migrations from `folder` (relative to the project) before serving. */
  migrations?: { folder: string; rollbackOnFailure: boolean; verifyAfterRun: boolean };
}

export type HostMessage = { start: true } | { load: HostLoad };
export type HostReply = { ready: true } | { loaded: true; importMs: number; migrateMs: number } | { failed: string };

/** What a bundle exports (see bundle.ts). */
interface AppModule {
  app: { fetch: (request: Request, env?: unknown) => Response | Promise<Response> };
  database: Parameters<typeof import("../../runtime-lib/migrations.js").runMigrationCommand>[0] & { driver: string };
  serve: typeof import("@hono/node-server").serve;
}

const root = process.cwd();
const url = (path: string) => pathToFileURL(path).href;
const reply = (message: HostReply) => process.send!(message);

process.once("disconnect", () => process.kill(process.pid, "SIGTERM"));
const lib = join(root, "src", "lib");
for (const name of readdirSync(lib).sort()) {
  if (name.endsWith(".ts") && !name.endsWith(".test.ts")) await import(url(join(lib, name)));
}

let current: AppModule["app"] | undefined;
let server: Server | undefined;
let hosting = false;
let queue: Promise<void> = Promise.resolve();

async function load(build: HostLoad): Promise<HostReply> {
  const [db, migrations, nodeServer] = (await Promise.all([import(url(join(lib, "db.ts"))), import(url(join(lib, "migrations.ts"))), import(url(join(lib, "node-server.ts")))])) as [
    typeof import("../../runtime-lib/db.js"),
    typeof import("../../runtime-lib/migrations.js"),
    typeof import("../../runtime-lib/node-server.js"),
  ];
  if (!hosting) {
    hosting = true;
    db.keepConnectionsOpen();
    // As src/server.ts does first: .env files fill in the environment.
    if (existsSync(join(root, "src", "load-env.ts"))) await import(url(join(root, "src", "load-env.ts")));
    process.once("SIGTERM", () => shutdown("SIGTERM", db.closeKeptConnections, nodeServer.closeGracefully));
    process.once("SIGINT", () => shutdown("SIGINT", db.closeKeptConnections, nodeServer.closeGracefully));
  }
  const started = performance.now();
  let mod: AppModule;
  try {
    mod = (await import(url(build.file))) as AppModule;
  } catch (err) {
    console.error(err);
    return { failed: `the new build failed to load: ${(err as Error).message}` };
  }
  const imported = performance.now();
  if (build.migrations) {
    const { folder, ...options } = build.migrations;
    const code = await migrations.runMigrationCommand(mod.database, join(root, folder), "up", options);
    if (code !== 0) return { failed: options.rollbackOnFailure ? "migrations failed and were rolled back" : "migrations failed (migrations applied before the failure stay applied)" };
  }
  current = mod.app;
  if (!server) {
    const port = Number(process.env.PORT || "3000");
    const hostname = process.env.HOST ?? "0.0.0.0";
    const failed = await new Promise<string | undefined>((resolve) => {
      const s = mod.serve({ fetch: (request, env) => current!.fetch(request, env), port, hostname }, (info) => {
        console.log(`${build.name} listening on http://localhost:${info.port} (${mod.database.driver})`);
        resolve(undefined);
      }) as Server;
      s.once("error", (err) => resolve(`the server cannot listen: ${err.message}`));
      server = s;
    });
    if (failed) {
      server = undefined;
      return { failed };
    }
    nodeServer.answerClientErrors(server!);
  }
  return { loaded: true, importMs: imported - started, migrateMs: performance.now() - imported };
}

/** As src/server.ts: stop accepting connections, let requests in flight finish, then close the database. */
function shutdown(signal: string, closeDatabase: () => Promise<void>, closeGracefully: (s: Server) => Promise<void>): void {
  console.log(`${signal} received, shutting down`);
  const force = setTimeout(() => process.exit(1), 10_000);
  force.unref();
  void queue
    .then(() => (server ? closeGracefully(server) : undefined))
    .then(() => closeDatabase())
    .then(
      () => process.exit(0),
      () => process.exit(1),
    );
}

process.on("message", (message: HostMessage) => {
  if ("start" in message) {
    void import(url(join(root, "src", "server.ts")));
    return;
  }
  queue = queue.then(async () => {
    let result: HostReply;
    try {
      result = await load(message.load);
    } catch (err) {
      console.error(err);
      result = { failed: (err as Error).message };
    }
    reply(result);
  });
});
reply({ ready: true });
