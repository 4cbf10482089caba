/**
 * createDatabase on PostgreSQL (postgres.js): the pool's settings keep transactions on one
 * connection while many other queries compete for the pool, and a failed transaction leaves
 * nothing behind. Needs the PostgreSQL the test suite runs against (TEST_DATABASE_URL, or the
 * local `test` database).
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase, type DatabaseHandle } from "./db.js";

const URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const TABLE = `db_pool_test_${process.pid}`;

describe("createDatabase on PostgreSQL", () => {
  let database: DatabaseHandle<Record<string, never>>;

  beforeAll(async () => {
    database = await createDatabase({ schema: {}, url: URL, dataDir: "", pgliteTemplate: undefined, poolMax: 3, ssl: false });
    await database.db.execute(sql.raw(`create table ${TABLE} (n int not null)`));
  });

  afterAll(async () => {
    await database.db.execute(sql.raw(`drop table if exists ${TABLE}`));
    await database.close();
  });

  it("keeps each transaction on one connection while 300 other queries share a pool of 3", async () => {
    const { db } = database;
    const backend = async (run: typeof db) => ((await run.execute(sql`select pg_backend_pid() as pid, txid_current_if_assigned()::text as tx`)) as unknown as { pid: number; tx: string | null }[])[0]!;
    const others = Array.from({ length: 300 }, (_, i) => db.execute(sql`select ${i}::int as i`));
    const transactions = Array.from({ length: 20 }, (_, i) =>
      db.transaction(async (tx) => {
        const seen = [await backend(tx)];
        await tx.execute(sql.raw(`insert into ${TABLE} (n) values (${i})`));
        seen.push(await backend(tx), await backend(tx));
        return seen;
      }),
    );
    const [rows, results] = await Promise.all([Promise.all(others), Promise.all(transactions)]);
    expect(rows.map((r) => (r as unknown as { i: number }[])[0]!.i)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    for (const seen of results) {
      // The same backend throughout, and after the insert the same transaction id.
      expect(new Set(seen.map((s) => s.pid)).size).toBe(1);
      expect(seen[1]!.tx).not.toBeNull();
      expect(seen[2]!.tx).toBe(seen[1]!.tx);
    }
    const count = (await db.execute(sql.raw(`select count(*)::int as c from ${TABLE}`))) as unknown as { c: number }[];
    expect(count[0]!.c).toBe(20);
  });

  it("rolls a failed transaction back while other queries run", async () => {
    const { db } = database;
    const others = Array.from({ length: 100 }, () => db.execute(sql`select 1`));
    const failed = db
      .transaction(async (tx) => {
        await tx.execute(sql.raw(`insert into ${TABLE} (n) values (-1)`));
        await tx.execute(sql`select 1 / 0`);
      })
      .then(
        () => "committed",
        // Drizzle wraps the database's error; its cause is PostgreSQL's.
        (err: Error) => (err.cause instanceof Error ? err.cause.message : err.message),
      );
    const [, outcome] = await Promise.all([Promise.all(others), failed]);
    expect(outcome).toMatch(/division by zero/);
    const left = (await db.execute(sql.raw(`select count(*)::int as c from ${TABLE} where n = -1`))) as unknown as { c: number }[];
    expect(left[0]!.c).toBe(0);
  });
});
