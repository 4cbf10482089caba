/**
 * Migrations are drizzle-kit's: this module diffs the emitted Drizzle schema against the last
 * snapshot in drizzle/meta with drizzle-kit's own differ and writes the same files
 * `drizzle-kit generate` would (NNNN_name.sql, meta/NNNN_snapshot.json, meta/_journal.json),
 * so drizzle-kit and drizzle-orm's migrator read them unchanged.
 *
 * Destructive changes (dropping a table or a column) are refused unless allowed. When they are
 * allowed, drops and additions are diffed in separate steps so drizzle-kit never stops to ask
 * whether a dropped column was renamed (see destructiveSteps).
 *
 * Beside each migration yamac writes NNNN_name.down.sql for `yamac migrate down`: drizzle-kit's
 * differ run from the new snapshot back to the previous one. A change that dropped a table or a
 * column cannot be reverted (the data is gone), so its down file only says why and refuses to run.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { generateDrizzleJson, generateMigration, type DrizzleSnapshotJSON } from "drizzle-kit/api";
import { register } from "tsx/esm/api";

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
  /** Steps that fail on a table that already has rows (a required column without a default), each as a sentence. */
  warnings: string[];
  /** Relative path of the down migration written beside it. */
  downFile?: string;
  /** Whether the down migration can revert the change (false after drops). */
  reversible?: boolean;
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

interface SnapshotColumn {
  notNull?: boolean;
  default?: unknown;
  primaryKey?: boolean;
  identity?: unknown;
  generated?: unknown;
}

/**
 * Changes to existing tables that PostgreSQL refuses once the table has rows: a column added as
 * NOT NULL without a default, or an existing column made NOT NULL. Whether the table has rows is
 * not known here, so these are warnings.
 */
function failsOnRows(prev: DrizzleSnapshotJSON, cur: DrizzleSnapshotJSON): string[] {
  const p = prev as unknown as SnapshotTables;
  const c = cur as unknown as SnapshotTables;
  const out: string[] = [];
  for (const [key, table] of Object.entries(c.tables)) {
    const before = p.tables[key];
    if (!before) continue;
    for (const [name, raw] of Object.entries(table.columns)) {
      const column = raw as SnapshotColumn;
      if (!column.notNull || column.default !== undefined || column.identity !== undefined || column.generated !== undefined) continue;
      const old = before.columns[name] as SnapshotColumn | undefined;
      if (old === undefined) {
        out.push(`column ${table.name}.${name} is added as NOT NULL without a default: if ${table.name} has rows, the migration fails ("contains null values"). Give the field a default (\`= value\`), make it optional (\`?\`), or fill it in by hand in the migration before the NOT NULL`);
      } else if (!old.notNull) {
        out.push(`column ${table.name}.${name} becomes NOT NULL: if a row of ${table.name} holds null there, the migration fails. Fill those rows in (an UPDATE at the top of the migration) or keep the field optional`);
      }
    }
  }
  return out;
}

/** The parts of a table that are not columns: named, and dropped or created as a whole. */
const TABLE_PARTS = ["indexes", "foreignKeys", "compositePrimaryKeys", "uniqueConstraints", "checkConstraints", "policies"] as const;

type SnapshotTable = SnapshotTables["tables"][string] & Partial<Record<(typeof TABLE_PARTS)[number], Record<string, unknown>>>;

/**
 * JSON with sorted keys and without undefined properties, so a snapshot read from disk and one
 * just generated (which has e.g. `where: undefined`) compare equal when they describe the same thing.
 */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).filter((k) => record[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(record[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * The midpoints of a destructive change, each diffed against the next so that no step both
 * drops and creates (drizzle-kit would stop to ask whether that is a rename):
 *   1. prev without the indexes, foreign keys and constraints of kept tables that cur lacks or
 *      defines differently: these are dropped first, while the columns they cover still exist
 *      (dropping a column or a table removes them silently, and a later DROP would fail);
 *   2. that without the tables and columns cur no longer has;
 *   then cur adds, alters and recreates the rest.
 */
function destructiveSteps(prev: DrizzleSnapshotJSON, cur: DrizzleSnapshotJSON): [DrizzleSnapshotJSON, DrizzleSnapshotJSON] {
  const c = cur as unknown as { tables: Record<string, SnapshotTable> };
  const withoutParts = structuredClone(prev) as unknown as { tables: Record<string, SnapshotTable> };
  for (const [key, table] of Object.entries(withoutParts.tables)) {
    const now = c.tables[key];
    if (!now) continue; // DROP TABLE … CASCADE takes its indexes and constraints with it
    for (const part of TABLE_PARTS) {
      const items = table[part];
      if (!items) continue;
      for (const name of Object.keys(items)) {
        if (!now[part] || !(name in now[part]) || canonical(items[name]) !== canonical(now[part][name])) delete items[name];
      }
    }
  }
  const withoutDrops = structuredClone(withoutParts);
  for (const key of Object.keys(withoutDrops.tables)) {
    const now = c.tables[key];
    if (!now) delete withoutDrops.tables[key];
    else for (const column of Object.keys(withoutDrops.tables[key]!.columns)) if (!(column in now.columns)) delete withoutDrops.tables[key]!.columns[column];
  }
  return [withoutParts as unknown as DrizzleSnapshotJSON, withoutDrops as unknown as DrizzleSnapshotJSON];
}

/**
 * Imports src/db/schema.ts and the table modules under it afresh. A plain import() would return
 * the module cached by an earlier call in the same process (a recompiled schema would look
 * unchanged); a tsx namespace of its own gives every call a new module graph.
 */
async function importFresh(path: string): Promise<Record<string, unknown>> {
  const api = register({ namespace: randomUUID() });
  try {
    return (await api.import(pathToFileURL(path).href, import.meta.url)) as Record<string, unknown>;
  } finally {
    await api.unregister();
  }
}

export async function generateProjectMigration(
  projectDir: string,
  options: {
    folder: string;
    allowDestructive: boolean;
    name?: string;
    /** Loads the current src/db/schema.ts (default: a fresh tsx import); `yamac dev` passes a quicker one (an esbuild bundle, dev/bundle.ts). */
    importSchema?: (path: string) => Promise<Record<string, unknown>>;
  },
): Promise<GenerateResult> {
  const schemaPath = join(projectDir, "src/db/schema.ts");
  if (!existsSync(schemaPath)) throw new Error(`${schemaPath} does not exist: run \`yamac compile\` first`);
  const imports = await (options.importSchema ?? importFresh)(schemaPath);
  const out = join(projectDir, options.folder);
  const meta = join(out, "meta");
  const journalPath = join(meta, "_journal.json");
  const journal: Journal = existsSync(journalPath) ? (JSON.parse(readFileSync(journalPath, "utf8")) as Journal) : { version: "7", dialect: "postgresql", entries: [] };
  const last = journal.entries.at(-1);
  const prev = last ? (JSON.parse(readFileSync(join(meta, `${last.tag.slice(0, 4)}_snapshot.json`), "utf8")) as DrizzleSnapshotJSON) : emptySnapshot();
  const cur = generateDrizzleJson(imports, (prev as { id: string }).id);

  const destructive = drops(prev, cur);
  const warnings = failsOnRows(prev, cur);
  if (destructive.length && !options.allowDestructive) return { statements: [], destructive, warnings, refused: true };
  let statements: string[];
  if (destructive.length) {
    const [withoutParts, withoutDrops] = destructiveSteps(prev, cur);
    statements = [
      ...(await generateMigration(prev, withoutParts)),
      ...(await generateMigration(withoutParts, withoutDrops)),
      ...(await generateMigration(withoutDrops, cur)),
    ];
  } else {
    statements = await generateMigration(prev, cur);
  }
  if (statements.length === 0) return { statements, destructive, warnings: [], refused: false };

  const idx = last ? last.idx + 1 : 0;
  const prefix = String(idx).padStart(4, "0");
  const label = (options.name ?? (idx === 0 ? "init" : "change")).toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "") || "change";
  const tag = `${prefix}_${label}`;
  mkdirSync(meta, { recursive: true });
  writeFileSync(join(out, `${tag}.sql`), statements.join("\n--> statement-breakpoint\n") + "\n");
  const reversible = destructive.length === 0;
  const down = reversible
    ? `-- Reverts ${tag} (\`yamac migrate down\`). Written by \`yamac migrate generate\`; edit it if the change needs more.\n${(await generateMigration(cur, prev)).join("\n--> statement-breakpoint\n")}\n`
    : `-- yamac:irreversible ${tag} dropped ${destructive.join(", ")}: the data in them cannot be restored. Restore a backup instead, or replace this file with your own down migration.\n`;
  writeFileSync(join(out, `${tag}.down.sql`), down);
  writeFileSync(join(meta, `${prefix}_snapshot.json`), JSON.stringify(cur, null, 2) + "\n");
  // drizzle-orm's migrator applies the entries whose `when` is later than the last applied one's:
  // two migrations generated within the same millisecond must still get increasing times.
  const when = Math.max(Date.now(), (last?.when ?? 0) + 1);
  journal.entries.push({ idx, version: "7", when, tag, breakpoints: true });
  writeFileSync(journalPath, JSON.stringify(journal, null, 2) + "\n");
  return { file: `${options.folder}/${tag}.sql`, downFile: `${options.folder}/${tag}.down.sql`, reversible, statements, destructive, warnings, refused: false };
}

/**
 * Removes the last migration of `folder` (its SQL, down file, snapshot and journal entry) when its
 * file is `file`: `yamac dev` takes back a migration it generated that failed to apply, so the
 * next save generates the change again from the schema the database has. False when it is not
 * the last one.
 */
export function discardLastMigration(projectDir: string, folder: string, file: string): boolean {
  const out = join(projectDir, folder);
  const journalPath = join(out, "meta", "_journal.json");
  if (!existsSync(journalPath)) return false;
  const journal = JSON.parse(readFileSync(journalPath, "utf8")) as Journal;
  const last = journal.entries.at(-1);
  if (!last || `${folder}/${last.tag}.sql` !== file) return false;
  journal.entries.pop();
  for (const f of [`${last.tag}.sql`, `${last.tag}.down.sql`, join("meta", `${last.tag.slice(0, 4)}_snapshot.json`)]) rmSync(join(out, f), { force: true });
  writeFileSync(journalPath, JSON.stringify(journal, null, 2) + "\n");
  return true;
}
