/**
 * A server process of `yamac dev` started before it is needed: it loads Node, the TypeScript
 * loader and the app's runtime library (src/lib, and through it Hono, Drizzle, zod and the
 * database driver, resolved from the project as the app resolves them), then waits. When the
 * next build is ready, `yamac dev` stops the old server and tells this one to import
 * src/server.ts, so a restart only evaluates the app's own modules.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const lib = join(process.cwd(), "src", "lib");
for (const name of readdirSync(lib).sort()) {
  if (name.endsWith(".ts") && !name.endsWith(".test.ts")) await import(pathToFileURL(join(lib, name)).href);
}
process.send!({ ready: true });
process.once("message", (message: { start?: boolean }) => {
  if (!message.start) return;
  process.disconnect();
  void import(pathToFileURL(join(process.cwd(), "src", "server.ts")).href);
});
