/**
 * The Node target: src/server.ts serves src/app.ts with @hono/node-server, applies pending
 * migrations first when configured, and shuts down gracefully on SIGTERM/SIGINT.
 * src/migrate.ts applies migrations and exits (`npm run migrate`).
 */
import type { OutputFile } from "../../compiler/4-emit/index.js";
import { envNumber } from "../../compiler/4-emit/env.js";
import { file, header, Imports, ts } from "../../compiler/4-emit/writer.js";
import type { ProjectIR } from "../../compiler/ir.js";
import type { ShutdownStep } from "../../compiler/plugins/types.js";

export function emitNodeTarget(ir: ProjectIR, shutdownSteps: readonly ShutdownStep[] = []): OutputFile[] {
  const folder = ts(`../${ir.database.migrations.folder}`);
  const server = new Imports()
    .add("node:url", "fileURLToPath")
    .add("@hono/node-server", "serve")
    .add("./app.js", "app")
    .add("./db/client.js", "database")
    .add("./lib/node-server.js", "answerClientErrors", "closeGracefully");
  for (const step of shutdownSteps) for (const [from, names] of Object.entries(step.imports)) server.add(from, ...names);
  const closing = shutdownSteps.length === 0 ? "database.close()" : `Promise.all([database.close(), ${shutdownSteps.map((s) => s.call).join(", ")}])`;
  const serverBody = `const port = ${envNumber(ir.server.port, 3000)};
const hostname = process.env.HOST ?? "0.0.0.0";
${ir.database.migrations.autoRun ? `
// database.migrations.autoRun: apply pending migrations before accepting requests.
await database.migrate(fileURLToPath(new URL(${folder}, import.meta.url)));
` : ""}
const server = serve({ fetch: app.fetch, port, hostname }, (info) => {
  console.log(\`${ir.name} listening on http://localhost:\${info.port} (\${database.driver})\`);
});
answerClientErrors(server);

/**
 * Stop accepting connections, let the requests already received finish (keep-alive clients are
 * told to close), then close the database${shutdownSteps.length ? " and flush telemetry" : ""}. Exits 1 if that takes over 10 s.
 */
function shutdown(signal: string): void {
  console.log(\`\${signal} received, shutting down\`);
  const force = setTimeout(() => process.exit(1), 10_000);
  force.unref();
  closeGracefully(server)
    .then(() => ${closing})
    .then(
      () => process.exit(0),
      () => process.exit(1),
    );
}

process.once("SIGTERM", () => shutdown("SIGTERM"));
process.once("SIGINT", () => shutdown("SIGINT"));`;
  const migrate = new Imports().add("node:url", "fileURLToPath").add("./db/client.js", "database");
  const migrateBody = `/** Applies pending migrations from ${ir.database.migrations.folder}/ and exits (\`npm run migrate\`). */
await database.migrate(fileURLToPath(new URL(${folder}, import.meta.url)));
await database.close();
console.log(\`migrations applied (\${database.driver})\`);`;
  return [
    { path: "src/server.ts", content: header("Node server entry", ir.configFile) + file(server.toString(), serverBody) },
    { path: "src/migrate.ts", content: header("migration runner", ir.configFile) + file(migrate.toString(), migrateBody) },
  ];
}
