/**
 * Drizzle on PGlite through forDrizzle(): the client opened by openPglite leaves the types Drizzle
 * decodes as text, and the per-query parsers Drizzle sends are dropped. Rows must be exactly
 * those of Drizzle on a plain PGlite client, for every column type the compiler emits.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { count, eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/pglite";
import { bigint, boolean, date, doublePrecision, integer, interval, json, jsonb, numeric, pgEnum, pgTable, real, smallint, text, time, timestamp, uuid, varchar } from "drizzle-orm/pg-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forDrizzle, openPglite } from "./pglite.js";

const mood = pgEnum("mood", ["calm", "busy"]);
const things = pgTable("things", {
  id: uuid("id").primaryKey(),
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
  stamps: timestamp("stamps", { withTimezone: true }).array(),
  mood: mood("mood"),
});
const DDL = `
  create type mood as enum ('calm', 'busy');
  create table things (
    id uuid primary key, name varchar(50) not null, note text, small smallint, count integer, big bigint, big_exact bigint,
    price numeric(10,2), exact numeric(20,6), ratio real, score double precision, active boolean, at timestamptz,
    local_at timestamp, at_text timestamptz, day date, day_date date, clock time, span interval, data json, doc jsonb,
    tags text[], ranks integer[], stamps timestamptz[], mood mood);`;
const ROWS = [
  {
    id: "6f1c2f4e-8a43-4c1e-9d55-0a1b2c3d4e5f", name: "full", note: "a note, with 'quotes'", small: -3, count: 42, big: 9007199254740991, bigExact: 9223372036854775807n,
    price: 1234.5, exact: "0.000001", ratio: 0.25, score: 1e-7, active: true, at: new Date("2026-11-30T12:34:56.789Z"), localAt: new Date("2026-01-02T03:04:05.000Z"),
    atText: "2026-11-30 12:00:00+00", day: "2026-02-28", dayDate: new Date("2026-03-01T00:00:00.000Z"), clock: "23:59:58", span: "1 day 02:00:00",
    data: { a: [1, "x", null] }, doc: { nested: { ok: true } }, tags: ["a", "b,c", ""], ranks: [3, 1, 2], stamps: [new Date("2026-01-01T00:00:00.000Z")], mood: "busy" as const,
  },
  { id: "00000000-0000-4000-8000-000000000001", name: "empty" },
];

let dir: string;
let ours: PGlite;
let plain: PGlite;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "yamac-pglite-"));
  [ours, plain] = await Promise.all([openPglite(join(dir, "data"), undefined), PGlite.create()]);
  for (const client of [ours, plain]) {
    await client.exec(DDL);
    await drizzle(client).insert(things).values(ROWS);
  }
}, 120_000);

afterAll(async () => {
  await Promise.all([ours?.close(), plain?.close()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("Drizzle on PGlite through forDrizzle()", () => {
  it("returns the rows Drizzle returns on a plain client, for every column type", async () => {
    const fast = drizzle(forDrizzle(ours));
    const reference = drizzle(plain);
    const all = (db: typeof fast) => db.select().from(things).orderBy(things.name);
    expect(await all(fast)).toEqual(await all(reference));
    const prepared = (db: typeof fast) => db.select().from(things).where(eq(things.id, sql.placeholder("id"))).prepare("one");
    expect(await prepared(fast).execute({ id: ROWS[0]!.id })).toEqual(await prepared(reference).execute({ id: ROWS[0]!.id }));
    const [row] = await prepared(fast).execute({ id: ROWS[0]!.id });
    expect(row!.at).toEqual(ROWS[0]!.at);
    expect(row!.stamps).toEqual(ROWS[0]!.stamps);
  });

  it("keeps aggregates, raw SQL and transactions as on a plain client", async () => {
    const fast = drizzle(forDrizzle(ours));
    const reference = drizzle(plain);
    const stats = (db: typeof fast) => db.select({ n: count(), latest: sql<string>`max(${things.at})` }).from(things);
    expect(await stats(fast)).toEqual(await stats(reference));
    const raw = (db: typeof fast) => db.execute(sql`select name, at, span from things order by name`);
    expect((await raw(fast)).rows).toEqual((await raw(reference)).rows);
    const inTx = (db: typeof fast) => db.transaction(async (tx) => tx.select({ at: things.at }).from(things).where(eq(things.name, "full")));
    expect(await inTx(fast)).toEqual(await inTx(reference));
  });
});
