/**
 * The process every server of `yamac dev` runs in. It is started before it is needed: it loads
 * Node, the TypeScript loader and the app's runtime library (src/lib, and through it Hono,
 * Drizzle, zod and the database driver, resolved from the project as the app resolves them),
 * then waits. When the next build is ready, `yamac dev` stops the old server and sends `start`:
 * this process imports src/server.ts, so a restart only evaluates the app's own modules.
 *
 * The IPC channel stays open: when `yamac dev` goes away without stopping it (killed), the
 * channel closes and the server shuts down as on SIGTERM, so no server outlives its watcher.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

process.once("disconnect", () => process.kill(process.pid, "SIGTERM"));
const lib = join(process.cwd(), "src", "lib");
for (const name of readdirSync(lib).sort()) {
  if (name.endsWith(".ts") && !name.endsWith(".test.ts")) await import(pathToFileURL(join(lib, name)).href);
}
process.on("message", (message: { start?: boolean }) => {
  if (message.start) void import(pathToFileURL(join(process.cwd(), "src", "server.ts")).href);
});
process.send!({ ready: true });
