/**
 * Migrations across config changes: a project is compiled, its first migration generated and
 * applied with the emitted runner (src/migrate.ts) on PostgreSQL and on PGlite; the config then
 * changes step by step and every `generateProjectMigration` must write the next incremental
 * migration (never a rewrite), refuse drops unless allowed, and never stop at a prompt.
 * Rows written between steps must survive every migration.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileProject } from "../index.js";
import { type GenerateResult, generateProjectMigration } from "../migrate/generate.js";
import { createDatabase, ROOT } from "./harness.js";

/** Longer than any real generate; a drizzle-kit prompt would wait forever. */
const GENERATE_TIMEOUT = 20_000;

const V1 = `name: inventory
entities:
  Item:
    fields:
      id: uuid!
      name: string!
      note: string?
    crud: true
`;

/** Adds a column with a default to a table that has rows, and a new table. */
const V2 = `name: inventory
entities:
  Item:
    fields:
      id: uuid!
      name: string!
      note: string?
      price: decimal(10,2) = 0
    crud: true
  Shelf:
    fields:
      id: uuid!
      label: string! unique
`;

/** Drops Item.note. */
const V3 = V2.replace("      note: string?\n", "");

/** Adds Item.sku and drops Item.price in the same change: a rename prompt in a one-step diff. */
const V4 = V3.replace("      price: decimal(10,2) = 0\n", "      sku: string? indexed\n      shelf: Shelf?\n");

/**
 * Drops the Shelf table (referenced by items.shelf_id), the FK column and the indexed sku column,
 * and adds a Bin table: drops of indexed and referenced things next to a new table.
 */
const V5 = `name: inventory
entities:
  Item:
    fields:
      id: uuid!
      name: string!
      bin: Bin?
    crud: true
  Bin:
    fields:
      id: uuid!
      code: string!
`;

let dir = "";
let dataDir = "";
let pg: { url: string; sql: postgres.Sql; drop: () => Promise<void> } | undefined;

beforeAll(async () => {
  mkdirSync(join(ROOT, ".yama"), { recursive: true });
  dir = mkdtempSync(join(ROOT, ".yama", "migrations-"));
  dataDir = join(dir, ".yama", "data");
  pg = await createDatabase("yamac_mig");
});

afterAll(async () => {
  await pg?.drop();
  if (dir && existsSync(dir)) rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Helpers

function compile(config: string): void {
  writeFileSync(join(dir, "yama.yaml"), config);
  const result = compileProject(dir);
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  expect(result.ok).toBe(true);
}

/** generateProjectMigration, failing instead of hanging if drizzle-kit ever waits for an answer. */
async function generate(options: { allowDestructive?: boolean; name?: string } = {}): Promise<GenerateResult> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`generateProjectMigration did not return within ${GENERATE_TIMEOUT} ms (a drizzle-kit prompt?)`)), GENERATE_TIMEOUT);
  });
  try {
    return await Promise.race([generateProjectMigration(dir, { folder: "drizzle", allowDestructive: options.allowDestructive ?? false, name: options.name }), hung]);
  } finally {
    clearTimeout(timer);
  }
}

function migrationFiles(): string[] {
  return readdirSync(join(dir, "drizzle")).filter((f) => f.endsWith(".sql") && !f.endsWith(".down.sql")).sort();
}

function journal(): { idx: number; tag: string; when: number; breakpoints: boolean }[] {
  return (JSON.parse(readFileSync(join(dir, "drizzle/meta/_journal.json"), "utf8")) as { entries: { idx: number; tag: string; when: number; breakpoints: boolean }[] }).entries;
}

function expectJournal(tags: string[]): void {
  const entries = journal();
  expect(entries.map((e) => e.tag)).toEqual(tags);
  expect(entries.map((e) => e.idx)).toEqual(tags.map((_, i) => i));
  for (let i = 1; i < entries.length; i++) expect(entries[i]!.when).toBeGreaterThan(entries[i - 1]!.when);
  expect(migrationFiles()).toEqual(tags.map((t) => `${t}.sql`));
  for (const tag of tags) expect(existsSync(join(dir, "drizzle/meta", `${tag.slice(0, 4)}_snapshot.json`))).toBe(true);
  // Each migration has its down migration beside it (compiler/test/migrate-deploy.test.ts runs them).
  for (const tag of tags) expect(existsSync(join(dir, "drizzle", `${tag}.down.sql`))).toBe(true);
}

const sqlOf = (file: string) => readFileSync(join(dir, file), "utf8");

/** Runs the emitted src/migrate.ts as `npm run migrate` would, on PostgreSQL (url) or PGlite (data dir). */
function runMigrations(target: { url: string } | { dataDir: string }): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.DATABASE_URL;
  delete env.YAMA_DATA_DIR;
  if ("url" in target) env.DATABASE_URL = target.url;
  else env.YAMA_DATA_DIR = target.dataDir;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/migrate.ts"], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"], timeout: 90_000 });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.on("error", reject);
    child.on("close", (code, signal) => (code === 0 ? resolve(output) : reject(new Error(`src/migrate.ts exited with ${code ?? signal}:\n${output}`))));
  });
}

async function applyPostgres(): Promise<void> {
  expect(await runMigrations({ url: pg!.url })).toMatch(/(applied \S.*|no pending migrations) \(postgres\)/);
}

async function applyPglite(): Promise<void> {
  expect(await runMigrations({ dataDir })).toMatch(/(applied \S.*|no pending migrations) \(pglite\)/);
}

/** Opens the PGlite data directory in this process (the runner has closed it), runs `fn`, closes it. */
async function withPglite<T>(fn: (db: PGlite) => Promise<T>): Promise<T> {
  const db = new PGlite(dataDir);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

async function columnsOf(table: string): Promise<string[]> {
  const rows = await pg!.sql<{ column_name: string }[]>`
    select column_name from information_schema.columns where table_schema = 'public' and table_name = ${table} order by ordinal_position`;
  return rows.map((r) => r.column_name);
}

async function tablesOf(): Promise<string[]> {
  const rows = await pg!.sql<{ table_name: string }[]>`
    select table_name from information_schema.tables where table_schema = 'public' order by table_name`;
  return rows.map((r) => r.table_name);
}

async function itemsOnPostgres(): Promise<Record<string, unknown>[]> {
  return pg!.sql.unsafe(`select * from items order by name`);
}

// ---------------------------------------------------------------------------------------------

describe("migrations across config changes", () => {
  it("the first migration creates the tables; the runner applies it on PostgreSQL and PGlite", async () => {
    compile(V1);
    const first = await generate();
    expect(first.refused).toBe(false);
    expect(first.destructive).toEqual([]);
    expect(first.file).toBe("drizzle/0000_init.sql");
    expect(sqlOf(first.file!)).toContain('CREATE TABLE "items"');
    expectJournal(["0000_init"]);

    await applyPostgres();
    await applyPglite();
    expect(await columnsOf("items")).toEqual(["id", "name", "note"]);

    await pg!.sql`insert into items (name, note) values ('anvil', 'heavy'), ('bolt', null)`;
    await withPglite((db) => db.query(`insert into items (name, note) values ('anvil', 'heavy'), ('bolt', null)`));
  });

  it("generating again without a config change writes nothing", async () => {
    compile(V1);
    const again = await generate();
    expect(again).toEqual({ statements: [], destructive: [], warnings: [], refused: false });
    expect(again.file).toBeUndefined();
    expectJournal(["0000_init"]);
  });

  it("an added field and entity give an incremental migration; existing rows get the default", async () => {
    const init = sqlOf("drizzle/0000_init.sql");
    compile(V2);
    const change = await generate();
    expect(change.refused).toBe(false);
    expect(change.destructive).toEqual([]);
    expect(change.warnings).toEqual([]);
    expect(change.file).toBe("drizzle/0001_change.sql");
    const sql = sqlOf(change.file!);
    expect(sql).toContain('ALTER TABLE "items" ADD COLUMN "price" numeric(10, 2) DEFAULT 0');
    expect(sql).toContain('CREATE TABLE "shelfs"');
    expect(sql).not.toContain('CREATE TABLE "items"');
    expect(sql).not.toMatch(/DROP /);
    expect(sqlOf("drizzle/0000_init.sql")).toBe(init);
    expectJournal(["0000_init", "0001_change"]);

    await applyPostgres();
    await applyPglite();
    expect(await columnsOf("items")).toEqual(["id", "name", "note", "price"]);
    expect((await itemsOnPostgres()).map((r) => [r.name, r.note, r.price])).toEqual([["anvil", "heavy", "0.00"], ["bolt", null, "0.00"]]);
    const onPglite = await withPglite((db) => db.query<{ name: string; note: string | null; price: string }>(`select name, note, price::text as price from items order by name`));
    expect(onPglite.rows.map((r) => [r.name, r.note, r.price])).toEqual([["anvil", "heavy", "0.00"], ["bolt", null, "0.00"]]);

    // Already applied: running the runner again changes nothing.
    await applyPostgres();
    expect((await itemsOnPostgres()).length).toBe(2);

    compile(V2);
    expect((await generate()).file).toBeUndefined();
  });

  it("removing a field is refused without allowDestructive, and nothing is written", async () => {
    compile(V3);
    const refused = await generate();
    expect(refused.refused).toBe(true);
    expect(refused.destructive).toEqual(["column items.note"]);
    expect(refused.file).toBeUndefined();
    expect(refused.statements).toEqual([]);
    expectJournal(["0000_init", "0001_change"]);
    expect(readdirSync(join(dir, "drizzle/meta")).sort()).toEqual(["0000_snapshot.json", "0001_snapshot.json", "_journal.json"]);
  });

  it("with allowDestructive, removing a field writes DROP COLUMN and keeps the rows", async () => {
    compile(V3);
    const dropped = await generate({ allowDestructive: true, name: "drop note" });
    expect(dropped.refused).toBe(false);
    expect(dropped.destructive).toEqual(["column items.note"]);
    expect(dropped.file).toBe("drizzle/0002_drop_note.sql");
    expect(sqlOf(dropped.file!).trim()).toBe('ALTER TABLE "items" DROP COLUMN "note";');
    expectJournal(["0000_init", "0001_change", "0002_drop_note"]);

    await applyPostgres();
    expect(await columnsOf("items")).toEqual(["id", "name", "price"]);
    expect((await itemsOnPostgres()).map((r) => r.name)).toEqual(["anvil", "bolt"]);
  });

  it("adding one field and dropping another at once never prompts about a rename", async () => {
    compile(V4);
    expect((await generate()).refused).toBe(true);
    const change = await generate({ allowDestructive: true });
    expect(change.destructive).toEqual(["column items.price"]);
    expect(change.file).toBe("drizzle/0003_change.sql");
    const sql = sqlOf(change.file!);
    expect(sql).toContain('ALTER TABLE "items" DROP COLUMN "price"');
    expect(sql).toContain('ALTER TABLE "items" ADD COLUMN "sku" varchar(255)');
    expect(sql).toContain('ALTER TABLE "items" ADD COLUMN "shelf_id" uuid');
    expect(sql).not.toContain("RENAME");
    expect(sql.indexOf("DROP COLUMN")).toBeLessThan(sql.indexOf("ADD COLUMN"));

    await applyPostgres();
    expect(await columnsOf("items")).toEqual(["id", "name", "sku", "shelf_id"]);
    expect((await itemsOnPostgres()).map((r) => [r.name, r.sku])).toEqual([["anvil", null], ["bolt", null]]);
  });

  it("dropping a referenced table, an FK column and an indexed column next to a new table applies cleanly", async () => {
    await pg!.sql`insert into shelfs (label) values ('top')`;
    await pg!.sql`update items set shelf_id = (select id from shelfs), sku = 'A-1' where name = 'anvil'`;
    compile(V5);
    const refused = await generate();
    expect(refused.refused).toBe(true);
    expect(refused.destructive).toEqual(["column items.sku", "column items.shelf_id", "table shelfs"]);

    const change = await generate({ allowDestructive: true });
    expect(change.file).toBe("drizzle/0004_change.sql");
    const sql = sqlOf(change.file!);
    expect(sql).toContain('DROP TABLE "shelfs" CASCADE');
    expect(sql).toContain('CREATE TABLE "bins"');
    expect(sql).not.toContain("RENAME");
    // Indexes and constraints of the dropped columns go first, while the columns still exist.
    expect(sql.indexOf('DROP INDEX "items_sku_idx"')).toBeLessThan(sql.indexOf('DROP COLUMN "sku"'));
    expect(sql.indexOf("DROP CONSTRAINT")).toBeLessThan(sql.indexOf('DROP TABLE "shelfs"'));

    await applyPostgres();
    expect(await tablesOf()).toEqual(["bins", "items"]);
    expect(await columnsOf("items")).toEqual(["id", "name", "bin_id"]);
    expect((await itemsOnPostgres()).map((r) => r.name)).toEqual(["anvil", "bolt"]);
    expectJournal(["0000_init", "0001_change", "0002_drop_note", "0003_change", "0004_change"]);

    compile(V5);
    expect((await generate({ allowDestructive: true })).file).toBeUndefined();
  });

  it("PGlite catches up on every pending migration at once", async () => {
    await applyPglite();
    const result = await withPglite(async (db) => ({
      columns: (await db.query<{ column_name: string }>(`select column_name from information_schema.columns where table_schema = 'public' and table_name = 'items' order by ordinal_position`)).rows.map((r) => r.column_name),
      names: (await db.query<{ name: string }>(`select name from items order by name`)).rows.map((r) => r.name),
    }));
    expect(result).toEqual({ columns: ["id", "name", "bin_id"], names: ["anvil", "bolt"] });
  });

  it("a required field without a default, added to a table with rows, is written with a warning that says why it will fail", async () => {
    compile(V5.replace("      name: string!\n", "      name: string!\n      code: string!\n      size: integer = 1\n"));
    const change = await generate({ name: "code" });
    expect(change.file).toBe("drizzle/0005_code.sql");
    expect(change.warnings).toEqual([expect.stringMatching(/^column items\.code is added as NOT NULL without a default: if items has rows, the migration fails/)]);
    await expect(applyPostgres()).rejects.toThrow(/contains null values/);
  });
});
