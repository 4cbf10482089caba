/**
 * createDatabase's migrate(): drizzle's migrator runs only when drizzle-kit's journal has an entry
 * newer than the newest applied migration, on PGlite and on PostgreSQL. Skipping is observable:
 * the migrator reads every .sql file of the journal, so with a file removed it fails, and a
 * skipped run does not.
 */
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase as createTestDatabase } from "../compiler/test/harness.js";
import { createDatabase, type DatabaseHandle } from "./db.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** A drizzle-kit migrations folder with the given migrations (tag -> SQL), `when` 1000, 2000, … */
function writeMigrations(folder: string, migrations: [string, string][]): void {
  mkdirSync(join(folder, "meta"), { recursive: true });
  const entries = migrations.map(([tag], idx) => ({ idx, version: "7", when: (idx + 1) * 1000, tag, breakpoints: true }));
  writeFileSync(join(folder, "meta", "_journal.json"), JSON.stringify({ version: "7", dialect: "postgresql", entries }));
  for (const [tag, sql] of migrations) writeFileSync(join(folder, `${tag}.sql`), sql);
}

const FIRST: [string, string] = ["0000_first", `CREATE TABLE "things" ("id" integer PRIMARY KEY);`];
const SECOND: [string, string] = ["0001_second", `ALTER TABLE "things" ADD COLUMN "name" text;`];

describe.each(["pglite", "postgres"] as const)("migrate() on %s", (driver) => {
  let work = "";
  let database: DatabaseHandle<Record<string, never>> | undefined;
  let dropDatabase: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    mkdirSync(join(ROOT, ".yama"), { recursive: true });
    work = mkdtempSync(join(ROOT, ".yama", "db-test-"));
    let url: string | undefined;
    if (driver === "postgres") {
      const created = await createTestDatabase("yamac_db_test");
      url = created.url;
      dropDatabase = created.drop;
    }
    database = await createDatabase({ schema: {}, url, dataDir: join(work, "data"), pgliteTemplate: join(ROOT, ".yama", "pglite-template"), poolMax: 2, ssl: false });
  });

  afterAll(async () => {
    await database?.close();
    await dropDatabase?.();
    rmSync(work, { recursive: true, force: true });
  });

  /** The columns of `things`; PGlite answers `{ rows }`, postgres.js an array of rows. */
  const columns = async () => {
    const result = (await database!.db.execute(`select column_name from information_schema.columns where table_name = 'things' order by ordinal_position`)) as unknown;
    const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as { column_name: string }[];
    return rows.map((r) => r.column_name);
  };

  it("applies pending migrations, skips the migrator when none is pending, applies a new one", async () => {
    const folder = join(work, "drizzle");
    writeMigrations(folder, [FIRST]);
    await database!.migrate(folder);
    expect(await columns()).toEqual(["id"]);

    unlinkSync(join(folder, `${FIRST[0]}.sql`));
    await database!.migrate(folder); // nothing pending: the journal alone answers, the .sql is never read

    writeMigrations(folder, [FIRST, SECOND]);
    await database!.migrate(folder);
    expect(await columns()).toEqual(["id", "name"]);

    writeMigrations(folder, [FIRST, SECOND, ["0002_third", `ALTER TABLE "things" ADD COLUMN "size" integer;`]]);
    await database!.migrate(folder);
    expect(await columns()).toEqual(["id", "name", "size"]);
  });

  it("runs the migrator (which names the problem) when the journal cannot be read", async () => {
    await expect(database!.migrate(join(work, "missing"))).rejects.toThrow(/_journal\.json/);
  });
});
