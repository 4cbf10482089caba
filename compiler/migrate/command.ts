/**
 * `yamac migrate generate|status|up|down|verify [dir]`. generate diffs the emitted schema (see
 * generate.ts); the others run runtime-lib/migrations.ts, the code the emitted app runs at
 * start, against PostgreSQL (DATABASE_URL, or database.url) or the project's PGlite data folder.
 * .env files of the project are loaded first, as for `npm run migrate`.
 */
import { join, resolve } from "node:path";
import { formatDiagnostics } from "../diagnostics.js";
import { compileProject } from "../index.js";
import { resolveConfigString } from "../2-analyze/config-string.js";

interface Options {
  allowDestructive: boolean;
  name?: string;
  color: boolean;
  /** The environment: overlay and .env.<env> (default NODE_ENV). */
  env?: string;
  explicitEnv?: boolean;
  /** `down`: how many migrations to revert. */
  steps?: number;
}

export const MIGRATE_COMMANDS = ["generate", "status", "up", "down", "verify", "apply"];

export async function migrateCommand(args: string[], options: Options): Promise<number> {
  const [sub = "up", maybeDir] = args;
  const known = MIGRATE_COMMANDS.includes(sub);
  const subcommand = known ? (sub === "apply" ? "up" : sub) : "up";
  const dir = resolve((known ? maybeDir : sub) ?? ".");
  const checked = compileProject(dir, { check: true, env: options.env, explicitEnv: options.explicitEnv });
  if (!checked.ok) {
    console.error(formatDiagnostics(checked.diagnostics, { color: options.color, sources: checked.sources }));
    return 1;
  }
  const ir = checked.ir!;
  const folder = ir.database.migrations.folder;
  if (subcommand === "generate") {
    // Loaded on demand: drizzle-kit takes most of a second to import.
    const { generateProjectMigration } = await import("./generate.js");
    const result = await generateProjectMigration(dir, { folder, allowDestructive: options.allowDestructive, name: options.name });
    if (result.refused) {
      console.error(`yamac: refusing a destructive migration; it would drop:\n${result.destructive.map((d) => `  - ${d}`).join("\n")}\nData in them would be lost. Run again with --allow-destructive if that is intended.`);
      return 1;
    }
    if (!result.file) {
      console.log("no schema changes; no migration written");
      return 0;
    }
    console.log(`wrote ${result.file} (${result.statements.length} statement${result.statements.length === 1 ? "" : "s"})`);
    console.log(`wrote ${result.downFile} (${result.reversible ? "reverts it" : "irreversible: the change drops data"})`);
    for (const warning of result.warnings) console.error(`warning: ${warning}`);
    return 0;
  }
  // Loaded on demand: the runtime library pulls in the database drivers.
  const [{ loadEnvFiles }, { createDatabase }, { runMigrationCommand }] = await Promise.all([
    import("../../runtime-lib/env-files.js"),
    import("../../runtime-lib/db.js"),
    import("../../runtime-lib/migrations.js"),
  ]);
  loadEnvFiles(dir, options.env || process.env.NODE_ENV || "development");
  const url = resolveConfigString(ir.database.url, process.env);
  const database = await createDatabase({
    schema: {},
    url: url || undefined,
    dataDir: resolve(dir, process.env.YAMA_DATA_DIR ?? ir.database.dataDir),
    // The same template the app's first start uses (src/db/client.ts); empty turns it off.
    pgliteTemplate: process.env.YAMA_PGLITE_TEMPLATE === "" ? "" : resolve(dir, process.env.YAMA_PGLITE_TEMPLATE ?? ".yama/pglite-template"),
    poolMax: 2,
    ssl: ir.database.ssl,
  });
  try {
    const m = ir.database.migrations;
    return await runMigrationCommand(database, join(dir, folder), subcommand, { rollbackOnFailure: m.rollbackOnFailure, verifyAfterRun: m.verifyAfterRun, steps: options.steps });
  } finally {
    await database.close();
  }
}
