/**
 * The Node target: src/server.ts serves src/app.ts with @hono/node-server, applies pending
 * migrations first when configured (deployment.migrations), and shuts down gracefully on
 * SIGTERM/SIGINT. src/migrate.ts runs `status|up|down|verify` and exits (`npm run migrate`).
 * Both load .env files first (src/load-env.ts): the real environment wins over them.
 */
import type { OutputFile } from "../../compiler/4-emit/index.js";
import { envNumber } from "../../compiler/4-emit/env.js";
import { file, header, Imports, ts } from "../../compiler/4-emit/writer.js";
import type { ProjectIR } from "../../compiler/ir.js";

export function emitNodeTarget(ir: ProjectIR): OutputFile[] {
  const folder = ts(`../${ir.database.migrations.folder}`);
  const m = ir.database.migrations;
  const server = new Imports()
    .add("@hono/node-server", "serve")
    .add("./app.js", "app")
    .add("./db/client.js", "database");
  if (m.autoRun) server.add("node:url", "fileURLToPath").add("./lib/migrations.js", "migrateOnStart");
  const serverBody = `const port = ${envNumber(ir.server.port, 3000)};
const hostname = process.env.HOST ?? "0.0.0.0";
${m.autoRun ? `
// deployment.migrations: pending migrations are applied before the server accepts requests,
// under an advisory lock, so that instances starting together migrate once.
${m.rollbackOnFailure ? "// They run in one transaction (rollbackOnFailure)" : "// Each one commits on its own (rollbackOnFailure: false)"}${m.verifyAfterRun ? "; then the live schema is compared with the expected one (verifyAfterRun)" : ""}.
// On failure the process exits with code 1.
await migrateOnStart(database, fileURLToPath(new URL(${folder}, import.meta.url)), { rollbackOnFailure: ${m.rollbackOnFailure}, verifyAfterRun: ${m.verifyAfterRun} });
` : ""}
const server = serve({ fetch: app.fetch, port, hostname }, (info) => {
  console.log(\`${ir.name} listening on http://localhost:\${info.port} (\${database.driver})\`);
});

/** Stop accepting connections, let in-flight requests finish, then close the database. */
function shutdown(signal: string): void {
  console.log(\`\${signal} received, shutting down\`);
  const force = setTimeout(() => process.exit(1), 10_000);
  force.unref();
  server.close(() => {
    database.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

process.once("SIGTERM", () => shutdown("SIGTERM"));
process.once("SIGINT", () => shutdown("SIGINT"));`;
  const migrate = new Imports().add("node:url", "fileURLToPath").add("./db/client.js", "database").add("./lib/migrations.js", "runMigrationCommand");
  const migrateBody = `/**
 * \`npm run migrate [status|up|down|verify] [--steps n]\`: the migrations in ${ir.database.migrations.folder}/ against
 * PostgreSQL (DATABASE_URL) or PGlite. \`up\` is the default. See docs/migrations.md of yamac.
 */
const args = process.argv.slice(2);
const command = args.find((a) => !a.startsWith("--") && !/^\\d+$/.test(a)) ?? "up";
const steps = args.includes("--steps") ? Number(args[args.indexOf("--steps") + 1]) : undefined;

process.exitCode = await runMigrationCommand(database, fileURLToPath(new URL(${folder}, import.meta.url)), command, {
  rollbackOnFailure: ${m.rollbackOnFailure},
  verifyAfterRun: ${m.verifyAfterRun},
  steps,
});
await database.close();`;
  const loadEnv = `import { loadEnvFiles } from "./lib/env-files.js";

/**
 * Local runs: variables from .env, .env.<NODE_ENV>, .env.local and .env.<NODE_ENV>.local (later
 * files win) fill in what the real environment does not set. src/server.ts and src/migrate.ts
 * import this module first, before anything reads process.env.
 */
loadEnvFiles();
`;
  // The environment check (config:) runs before the database client reads DATABASE_URL.
  const first = `import "./load-env.js";\n${ir.config.length ? 'import "./env.js";\n' : ""}`;
  return [
    { path: "src/load-env.ts", content: header(".env files", ir.configFile) + loadEnv },
    { path: "src/server.ts", content: header("Node server entry", ir.configFile) + first + file(server.toString(), serverBody) },
    { path: "src/migrate.ts", content: header("migration runner", ir.configFile) + 'import "./load-env.js";\n' + file(migrate.toString(), migrateBody) },
  ];
}
