/**
 * The Node target: src/server.ts serves src/app.ts with @hono/node-server, applies pending
 * migrations first when configured (deployment.migrations), and shuts down gracefully on
 * SIGTERM/SIGINT. src/migrate.ts runs `status|up|down|verify` and exits (`npm run migrate`).
 * Both load .env files first (src/load-env.ts): the real environment wins over them. On request,
 * a PM2 process file and a systemd unit run the bundled server (`dist/node/server.mjs`).
 */
import type { OutputFile } from "../../compiler/4-emit/index.js";
import { envNumber } from "../../compiler/4-emit/env.js";
import { file, header, Imports, ts } from "../../compiler/4-emit/writer.js";
import type { ProjectIR } from "../../compiler/ir.js";
import type { ServeOption, ShutdownStep, StartupStep } from "../../compiler/plugins/types.js";
import { databaseEnv, packageName, serverPort } from "../settings.js";

export function emitNodeTarget(ir: ProjectIR, shutdownSteps: readonly ShutdownStep[] = [], startupSteps: readonly StartupStep[] = [], serveOptions: readonly ServeOption[] = []): OutputFile[] {
  const folder = ts(`../${ir.database.migrations.folder}`);
  const m = ir.database.migrations;
  const server = new Imports()
    .add("@hono/node-server", "serve")
    .add("./app.js", "app")
    .add("./db/client.js", "database")
    .add("./lib/node-server.js", "answerClientErrors", "closeGracefully");
  for (const step of [...shutdownSteps, ...startupSteps, ...serveOptions]) for (const [from, names] of Object.entries(step.imports)) server.add(from, ...names);
  const beforeServer = shutdownSteps.filter((s) => s.beforeServer);
  const draining = shutdownSteps.filter((s) => s.beforeDatabase);
  const flushing = shutdownSteps.filter((s) => !s.beforeDatabase && !s.beforeServer);
  const closeServer = beforeServer.length === 0 ? "closeGracefully(server)" : `${beforeServer.length === 1 ? beforeServer[0]!.call : `Promise.all([${beforeServer.map((s) => s.call).join(", ")}])`}
    .then(() => closeGracefully(server))`;
  const closing = flushing.length === 0 ? "database.close()" : `Promise.all([database.close(), ${flushing.map((s) => s.call).join(", ")}])`;
  const drain = draining.length === 0 ? "" : `\n    .then(() => ${draining.length === 1 ? draining[0]!.call : `Promise.all([${draining.map((s) => s.call).join(", ")}])`})`;
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
const server = serve({ fetch: app.fetch, port, hostname${serveOptions.map((o) => `, ${o.property}`).join("")} }, (info) => {
  console.log(\`${ir.name} listening on http://localhost:\${info.port} (\${database.driver})\`);
});
answerClientErrors(server);
${startupSteps.map((s) => `\n${s.statement}\n`).join("")}
/**
 * ${beforeServer.length ? "Close the WebSockets, stop" : "Stop"} accepting connections, let the requests already received finish (keep-alive clients are
 * told to close), ${draining.length ? "let running queue jobs finish, " : ""}then close the database${flushing.length ? " and flush telemetry" : ""}. Exits 1 if that takes over 10 s.
 */
function shutdown(signal: string): void {
  console.log(\`\${signal} received, shutting down\`);
  const force = setTimeout(() => process.exit(1), 10_000);
  force.unref();
  ${closeServer}${drain}
    .then(() => ${closing})
    .then(
      () => process.exit(0),
      () => process.exit(1),
    );
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
    ...emitNodeExtras(ir),
  ];
}

/** PM2's process file: the bundled server (`npm run build` or `yamac build`), graceful reloads. */
function ecosystem(ir: ProjectIR, instances: number | "max"): string {
  const { port, env } = serverPort(ir);
  const cluster = instances !== 1;
  return `// PM2 process file for ${ir.name} (generated once by yamac; yours to edit).
// Build first (\`yamac build\` or \`npm run build\`), then: pm2 startOrReload ecosystem.config.cjs --env production
module.exports = {
  apps: [
    {
      name: ${ts(packageName(ir))},
      script: "dist/node/server.mjs",
      instances: ${typeof instances === "number" ? instances : ts(instances)},
      exec_mode: ${ts(cluster ? "cluster" : "fork")},
      // The server drains in-flight requests for up to 10 s after SIGINT/SIGTERM.
      kill_timeout: 12000,
      max_memory_restart: "512M",
      time: true,
      env: { NODE_ENV: "development" },
      env_production: { NODE_ENV: "production"${env ? `, ${env}: ${ts(String(port))}` : ""} },
    },
  ],
};
`;
}

/** A systemd service: the bundled server as an unprivileged user, restarted on failure, stopped with SIGTERM. */
function systemdUnit(ir: ProjectIR, user: string, directory: string): string {
  const { port, env } = serverPort(ir);
  const name = packageName(ir);
  const migrate = ir.database.migrations.autoRun
    ? "# Migrations are applied by the server at start (database.migrations.autoRun)."
    : `ExecStartPre=/usr/bin/node dist/node/migrate.mjs`;
  return `# systemd unit for ${ir.name} (generated once by yamac; yours to edit).
# Install: copy the project (with dist/ from \`yamac build\` and node_modules) to ${directory}, then
#   sudo cp deploy/${name}.service /etc/systemd/system/ && sudo systemctl daemon-reload
#   sudo systemctl enable --now ${name}
# Secrets (${databaseEnv(ir)}, …) go in /etc/${name}.env, one VAR=value per line, readable by root only.
[Unit]
Description=${ir.name} API (${ir.version})
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=${user}
Group=${user}
WorkingDirectory=${directory}
Environment=NODE_ENV=production${env ? `\nEnvironment=${env}=${port}` : ""}
EnvironmentFile=-/etc/${name}.env
${migrate}
ExecStart=/usr/bin/node dist/node/server.mjs
Restart=on-failure
RestartSec=2
# SIGTERM: stop accepting, finish in-flight requests (up to 10 s), close the pool.
KillSignal=SIGTERM
TimeoutStopSec=15
NoNewPrivileges=true
PrivateTmp=true
ProtectSystem=strict
ProtectHome=true
ReadWritePaths=-${directory}/.yama

[Install]
WantedBy=multi-user.target
`;
}

/** The process-manager files asked for with `--pm2`, `--systemd` or `deployment.node`. */
export function emitNodeExtras(ir: ProjectIR): OutputFile[] {
  const { pm2, systemd } = ir.deployment.node;
  const files: OutputFile[] = [];
  if (pm2) files.push({ path: "ecosystem.config.cjs", content: ecosystem(ir, pm2.instances), ifMissing: true });
  if (systemd) files.push({ path: `deploy/${packageName(ir)}.service`, content: systemdUnit(ir, systemd.user, systemd.directory), ifMissing: true });
  return files;
}
