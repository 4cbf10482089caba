/** `yamac migrate generate|up [dir]`. */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { formatDiagnostics } from "../diagnostics.js";
import { compileProject } from "../index.js";
import { generateProjectMigration } from "./generate.js";

interface Options {
  allowDestructive: boolean;
  name?: string;
  color: boolean;
}

export async function migrateCommand(args: string[], options: Options): Promise<number> {
  const [sub = "up", maybeDir] = args;
  const known = ["generate", "up", "apply"];
  const subcommand = known.includes(sub) ? sub : "up";
  const dir = resolve((known.includes(sub) ? maybeDir : sub) ?? ".");
  const checked = compileProject(dir, { check: true });
  if (!checked.ok) {
    console.error(formatDiagnostics(checked.diagnostics, { color: options.color, sources: checked.sources }));
    return 1;
  }
  const folder = checked.ir!.database.migrations.folder;
  if (subcommand === "generate") {
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
    return 0;
  }
  const runner = join(dir, "src/migrate.ts");
  if (!existsSync(runner)) {
    console.error(`yamac: ${runner} does not exist: run \`yamac compile\` first`);
    return 1;
  }
  // The emitted runner resolves the data directory against the working directory, as `npm run migrate` does.
  process.chdir(dir);
  await import(pathToFileURL(runner).href);
  return 0;
}
