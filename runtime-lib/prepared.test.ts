/**
 * preparedRead on PostgreSQL runs selects on postgres.js directly: its rows must be exactly what
 * Drizzle's own prepared query returns, for every column type the compiler emits, for SQL
 * expressions with decoders, with and without placeholders; nested selections fall back to
 * Drizzle; query hooks (metrics, tracing) still see every statement.
 */
import { and, avg, count, eq, gte, sql, sum } from "drizzle-orm";
import { PgPreparedQuery, bigint, boolean, date, doublePrecision, integer, interval, json, jsonb, numeric, pgEnum, pgTable, real, smallint, text, time, timestamp, uuid, varchar } from "drizzle-orm/pg-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase as createTestDatabase } from "../compiler/test/harness.js";
import { createDatabase, type DatabaseHandle } from "./db.js";
import { preparedRead } from "./prepared.js";
import { onQuery } from "./query-hooks.js";

const mood = pgEnum("pr_mood", ["calm", "busy"]);
const things = pgTable("pr_things", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: varchar("name", { length: 50 }).notNull(),
  note: text("note"),
  small: smallint("small"),
  count: integer("count"),
  big: bigint("big", { mode: "number" }),
  bigExact: bigint("big_exact", { mode: "bigint" }),
  price: numeric("price", { precision: 10, scale: 2, mode: "number" }),
  exact: numeric("exact", { precision: 20, scale: 6 }),
  ratio: real("ratio"),
  score: doublePrecision("score"),
  active: boolean("active"),
  at: timestamp("at", { withTimezone: true }),
  localAt: timestamp("local_at"),
  atText: timestamp("at_text", { withTimezone: true, mode: "string" }),
  day: date("day"),
  dayDate: date("day_date", { mode: "date" }),
  clock: time("clock"),
  span: interval("span"),
  data: json("data"),
  doc: jsonb("doc"),
  tags: text("tags").array(),
  ranks: integer("ranks").array(),
  mood: mood("mood"),
});
const parts = pgTable("pr_parts", {
  id: integer("id").primaryKey(),
  thingId: uuid("thing_id").notNull(),
  weight: integer("weight").notNull(),
});

type Schema = Record<string, never>;
let testDb: Awaited<ReturnType<typeof createTestDatabase>>;
let handle: DatabaseHandle<Schema>;
const seen: string[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase("prepared_read");
  await testDb.sql.unsafe(`
    create type pr_mood as enum ('calm', 'busy');
    create table pr_things (
      id uuid primary key default gen_random_uuid(), name varchar(50) not null, note text, small smallint, count integer,
      big bigint, big_exact bigint, price numeric(10,2), exact numeric(20,6), ratio real, score double precision,
      active boolean, at timestamptz, local_at timestamp, at_text timestamptz, day date, day_date date, clock time,
      span interval, data json, doc jsonb, tags text[], ranks integer[], mood pr_mood);
    create table pr_parts (id integer primary key, thing_id uuid not null, weight integer not null);`);
  handle = await createDatabase<Schema>({ schema: {}, url: testDb.url, dataDir: "", pgliteTemplate: undefined, poolMax: 2, ssl: false });
  await handle.db.insert(things).values([
    {
      name: "full", note: "a \"quoted\" note", small: -3, count: 42, big: 9007199254740991, bigExact: 9223372036854775807n, price: 1234.5, exact: "0.000001",
      ratio: 0.25, score: 1e-7, active: true, at: new Date("2026-11-30T12:34:56.789Z"), localAt: new Date("2026-01-02T03:04:05.000Z"), atText: "2026-11-30 12:00:00+00",
      day: "2026-02-28", dayDate: new Date("2026-03-01T00:00:00.000Z"), clock: "23:59:58", span: "1 day 02:00:00", data: { a: [1, "x", null] }, doc: { nested: { ok: true } },
      tags: ["a", "b,c", ""], ranks: [3, 1, 2], mood: "busy",
    },
    { name: "empty" },
  ]);
  const [full] = await handle.db.select({ id: things.id }).from(things).where(eq(things.name, "full"));
  await handle.db.insert(parts).values([1, 2, 3].map((i) => ({ id: i, thingId: full!.id, weight: i * 10 })));
  onQuery(async (text, run) => {
    seen.push(text);
    return run();
  });
});

afterAll(async () => {
  await handle?.close();
  await testDb?.drop();
});

describe("preparedRead on PostgreSQL", () => {
  it("returns the rows Drizzle's prepared query returns, for every column type and for nulls", async () => {
    const query = () => handle.db.select().from(things).orderBy(things.name);
    const fast = preparedRead(handle, "pr_all", query());
    expect(fast).not.toBeInstanceOf(PgPreparedQuery);
    const rows = await fast.execute();
    expect(rows).toEqual(await query().prepare("pr_all_drizzle").execute());
    expect(rows).toHaveLength(2);
    // Same keys in the same order (so the JSON text, and the ETag, are the same too).
    const drizzleRows = await query().prepare("pr_all_drizzle_2").execute();
    expect(rows.map((r) => Object.keys(r))).toEqual(drizzleRows.map((r) => Object.keys(r)));
    // Ordered by name: "empty", then "full".
    expect(rows[0]!.at).toBeNull();
    expect(rows[1]!.at).toBeInstanceOf(Date);
    expect(typeof rows[1]!.bigExact).toBe("bigint");
  });

  it("binds placeholders and decodes SQL expressions (count, avg, sum, mapWith)", async () => {
    const [full] = await handle.db.select({ id: things.id }).from(things).where(eq(things.name, "full"));
    const query = () =>
      handle.db
        .select({ total: count(), mean: avg(parts.weight), heaviest: sql<number>`max(${parts.weight})`.mapWith(Number), sum: sum(parts.weight).as("sum") })
        .from(parts)
        .where(and(eq(parts.thingId, sql.placeholder("id")), gte(parts.weight, sql.placeholder("min"))));
    const fast = preparedRead(handle, "pr_aggregate", query());
    expect(fast).not.toBeInstanceOf(PgPreparedQuery);
    for (const min of [0, 20, 1000]) {
      const values = { id: full!.id, min };
      expect(await fast.execute(values)).toEqual(await query().prepare(`pr_aggregate_drizzle_${min}`).execute(values));
    }
    expect(await fast.execute({ id: full!.id, min: 20 })).toEqual([{ total: 2, mean: "25.0000000000000000", heaviest: 30, sum: "50" }]);
  });

  it("falls back to Drizzle for nested selections (joins)", async () => {
    const query = handle.db.select({ thing: { name: things.name }, weight: parts.weight }).from(parts).innerJoin(things, eq(things.id, parts.thingId)).orderBy(parts.id);
    const statement = preparedRead(handle, "pr_join", query);
    expect(statement).toBeInstanceOf(PgPreparedQuery);
    expect(await statement.execute()).toEqual([10, 20, 30].map((weight) => ({ thing: { name: "full" }, weight })));
  });

  it("runs query hooks around the statement", async () => {
    seen.length = 0;
    await preparedRead(handle, "pr_hooked", handle.db.select({ id: parts.id }).from(parts).where(eq(parts.id, sql.placeholder("id")))).execute({ id: 1 });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/^select "id" from "pr_parts"/);
  });

  it("reports database errors as the driver's error (SQLSTATE kept for the error mapping)", async () => {
    const statement = preparedRead(handle, "pr_bad", handle.db.select().from(things).where(eq(things.id, sql.placeholder("id"))));
    await expect(statement.execute({ id: "not-a-uuid" })).rejects.toMatchObject({ code: "22P02" });
  });
});
