/**
 * Migrations at deploy time: status, up, down and verify over drizzle-kit's migration folder.
 *
 * Compatible with drizzle-orm's migrator: the same `drizzle.__drizzle_migrations` table (a row per
 * applied migration: the SHA-256 of its file and its journal time), and a migration is pending
 * when its journal time is later than the last applied one's. On top of that:
 *   - every run holds a PostgreSQL advisory lock, so instances starting together migrate once:
 *     the first applies, the others wait and then find nothing pending;
 *   - `rollbackOnFailure` runs the pending migrations in one transaction (one failure leaves the
 *     database as it was); off, each migration commits on its own;
 *   - `down` runs `<tag>.down.sql` (written by `yamac migrate generate`) and forgets the row;
 *   - `verify` compares the live schema with drizzle-kit's snapshot of the last applied migration,
 *     and the applied files' checksums with the files.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { schemaDrift, type Snapshot } from "./schema-drift.js";

/** One connection, used for a whole run (the advisory lock and transactions belong to it). */
export interface SqlSession {
  /** One statement, optionally with $1… parameters; its rows. */
  query<T extends Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** A script of one or more statements, no parameters. */
  exec(text: string): Promise<void>;
}

/** What the migration commands need of a database (src/db/client.ts's `database` has it). */
export interface MigrationTarget {
  driver: "pglite" | "postgres";
  /** Runs `fn` on one dedicated connection. */
  session<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
}

export interface Migration {
  /** `0003_add_orders`: the file name without `.sql`. */
  tag: string;
  /** drizzle-kit's journal time: the order, and the key of the applied row. */
  when: number;
  /** SHA-256 of the file, as drizzle-orm stores it. */
  hash: string;
  statements: string[];
  /** `<tag>.down.sql`: its statements, or why the migration cannot be reverted. */
  down?: { statements: string[] } | { irreversible: string };
}

/** Where a down file says the migration cannot be reverted: `-- yamac:irreversible <reason>`. */
const IRREVERSIBLE = /^--\s*yamac:irreversible\s*(.*)$/m;
const BREAKPOINT = "--> statement-breakpoint";

/** The advisory lock key every yamac migration run takes (the bytes of "yama"). */
export const MIGRATION_LOCK = 0x79616d61;

const TABLE = `"drizzle"."__drizzle_migrations"`;

const split = (sql: string) => sql.split(BREAKPOINT).filter((s) => s.trim() !== "");

/** The migrations of `folder`, in journal order. */
export function readMigrations(folder: string): Migration[] {
  const journalPath = join(folder, "meta", "_journal.json");
  if (!existsSync(journalPath)) return [];
  const journal = JSON.parse(readFileSync(journalPath, "utf8")) as { entries: { tag: string; when: number }[] };
  return journal.entries.map((entry) => {
    const file = join(folder, `${entry.tag}.sql`);
    if (!existsSync(file)) throw new Error(`the journal (${join(folder, "meta", "_journal.json")}) lists migration ${entry.tag}, but ${file} does not exist: restore the file, or remove its entry from the journal`);
    const text = readFileSync(file, "utf8");
    const downPath = join(folder, `${entry.tag}.down.sql`);
    const migration: Migration = { tag: entry.tag, when: entry.when, hash: createHash("sha256").update(text).digest("hex"), statements: split(text) };
    if (existsSync(downPath)) {
      const down = readFileSync(downPath, "utf8");
      const refused = IRREVERSIBLE.exec(down);
      migration.down = refused ? { irreversible: refused[1]!.trim() || "its down migration refuses to run" } : { statements: split(down) };
    }
    return migration;
  });
}

interface AppliedRow extends Record<string, unknown> {
  id: number;
  hash: string;
  created_at: string | number;
}

async function ensureTable(s: SqlSession): Promise<void> {
  await s.exec(`CREATE SCHEMA IF NOT EXISTS "drizzle"; CREATE TABLE IF NOT EXISTS ${TABLE} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`);
}

/** The journal time of the newest applied row; -Infinity when none is. */
const newestOf = (rows: readonly AppliedRow[]) => (rows.length ? Math.max(...rows.map((r) => Number(r.created_at))) : -Infinity);

async function appliedRows(s: SqlSession): Promise<AppliedRow[]> {
  const exists = await s.query<{ t: string | null }>(`SELECT to_regclass('drizzle.__drizzle_migrations')::text AS t`);
  if (!exists[0]?.t) return [];
  return s.query<AppliedRow>(`SELECT id, hash, created_at FROM ${TABLE} ORDER BY created_at, id`);
}

/** Runs `fn` holding the migration lock; says so when another instance holds it first. */
async function withLock<T>(s: SqlSession, log: (line: string) => void, fn: () => Promise<T>): Promise<T> {
  const [got] = await s.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(${MIGRATION_LOCK}) AS locked`);
  if (!got?.locked) {
    log("another process is migrating this database; waiting for it to finish");
    await s.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK})`);
  }
  try {
    return await fn();
  } finally {
    await s.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`);
  }
}

async function inTransaction<T>(s: SqlSession, fn: () => Promise<T>): Promise<T> {
  await s.exec("BEGIN");
  try {
    const result = await fn();
    await s.exec("COMMIT");
    return result;
  } catch (err) {
    await s.exec("ROLLBACK");
    throw err;
  }
}

/** `skipped`: older than the last applied migration but never applied (drizzle's migrator never will). */
export type MigrationState = "applied" | "pending" | "modified" | "skipped";

export interface MigrationStatus {
  migrations: { tag: string; state: MigrationState; reversible: boolean }[];
  /** Applied rows whose migration is not in the folder (journal time). */
  unknown: number[];
}

function statusOf(files: Migration[], rows: AppliedRow[]): MigrationStatus {
  const byWhen = new Map(rows.map((r) => [Number(r.created_at), r]));
  const last = newestOf(rows);
  const migrations = files.map((f) => {
    const row = byWhen.get(f.when);
    const state: MigrationState = row ? (row.hash === f.hash ? "applied" : "modified") : f.when <= last ? "skipped" : "pending";
    return { tag: f.tag, state, reversible: f.down !== undefined && "statements" in f.down };
  });
  const known = new Set(files.map((f) => f.when));
  return { migrations, unknown: rows.map((r) => Number(r.created_at)).filter((w) => !known.has(w)) };
}

export async function migrationStatus(db: MigrationTarget, folder: string): Promise<MigrationStatus> {
  const files = readMigrations(folder);
  return db.session(async (s) => statusOf(files, await appliedRows(s)));
}

export interface UpOptions {
  /** One transaction for the whole run (default true). */
  rollbackOnFailure?: boolean;
  /** Compare the live schema with the expected one afterwards; a difference fails the run. */
  verifyAfterRun?: boolean;
  log?: (line: string) => void;
}

/** A failed step of a run: which migration, and what the database said. */
export class MigrationError extends Error {
  constructor(message: string, readonly problems: string[] = []) {
    super(message);
    this.name = "MigrationError";
  }
}

/** Applies the pending migrations; returns the tags applied (none when another instance did it). */
export async function migrateUp(db: MigrationTarget, folder: string, options: UpOptions = {}): Promise<string[]> {
  const files = readMigrations(folder);
  const log = options.log ?? (() => {});
  const rollback = options.rollbackOnFailure ?? true;
  return db.session(async (s) => {
    // The usual start: nothing to apply. Reading the applied rows says so without the lock and the
    // DDL below. A migration that another process is applying is not visible until it commits, so
    // this read then sends the run on to the lock, which waits for it.
    if (!options.verifyAfterRun && files.length > 0) {
      const last = newestOf(await appliedRows(s));
      if (files.every((f) => f.when <= last)) return [];
    }
    return withLock(s, log, async () => {
      await ensureTable(s);
      const last = newestOf(await appliedRows(s));
      const pending = files.filter((f) => f.when > last);
      const verify = async (expected: Migration | undefined) => {
        const problems = await driftFrom(s, folder, expected);
        if (problems.length) throw new MigrationError(`the schema ${pending.length ? "after migrating" : "of the database"} does not match ${expected?.tag ?? "an empty database"}'s snapshot`, problems);
      };
      if (pending.length === 0) {
        // Nothing to apply: with verifyAfterRun the database is still checked before the app serves.
        if (options.verifyAfterRun) await verify(files.filter((f) => f.when <= last).at(-1));
        return [];
      }
      const apply = async (m: Migration) => {
        for (const statement of m.statements) {
          try {
            await s.exec(statement);
          } catch (err) {
            throw new MigrationError(`migration ${m.tag} failed: ${(err as Error).message}\n  in: ${statement.trim().split("\n")[0]}`);
          }
        }
        await s.query(`INSERT INTO ${TABLE} ("hash", "created_at") VALUES ($1, $2)`, [m.hash, m.when]);
      };
      if (rollback) {
        await inTransaction(s, async () => {
          for (const m of pending) await apply(m);
          // Inside the transaction: a failed check undoes the whole run.
          if (options.verifyAfterRun) await verify(pending.at(-1));
        });
      } else {
        for (const m of pending) await inTransaction(s, () => apply(m));
        if (options.verifyAfterRun) await verify(pending.at(-1));
      }
      return pending.map((m) => m.tag);
    });
  });
}

/** Reverts the last `steps` applied migrations with their down files; returns the tags reverted. */
export async function migrateDown(db: MigrationTarget, folder: string, options: { steps?: number; log?: (line: string) => void } = {}): Promise<string[]> {
  const files = readMigrations(folder);
  const byWhen = new Map(files.map((f) => [f.when, f]));
  return db.session((s) =>
    withLock(s, options.log ?? (() => {}), async () => {
      const rows = (await appliedRows(s)).reverse().slice(0, options.steps ?? 1);
      const plan = rows.map((row) => {
        const m = byWhen.get(Number(row.created_at));
        if (!m) throw new MigrationError(`the last applied migration (journal time ${row.created_at}) is not in ${folder}: cannot revert it`);
        if (!m.down) throw new MigrationError(`${m.tag} has no down migration: write ${m.tag}.down.sql beside it (statements separated by "${BREAKPOINT}")`);
        if ("irreversible" in m.down) throw new MigrationError(`${m.tag} cannot be reverted: ${m.down.irreversible}`);
        return { row, m, statements: m.down.statements };
      });
      await inTransaction(s, async () => {
        for (const { row, m, statements } of plan) {
          for (const statement of statements) {
            try {
              await s.exec(statement);
            } catch (err) {
              throw new MigrationError(`reverting ${m.tag} failed: ${(err as Error).message}\n  in: ${statement.trim().split("\n")[0]}`);
            }
          }
          await s.query(`DELETE FROM ${TABLE} WHERE id = $1`, [row.id]);
        }
      });
      return plan.map((p) => p.m.tag);
    }),
  );
}

function loadSnapshot(folder: string, migration: Migration | undefined): Snapshot {
  if (!migration) return { tables: {} };
  const path = join(folder, "meta", `${migration.tag.slice(0, 4)}_snapshot.json`);
  if (!existsSync(path)) throw new MigrationError(`${path} is missing: verify compares the database with drizzle-kit's snapshot of ${migration.tag}`);
  return JSON.parse(readFileSync(path, "utf8")) as Snapshot;
}

/** Differences between the live database and the snapshot of `migration`. */
async function driftFrom(s: SqlSession, folder: string, migration: Migration | undefined): Promise<string[]> {
  return schemaDrift(s, loadSnapshot(folder, migration));
}

/**
 * Everything that differs between the database and the migration folder: migrations not applied,
 * applied ones changed or missing since, and the live schema against the last applied snapshot.
 */
export async function verifyMigrations(db: MigrationTarget, folder: string): Promise<string[]> {
  const files = readMigrations(folder);
  return db.session(async (s) => {
    const rows = await appliedRows(s);
    const status = statusOf(files, rows);
    const problems: string[] = [];
    for (const m of status.migrations) {
      if (m.state === "pending") problems.push(`migration ${m.tag} is not applied`);
      if (m.state === "modified") problems.push(`migration ${m.tag} was changed after it was applied (checksum differs)`);
      if (m.state === "skipped") problems.push(`migration ${m.tag} was never applied, but a later one was: it will never run`);
    }
    for (const when of status.unknown) problems.push(`an applied migration (journal time ${when}) is not in the migration folder`);
    const last = newestOf(rows);
    const lastApplied = files.filter((f) => f.when <= last).at(-1);
    problems.push(...(await driftFrom(s, folder, lastApplied)));
    return problems;
  });
}

// ---------------------------------------------------------------------------------------------
// the commands, shared by src/migrate.ts and `yamac migrate`

export interface CommandOptions extends UpOptions {
  /** `down`: how many migrations to revert (default 1). */
  steps?: number;
  out?: (line: string) => void;
  err?: (line: string) => void;
}

/** Runs `status`, `up`, `down` or `verify`, printing what happened; returns the exit code. */
export async function runMigrationCommand(db: MigrationTarget, folder: string, command: string, options: CommandOptions = {}): Promise<number> {
  const out = options.out ?? ((line: string) => console.log(line));
  const err = options.err ?? ((line: string) => console.error(line));
  try {
    switch (command) {
      case "status": {
        const status = await migrationStatus(db, folder);
        if (status.migrations.length === 0) out(`no migrations in ${folder}`);
        for (const m of status.migrations) out(`${m.state.padEnd(8)} ${m.tag}${m.reversible ? "" : "  (no down migration)"}`);
        for (const when of status.unknown) out(`unknown  applied migration with journal time ${when}: not in ${folder}`);
        const pending = status.migrations.filter((m) => m.state === "pending").length;
        out(`${status.migrations.length - pending} applied, ${pending} pending (${db.driver})`);
        return 0;
      }
      case "up": {
        const applied = await migrateUp(db, folder, { ...options, log: out });
        out(applied.length ? `applied ${applied.join(", ")} (${db.driver})` : `no pending migrations (${db.driver})`);
        return 0;
      }
      case "down": {
        const reverted = await migrateDown(db, folder, { steps: options.steps, log: out });
        out(reverted.length ? `reverted ${reverted.join(", ")} (${db.driver})` : "no applied migrations to revert");
        return 0;
      }
      case "verify": {
        const problems = await verifyMigrations(db, folder);
        if (problems.length === 0) {
          out(`the database matches the migrations (${db.driver})`);
          return 0;
        }
        err(`the database does not match the migrations (${problems.length} difference${problems.length === 1 ? "" : "s"}):`);
        for (const p of problems) err(`  - ${p}`);
        return 1;
      }
      default:
        err(`unknown migration command "${command}": use status, up, down or verify`);
        return 2;
    }
  } catch (e) {
    err(`migrate ${command}: ${(e as Error).message}`);
    if (e instanceof MigrationError) for (const p of e.problems) err(`  - ${p}`);
    return 1;
  }
}

/**
 * The Node server's start-up step (`deployment.migrations.autoRun`): applies pending migrations
 * under the lock, and ends the process with exit code 1 and the reason when that fails.
 */
export async function migrateOnStart(db: MigrationTarget, folder: string, options: UpOptions): Promise<void> {
  const code = await runMigrationCommand(db, folder, "up", options);
  if (code !== 0) {
    console.error(options.rollbackOnFailure === false ? "not starting: migrations failed (migrations applied before the failure stay applied)" : "not starting: migrations failed and were rolled back");
    process.exit(1);
  }
}
