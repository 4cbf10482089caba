/**
 * Migrations are drizzle-kit's: this module diffs the emitted Drizzle schema against the last
 * snapshot in drizzle/meta with drizzle-kit's own differ and writes the same files
 * `drizzle-kit generate` would (NNNN_name.sql, meta/NNNN_snapshot.json, meta/_journal.json),
 * so drizzle-kit and drizzle-orm's migrator read them unchanged.
 *
 * Destructive changes (dropping a table or a column) are refused unless allowed. When they are
 * allowed, drops and additions are diffed in two steps so drizzle-kit never stops to ask
 * whether a dropped column was renamed.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { generateDrizzleJson, generateMigration, type DrizzleSnapshotJSON } from "drizzle-kit/api";

interface Journal {
  version: string;
  dialect: string;
  entries: { idx: number; version: string; when: number; tag: string; breakpoints: boolean }[];
}

interface SnapshotTables {
  tables: Record<string, { name: string; columns: Record<string, unknown> }>;
}

export interface GenerateResult {
  /** Relative path of the new migration, or undefined when the schema did not change. */
  file?: string;
  statements: string[];
  /** Tables and columns the change would drop. */
  destructive: string[];
  refused: boolean;
}

const EMPTY_ID = "00000000-0000-0000-0000-000000000000";

function emptySnapshot(): DrizzleSnapshotJSON {
  return {
    id: EMPTY_ID, prevId: EMPTY_ID, version: "7", dialect: "postgresql", tables: {}, enums: {}, schemas: {}, views: {},
    sequences: {}, roles: {}, policies: {}, _meta: { schemas: {}, tables: {}, columns: {} },
  } as unknown as DrizzleSnapshotJSON;
}

function drops(prev: DrizzleSnapshotJSON, cur: DrizzleSnapshotJSON): string[] {
  const p = prev as unknown as SnapshotTables;
  const c = cur as unknown as SnapshotTables;
  const out: string[] = [];
  for (const [key, table] of Object.entries(p.tables)) {
    const now = c.tables[key];
    if (!now) {
      out.push(`table ${table.name}`);
      continue;
    }
    for (const column of Object.keys(table.columns)) if (!(column in now.columns)) out.push(`column ${table.name}.${column}`);
  }
  return out;
}

/** prev without the tables and columns that cur no longer has: the "drops only" midpoint. */
function withoutDrops(prev: DrizzleSnapshotJSON, cur: DrizzleSnapshotJSON): DrizzleSnapshotJSON {
  const mid = structuredClone(prev) as unknown as SnapshotTables;
  const c = cur as unknown as SnapshotTables;
  for (const key of Object.keys(mid.tables)) {
    const now = c.tables[key];
    if (!now) delete mid.tables[key];
    else for (const column of Object.keys(mid.tables[key]!.columns)) if (!(column in now.columns)) delete mid.tables[key]!.columns[column];
  }
  return mid as unknown as DrizzleSnapshotJSON;
}

export async function generateProjectMigration(projectDir: string, options: { folder: string; allowDestructive: boolean; name?: string }): Promise<GenerateResult> {
  const schemaPath = join(projectDir, "src/db/schema.ts");
  if (!existsSync(schemaPath)) throw new Error(`${schemaPath} does not exist: run \`yamac compile\` first`);
  const imports = (await import(pathToFileURL(schemaPath).href)) as Record<string, unknown>;
  const out = join(projectDir, options.folder);
  const meta = join(out, "meta");
  const journalPath = join(meta, "_journal.json");
  const journal: Journal = existsSync(journalPath) ? (JSON.parse(readFileSync(journalPath, "utf8")) as Journal) : { version: "7", dialect: "postgresql", entries: [] };
  const last = journal.entries.at(-1);
  const prev = last ? (JSON.parse(readFileSync(join(meta, `${last.tag.slice(0, 4)}_snapshot.json`), "utf8")) as DrizzleSnapshotJSON) : emptySnapshot();
  const cur = generateDrizzleJson(imports, (prev as { id: string }).id);

  const destructive = drops(prev, cur);
  if (destructive.length && !options.allowDestructive) return { statements: [], destructive, refused: true };
  const statements = destructive.length
    ? [...(await generateMigration(prev, withoutDrops(prev, cur))), ...(await generateMigration(withoutDrops(prev, cur), cur))]
    : await generateMigration(prev, cur);
  if (statements.length === 0) return { statements, destructive, refused: false };

  const idx = last ? last.idx + 1 : 0;
  const prefix = String(idx).padStart(4, "0");
  const label = (options.name ?? (idx === 0 ? "init" : "change")).toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "") || "change";
  const tag = `${prefix}_${label}`;
  mkdirSync(meta, { recursive: true });
  writeFileSync(join(out, `${tag}.sql`), statements.join("\n--> statement-breakpoint\n") + "\n");
  writeFileSync(join(meta, `${prefix}_snapshot.json`), JSON.stringify(cur, null, 2) + "\n");
  journal.entries.push({ idx, version: "7", when: Date.now(), tag, breakpoints: true });
  writeFileSync(journalPath, JSON.stringify(journal, null, 2) + "\n");
  return { file: `${options.folder}/${tag}.sql`, statements, destructive, refused: false };
}
