/**
 * Enum arrays and date defaults end to end, on PostgreSQL and on PGlite: the migration applies
 * (the CHECK of an enum array is a containment test), bodies are validated element by element
 * (400, never a 500), list defaults and `date = now` / `current_date` fill the row, and the
 * database itself refuses an element outside the enum.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileProject } from "../index.js";
import { generateProjectMigration } from "../migrate/generate.js";
import { call, createDatabase, type Reply, removeProject, ROOT, type RunningServer, startServer } from "./harness.js";

type Row = Record<string, unknown>;

const CONFIG = `name: enum-arrays
enums:
  Color: [red, green, blue]
entities:
  Thing:
    fields:
      id: uuid!
      name: string!
      colors: Color[]
      shades: enum(light, dark)[]!
      palette: { type: "Color[]", default: [red] }
      tags: { type: "string[]", default: [] }
      day: date = now
      joinedOn: date = current_date
    crud: true
`;

/** A project compiled from CONFIG, with its first migration, in a folder under .yama/. */
async function prepare(): Promise<string> {
  mkdirSync(join(ROOT, ".yama"), { recursive: true });
  const dir = mkdtempSync(join(ROOT, ".yama", "enum-arrays-"));
  writeFileSync(join(dir, "yama.yaml"), CONFIG);
  const compiled = compileProject(dir);
  if (!compiled.ok) throw new Error(`does not compile: ${JSON.stringify(compiled.diagnostics)}`);
  await generateProjectMigration(dir, { folder: "drizzle", allowDestructive: false });
  return dir;
}

function expectError(res: Reply, status: number, code: string): void {
  expect(res.status, res.text).toBe(status);
  expect((res.body as { error: { code: string } }).error.code).toBe(code);
}

describe.each(["postgres", "pglite"] as const)("enum arrays on %s", (driver) => {
  let dir = "";
  let server: RunningServer | undefined;
  let db: Awaited<ReturnType<typeof createDatabase>> | undefined;
  const api = (method: string, path: string, json?: unknown) => call(server!.base, method, path, json);

  beforeAll(async () => {
    dir = await prepare();
    if (driver === "postgres") db = await createDatabase("yamac_enum_arrays");
    server = await startServer(dir, db ? { DATABASE_URL: db.url } : { YAMA_DATA_DIR: join(dir, ".data") });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    removeProject(dir);
  });

  it("migrates with a containment CHECK", () => {
    const migration = readFileSync(join(dir, "drizzle", "0000_init.sql"), "utf8");
    expect(migration).toContain(`CONSTRAINT "things_colors_check" CHECK ("things"."colors" <@ ARRAY['red', 'green', 'blue']::text[])`);
  });

  it("creates rows with listed values, empty and null arrays, and fills the defaults", async () => {
    const res = await api("POST", "/things", { name: "a", colors: ["red", "blue", "red"], shades: ["dark"] });
    expect(res.status, res.text).toBe(201);
    const today = new Date().toISOString().slice(0, 10);
    const row = res.body as Row;
    expect(row).toMatchObject({ colors: ["red", "blue", "red"], shades: ["dark"], palette: ["red"], tags: [] });
    // The database's date and the test's may straddle midnight in different zones: one day apart at most.
    for (const day of [row.day, row.joinedOn]) expect(Math.abs(Date.parse(String(day)) - Date.parse(today))).toBeLessThanOrEqual(86_400_000);
    const empty = await api("POST", "/things", { name: "b", colors: [], shades: [], palette: null });
    expect(empty.status, empty.text).toBe(201);
    expect(empty.body).toMatchObject({ colors: [], shades: [], palette: null });
    const updated = await api("PATCH", `/things/${row.id as string}`, { colors: ["green"] });
    expect(updated.status, updated.text).toBe(200);
    expect(updated.body).toMatchObject({ colors: ["green"] });
  });

  it("answers 400 VALIDATION_BODY for an element outside the enum", async () => {
    expectError(await api("POST", "/things", { name: "c", colors: ["red", "purple"], shades: [] }), 400, "VALIDATION_BODY");
    expectError(await api("POST", "/things", { name: "c", shades: ["dim"] }), 400, "VALIDATION_BODY");
    expectError(await api("POST", "/things", { name: "c", shades: "dark" }), 400, "VALIDATION_BODY");
    expectError(await api("POST", "/things", { name: "c", shades: [null] }), 400, "VALIDATION_BODY");
    const first = ((await api("GET", "/things")).body as { data: Row[] }).data[0]!;
    expectError(await api("PATCH", `/things/${first.id as string}`, { palette: ["red", "Red"] }), 400, "VALIDATION_BODY");
    expectError(await api("PUT", `/things/${first.id as string}`, { name: "c", shades: ["light", "x"] }), 400, "VALIDATION_BODY");
  });

  it.runIf(driver === "postgres")("the CHECK refuses an element outside the enum, and accepts NULL", async () => {
    await expect(db!.sql`insert into things (name, shades) values ('d', ${["purple"]})`).rejects.toMatchObject({ code: "23514", constraint_name: "things_shades_check" });
    await expect(db!.sql`insert into things (name, shades, colors) values ('d', ${[]}, null) returning id`).resolves.toHaveLength(1);
  });

  it("describes the arrays as arrays of enum strings in OpenAPI", () => {
    const openapi = JSON.parse(readFileSync(join(dir, "src", "openapi.json"), "utf8")) as { components: { schemas: Record<string, { properties: Record<string, unknown> }> } };
    const create = openapi.components.schemas.ThingCreate!.properties;
    expect(create.colors).toEqual({ type: ["array", "null"], items: { type: "string", enum: ["red", "green", "blue"] } });
    expect(create.shades).toEqual({ type: "array", items: { type: "string", enum: ["light", "dark"] } });
  });
});
