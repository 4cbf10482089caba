/**
 * Migration deployment on the real PostgreSQL: `yamac migrate status|up|down|verify` (the CLI as a
 * user runs it), yamac's down migrations, drift detection, the advisory lock (two runs and two
 * servers starting together migrate once), and deployment.migrations (rollbackOnFailure,
 * verifyAfterRun) in the emitted server's start-up.
 */
import { spawn } from "node:child_process";
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileProject } from "../index.js";
import { generateProjectMigration } from "../migrate/generate.js";
import { MIGRATION_LOCK } from "../../runtime-lib/migrations.js";
import { call, createDatabase, removeProject, ROOT, startServer } from "./harness.js";

const V1 = `name: depot
entities:
  Item:
    fields:
      id: uuid!
      name: string!
      note: string?
    crud: true
`;

/** Adds a column with a default and a table with a unique column and an index. */
const V2 = V1.replace("      note: string?\n", "      note: string?\n      price: decimal(10,2) = 0\n") + `  Bin:
    fields:
      id: uuid!
      label: string! unique
      floor: integer? indexed
`;

/** Drops Item.note: its down migration cannot bring the data back. */
const V3 = V2.replace("      note: string?\n", "");

let dir = "";
const databases: Awaited<ReturnType<typeof createDatabase>>[] = [];

async function database(): Promise<Awaited<ReturnType<typeof createDatabase>>> {
  const db = await createDatabase("yamac_deploy");
  databases.push(db);
  return db;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: Record<string, string>, cwd = ROOT): Promise<Run> {
  const inherited = { ...process.env };
  delete inherited.DATABASE_URL;
  delete inherited.YAMA_DATA_DIR;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [command, ...args], { cwd, env: { ...inherited, NODE_ENV: "", ...env }, stdio: ["ignore", "pipe", "pipe"], timeout: 90_000 });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** `yamac migrate <args> <dir>` against `url`. */
const yamac = (url: string, ...args: string[]) => run("bin/yamac.js", ["migrate", ...args.slice(0, 1), dir, ...args.slice(1), "--no-color"], { DATABASE_URL: url });

async function writeConfig(config: string, options: { allowDestructive?: boolean } = {}): Promise<void> {
  writeFileSync(join(dir, "yama.yaml"), config);
  const compiled = compileProject(dir);
  expect(compiled.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  await generateProjectMigration(dir, { folder: "drizzle", allowDestructive: options.allowDestructive ?? false });
}

const tables = async (sql: postgres.Sql) => (await sql<{ t: string }[]>`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`).map((r) => r.t);
const appliedCount = async (sql: postgres.Sql) => Number((await sql<{ n: string }[]>`SELECT count(*) AS n FROM drizzle.__drizzle_migrations`)[0]!.n);

beforeAll(async () => {
  mkdirSync(join(ROOT, ".yama"), { recursive: true });
  dir = mkdtempSync(join(ROOT, ".yama", "deploy-"));
  await writeConfig(V1);
  await writeConfig(V2);
}, 60_000);

afterAll(async () => {
  for (const db of databases) await db.drop();
  removeProject(dir);
});

describe("down migrations written by migrate generate", () => {
  it("reverse each additive change", () => {
    expect(readFileSync(join(dir, "drizzle/0000_init.down.sql"), "utf8")).toContain('DROP TABLE "items" CASCADE;');
    const down = readFileSync(join(dir, "drizzle/0001_change.down.sql"), "utf8");
    expect(down).toContain('DROP TABLE "bins" CASCADE;');
    expect(down).toContain('ALTER TABLE "items" DROP COLUMN "price";');
  });
});

describe("on PGlite (no DATABASE_URL: the project's data folder)", () => {
  it("up, status, verify and down work the same", async () => {
    const env = { YAMA_DATA_DIR: join(dir, ".yama/pglite-cli") };
    const cli = (...args: string[]) => run("bin/yamac.js", ["migrate", ...args.slice(0, 1), dir, ...args.slice(1)], env);
    expect((await cli("up")).stdout.trim()).toBe("applied 0000_init, 0001_change (pglite)");
    expect((await cli("status")).stdout).toContain("2 applied, 0 pending (pglite)");
    expect((await cli("verify")).code).toBe(0);
    expect((await cli("down")).stdout.trim()).toBe("reverted 0001_change (pglite)");
    expect((await cli("verify")).stderr).toContain("migration 0001_change is not applied");
  }, 90_000);
});

describe("yamac migrate status, up, down and verify on PostgreSQL", () => {
  let db: Awaited<ReturnType<typeof createDatabase>>;
  beforeAll(async () => {
    db = await database();
  });

  it("status lists pending migrations; up applies them; status and verify agree", async () => {
    const before = await yamac(db.url, "status");
    expect(before.code).toBe(0);
    expect(before.stdout).toContain("pending  0000_init\npending  0001_change\n0 applied, 2 pending (postgres)");
    const up = await yamac(db.url, "up");
    expect([up.code, up.stdout.trim()]).toEqual([0, "applied 0000_init, 0001_change (postgres)"]);
    expect(await tables(db.sql)).toEqual(["bins", "items"]);
    expect(await appliedCount(db.sql)).toBe(2);
    const after = await yamac(db.url, "status");
    expect(after.stdout).toContain("applied  0000_init\napplied  0001_change\n2 applied, 0 pending (postgres)");
    const verify = await yamac(db.url, "verify");
    expect([verify.code, verify.stdout.trim(), verify.stderr]).toEqual([0, "the database matches the migrations (postgres)", ""]);
    const again = await yamac(db.url, "up");
    expect(again.stdout.trim()).toBe("no pending migrations (postgres)");
  }, 60_000);

  it("verify finds drift: changed columns, extra objects, missing indexes, edited migration files", async () => {
    await db.sql.unsafe(`ALTER TABLE items ADD COLUMN extra text; ALTER TABLE items ALTER COLUMN name DROP NOT NULL; ALTER TABLE items ALTER COLUMN note TYPE varchar(20);
      DROP INDEX bins_floor_idx; CREATE INDEX items_name_idx ON items (name); DROP INDEX bins_label_unique; CREATE TABLE stray (id int)`);
    const file = join(dir, "drizzle/0000_init.sql");
    const original = readFileSync(file, "utf8");
    appendFileSync(file, "-- edited after it was applied\n");
    try {
      const verify = await yamac(db.url, "verify");
      expect(verify.code).toBe(1);
      const problems = verify.stderr.split("\n").filter((l) => l.startsWith("  - ")).map((l) => l.slice(4)).sort();
      expect(problems).toEqual(
        [
          "column items.extra is not in the schema",
          "column items.name is nullable, expected NOT NULL",
          "column items.note is character varying(20), expected character varying(255)",
          "index items_name_idx on items is not in the schema",
          "index bins_floor_idx on bins is missing",
          "migration 0000_init was changed after it was applied (checksum differs)",
          "table stray is not in the schema",
          "index bins_label_unique on bins is missing",
        ].sort(),
      );
      expect(verify.stderr).toContain("the database does not match the migrations (8 differences):");
    } finally {
      writeFileSync(file, original);
      await db.sql.unsafe(`ALTER TABLE items DROP COLUMN extra; ALTER TABLE items ALTER COLUMN name SET NOT NULL; ALTER TABLE items ALTER COLUMN note TYPE varchar(255);
        CREATE INDEX bins_floor_idx ON bins (floor); DROP INDEX items_name_idx; CREATE UNIQUE INDEX bins_label_unique ON bins (label); DROP TABLE stray`);
    }
    expect((await yamac(db.url, "verify")).code).toBe(0);
  }, 60_000);

  it("down reverts the last migration (keeping the rows of the rest); up applies it again", async () => {
    await db.sql`INSERT INTO items (name, price) VALUES ('kept', 2.5)`;
    const down = await yamac(db.url, "down");
    expect([down.code, down.stdout.trim()]).toEqual([0, "reverted 0001_change (postgres)"]);
    expect(await tables(db.sql)).toEqual(["items"]);
    expect((await db.sql`SELECT column_name FROM information_schema.columns WHERE table_name = 'items' ORDER BY 1`).map((r) => r.column_name)).toEqual(["id", "name", "note"]);
    expect((await db.sql`SELECT name FROM items`).map((r) => r.name)).toEqual(["kept"]);
    expect((await yamac(db.url, "status")).stdout).toContain("applied  0000_init\npending  0001_change\n1 applied, 1 pending (postgres)");
    // Not at the latest migration: verify says so and fails.
    const verify = await yamac(db.url, "verify");
    expect([verify.code, verify.stderr]).toEqual([1, "the database does not match the migrations (1 difference):\n  - migration 0001_change is not applied\n"]);
    expect((await yamac(db.url, "up")).stdout.trim()).toBe("applied 0001_change (postgres)");
    expect((await yamac(db.url, "verify")).code).toBe(0);
  }, 60_000);

  it("down --steps 2 reverts both, back to an empty database", async () => {
    const down = await yamac(db.url, "down", "--steps", "2");
    expect(down.stdout.trim()).toBe("reverted 0001_change, 0000_init (postgres)");
    expect(await tables(db.sql)).toEqual([]);
    expect(await appliedCount(db.sql)).toBe(0);
    expect((await yamac(db.url, "down")).stdout.trim()).toBe("no applied migrations to revert");
    expect((await yamac(db.url, "up")).code).toBe(0);
  }, 60_000);

  it("a migration that dropped a column cannot be reverted: down refuses and changes nothing", async () => {
    await writeConfig(V3, { allowDestructive: true });
    expect(readFileSync(join(dir, "drizzle/0002_change.down.sql"), "utf8")).toMatch(/^-- yamac:irreversible 0002_change dropped column items\.note/);
    expect((await yamac(db.url, "up")).stdout.trim()).toBe("applied 0002_change (postgres)");
    const down = await yamac(db.url, "down");
    expect(down.code).toBe(1);
    expect(down.stderr).toContain("migrate down: 0002_change cannot be reverted: 0002_change dropped column items.note: the data in them cannot be restored.");
    expect(await appliedCount(db.sql)).toBe(3);
    const status = await yamac(db.url, "status");
    expect(status.stdout).toContain("applied  0002_change  (no down migration)");
    expect((await yamac(db.url, "verify")).code).toBe(0);
  }, 60_000);
});

describe("the advisory lock", () => {
  it("two `migrate up` runs started together wait for the lock holder; the migrations are applied once", async () => {
    const db = await database();
    // Hold the lock from here, so both runs must wait, then let them race for it.
    const holder = postgres(db.url, { max: 1, onnotice: () => {} });
    await holder`SELECT pg_advisory_lock(${MIGRATION_LOCK})`;
    const first = yamac(db.url, "up");
    const second = yamac(db.url, "up");
    const waiting = async () => Number((await db.sql`SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`)[0]!.n);
    for (let i = 0; i < 200 && (await waiting()) < 2; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await waiting()).toBe(2);
    expect(await tables(db.sql)).toEqual([]);
    await holder`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`;
    await holder.end();
    const results = await Promise.all([first, second]);
    for (const r of results) {
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("another process is migrating this database; waiting for it to finish");
    }
    const outcomes = results.map((r) => r.stdout.trim().split("\n").at(-1)).sort();
    expect(outcomes).toEqual(["applied 0000_init, 0001_change, 0002_change (postgres)", "no pending migrations (postgres)"]);
    expect(await appliedCount(db.sql)).toBe(3);
  }, 90_000);

  it("with nothing pending, `up` answers at once without the lock (it only reads the applied rows), even while another process holds it", async () => {
    const db = await database();
    expect((await yamac(db.url, "up")).code).toBe(0);
    const holder = postgres(db.url, { max: 1, onnotice: () => {} });
    await holder`SELECT pg_advisory_lock(${MIGRATION_LOCK})`;
    try {
      const again = await yamac(db.url, "up");
      expect(again.code).toBe(0);
      expect(again.stdout).not.toContain("another process is migrating");
      expect(again.stdout.trim().split("\n").at(-1)).toBe("no pending migrations (postgres)");
    } finally {
      await holder`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`;
      await holder.end();
    }
    expect(await appliedCount(db.sql)).toBe(3);
  }, 60_000);

  it("two servers starting together on an empty database both serve; the migrations run once", async () => {
    const db = await database();
    const servers = await Promise.all([startServer(dir, { DATABASE_URL: db.url }), startServer(dir, { DATABASE_URL: db.url })]);
    try {
      expect(await appliedCount(db.sql)).toBe(3);
      const created = await call(servers[0]!.base, "POST", "/items", { name: "one" });
      expect(created.status).toBe(201);
      const listed = await call(servers[1]!.base, "GET", "/items");
      expect((listed.body as { data: { name: string }[] }).data.map((i) => i.name)).toEqual(["one"]);
      for (const s of servers) expect(s.stderr.join("")).toBe("");
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  }, 120_000);
});

describe("deployment.migrations in the server's start-up", () => {
  /** A migration after the last one that creates a table, then fails. */
  function addFailingMigration(): () => void {
    const journalPath = join(dir, "drizzle/meta/_journal.json");
    const journalText = readFileSync(journalPath, "utf8");
    const journal = JSON.parse(journalText) as { entries: { idx: number; when: number; tag: string; version: string; breakpoints: boolean }[] };
    const last = journal.entries.at(-1)!;
    journal.entries.push({ ...last, idx: last.idx + 1, when: last.when + 1, tag: "0003_broken" });
    writeFileSync(join(dir, "drizzle/0003_broken.sql"), 'CREATE TABLE "half_done" ("id" integer);\n--> statement-breakpoint\nSELECT 1 / 0;\n');
    copyFileSync(join(dir, "drizzle/meta/0002_snapshot.json"), join(dir, "drizzle/meta/0003_snapshot.json"));
    writeFileSync(journalPath, JSON.stringify(journal, null, 2));
    return () => writeFileSync(journalPath, journalText);
  }

  async function startFails(env: Record<string, string>): Promise<Run> {
    return run("--import", ["tsx", "src/server.ts"], { PORT: "0", ...env }, dir);
  }

  it("rollbackOnFailure (the default): a failing migration undoes the whole run and the server does not start", async () => {
    const db = await database();
    const restore = addFailingMigration();
    try {
      const r = await startFails({ DATABASE_URL: db.url });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("migrate up: migration 0003_broken failed: division by zero");
      expect(r.stderr).toContain("not starting: migrations failed and were rolled back");
      expect(await tables(db.sql)).toEqual([]);
      expect(await appliedCount(db.sql)).toBe(0);
    } finally {
      restore();
    }
  }, 60_000);

  it("rollbackOnFailure: false keeps the migrations that succeeded and undoes only the failing one", async () => {
    const db = await database();
    writeFileSync(join(dir, "yama.yaml"), `${V3}deployment:\n  migrations:\n    rollbackOnFailure: false\n`);
    expect(compileProject(dir).ok).toBe(true);
    expect(readFileSync(join(dir, "src/server.ts"), "utf8")).toContain("{ rollbackOnFailure: false, verifyAfterRun: false }");
    const restore = addFailingMigration();
    try {
      const r = await startFails({ DATABASE_URL: db.url });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("not starting: migrations failed (migrations applied before the failure stay applied)");
      expect(await tables(db.sql)).toEqual(["bins", "items"]);
      expect(await appliedCount(db.sql)).toBe(3);
    } finally {
      restore();
    }
  }, 60_000);

  it("verifyAfterRun: drift found after migrating fails the start and rolls the run back", async () => {
    const db = await database();
    writeFileSync(join(dir, "yama.yaml"), `${V3}deployment:\n  migrations:\n    verifyAfterRun: true\n`);
    expect(compileProject(dir).ok).toBe(true);
    // The first migration is applied, then someone adds a column by hand.
    await db.sql.unsafe(`CREATE SCHEMA drizzle; CREATE TABLE drizzle.__drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`);
    const journal = JSON.parse(readFileSync(join(dir, "drizzle/meta/_journal.json"), "utf8")) as { entries: { when: number }[] };
    const { createHash } = await import("node:crypto");
    await db.sql.unsafe(readFileSync(join(dir, "drizzle/0000_init.sql"), "utf8"));
    await db.sql`INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES (${createHash("sha256").update(readFileSync(join(dir, "drizzle/0000_init.sql"))).digest("hex")}, ${journal.entries[0]!.when})`;
    await db.sql`ALTER TABLE items ADD COLUMN hotfix text`;
    const r = await startFails({ DATABASE_URL: db.url });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("migrate up: the schema after migrating does not match 0002_change's snapshot\n  - column items.hotfix is not in the schema");
    expect(await tables(db.sql)).toEqual(["items"]);
    expect(await appliedCount(db.sql)).toBe(1);
    // Without the drift the same start succeeds and verifies.
    await db.sql`ALTER TABLE items DROP COLUMN hotfix`;
    const server = await startServer(dir, { DATABASE_URL: db.url });
    await server.stop();
    expect(await appliedCount(db.sql)).toBe(3);
    // Nothing pending: the database is still checked before the server starts.
    await db.sql`ALTER TABLE items ALTER COLUMN name DROP NOT NULL`;
    const drifted = await startFails({ DATABASE_URL: db.url });
    expect(drifted.code).toBe(1);
    expect(drifted.stderr).toContain("migrate up: the schema of the database does not match 0002_change's snapshot\n  - column items.name is nullable, expected NOT NULL");
  }, 90_000);
});
