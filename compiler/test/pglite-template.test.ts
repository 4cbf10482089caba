/**
 * PGlite data directories made from a template cluster (runtime-lib/pglite.ts), through the
 * emitted server: the first start makes the template, later new data directories are copies of
 * it with the migrations applied (the spare copy beside the template, renamed, when there is
 * one), a restart keeps the rows, and a template of another PGlite version, or a folder that is
 * not a template, is never used.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeSpare, spareOf } from "../../runtime-lib/pglite.js";
import { call, prepareProject, removeProject, startServer } from "./harness.js";

type Row = Record<string, unknown>;

const installedPglite = (JSON.parse(readFileSync(new URL("../../node_modules/@electric-sql/pglite/package.json", import.meta.url), "utf8")) as { version: string }).version;

describe("PGlite data directories from a template", () => {
  let dir = "";
  let template = "";

  beforeAll(async () => {
    dir = await prepareProject("one-entity");
    template = join(dir, ".yama", "pglite-template");
  }, 120_000);

  afterAll(() => removeProject(dir));

  /** Starts the server on `dataDir`, runs `fn` against it, stops it. */
  async function serve<T>(dataDir: string, fn: (base: string) => Promise<T>, templateDir = template): Promise<T> {
    const server = await startServer(dir, { YAMA_DATA_DIR: dataDir, YAMA_PGLITE_TEMPLATE: templateDir });
    try {
      return await fn(server.base);
    } finally {
      await server.stop();
    }
  }

  /** Opens a stopped data directory and answers `sql`. */
  async function inspect<T>(dataDir: string, sql: string): Promise<T[]> {
    const pg = new PGlite(dataDir);
    try {
      return (await pg.query<T>(sql)).rows;
    } finally {
      await pg.close();
    }
  }

  /** The cluster's identity, set by initdb: copies of one template share it. */
  const systemId = async (dataDir: string) => (await inspect<{ id: string }>(dataDir, "select system_identifier::text as id from pg_control_system()"))[0]!.id;
  const tables = async (dataDir: string) => (await inspect<{ t: string }>(dataDir, "select table_schema || '.' || table_name as t from information_schema.tables where table_schema in ('public', 'drizzle') order by 1")).map((r) => r.t);

  it("the first start makes the template and serves from a copy with the migrations applied", async () => {
    const data = join(dir, ".yama", "data-1");
    const created = await serve(data, async (base) => {
      const res = await call(base, "POST", "/notes", { title: "first" });
      expect(res.status, res.text).toBe(201);
      return (res.body as Row).id as string;
    });
    expect(JSON.parse(readFileSync(join(template, "template.json"), "utf8"))).toEqual({ pglite: installedPglite });
    expect(existsSync(join(data, "template.json"))).toBe(false);
    expect(await tables(data)).toEqual(["drizzle.__drizzle_migrations", "public.notes"]);
    expect(await inspect<{ id: string }>(data, "select id from notes")).toEqual([{ id: created }]);
    // 1 MB WAL segments come from the template's initdb (PGlite's own initdb makes 16 MB ones).
    expect(await inspect<{ wal_segment_size: string }>(data, "show wal_segment_size")).toEqual([{ wal_segment_size: "1MB" }]);
  }, 180_000);

  it("a restart keeps the rows, and the template stays pristine", async () => {
    const data = join(dir, ".yama", "data-1");
    await serve(data, async (base) => {
      const list = await call(base, "GET", "/notes");
      expect(list.status, list.text).toBe(200);
      expect(JSON.stringify(list.body)).toContain('"title":"first"');
      expect((await call(base, "POST", "/notes", { title: "second" })).status).toBe(201);
    });
    expect((await inspect<{ title: string }>(data, "select title from notes order by title")).map((r) => r.title)).toEqual(["first", "second"]);
    // A second new data directory is another copy of the same template: no rows, same cluster.
    const data2 = join(dir, ".yama", "data-2");
    await serve(data2, async (base) => {
      const list = await call(base, "GET", "/notes");
      expect(list.status, list.text).toBe(200);
      expect(JSON.stringify(list.body)).not.toContain("first");
    });
    expect(await systemId(data2)).toBe(await systemId(data));
    expect(await tables(data2)).toEqual(["drizzle.__drizzle_migrations", "public.notes"]);
    const copy = join(dir, ".yama", "template-copy");
    cpSync(template, copy, { recursive: true });
    expect(await tables(copy)).toEqual([]);
  }, 180_000);

  it("a start that made a new data directory leaves a spare copy, which the next new data directory is renamed from", async () => {
    const spare = spareOf(template);
    const data6 = join(dir, ".yama", "data-6");
    await serve(data6, async () => {
      // Made in the background a few seconds after the start.
      for (let waited = 0; !existsSync(join(spare, "template.json")); waited += 100) {
        if (waited > 30_000) throw new Error("no spare within 30 s of the start");
        await new Promise((r) => setTimeout(r, 100));
      }
    });
    expect(readFileSync(join(spare, "template.json"), "utf8")).toBe(readFileSync(join(template, "template.json"), "utf8"));
    const inode = statSync(spare).ino;
    const data7 = join(dir, ".yama", "data-7");
    await serve(data7, async (base) => {
      const list = await call(base, "GET", "/notes");
      expect(list.status, list.text).toBe(200);
      expect(JSON.stringify(list.body)).not.toContain("first");
    });
    // The same directory, moved: no files were copied on the start path.
    expect(statSync(data7).ino).toBe(inode);
    expect(existsSync(join(data7, "template.json"))).toBe(false);
    expect(await tables(data7)).toEqual(["drizzle.__drizzle_migrations", "public.notes"]);
    expect(await systemId(data7)).toBe(await systemId(data6));
  }, 180_000);

  it("making a spare removes work left by a process that died during it, and keeps an existing spare", async () => {
    const spare = spareOf(template);
    // A spare left by an earlier test's server (made a few seconds after its start) would make
    // makeSpare return at once: start without one.
    rmSync(spare, { recursive: true, force: true });
    // Not a running process: above Linux's largest pid.
    const leftover = `${spare}.4194305.tmp`;
    mkdirSync(join(leftover, "base"), { recursive: true });
    await makeSpare(template);
    expect(existsSync(leftover)).toBe(false);
    expect(existsSync(join(spare, "PG_VERSION"))).toBe(true);
    const inode = statSync(spare).ino;
    await makeSpare(template);
    expect(statSync(spare).ino).toBe(inode);
  }, 60_000);

  it("a template made by another PGlite version is remade, not used", async () => {
    const before = await systemId(join(dir, ".yama", "data-1"));
    writeFileSync(join(template, "template.json"), JSON.stringify({ pglite: "0.0.1" }));
    const data = join(dir, ".yama", "data-3");
    await serve(data, async (base) => expect((await call(base, "POST", "/notes", { title: "third" })).status).toBe(201));
    expect(JSON.parse(readFileSync(join(template, "template.json"), "utf8"))).toEqual({ pglite: installedPglite });
    expect(await systemId(data)).not.toBe(before);
    // The spare was a copy of the replaced template: removed with it, not taken.
    if (existsSync(spareOf(template))) expect(await systemId(spareOf(template))).toBe(await systemId(data));
    expect((await inspect<{ title: string }>(data, "select title from notes")).map((r) => r.title)).toEqual(["third"]);
  }, 180_000);

  it("a folder that is not a template (a data directory named by mistake) is neither used nor touched", async () => {
    const notATemplate = join(dir, ".yama", "data-1");
    const id = await systemId(notATemplate);
    const data = join(dir, ".yama", "data-4");
    await serve(
      data,
      async (base) => {
        const list = await call(base, "GET", "/notes");
        expect(list.status, list.text).toBe(200);
        expect(JSON.stringify(list.body)).not.toContain("first");
      },
      notATemplate,
    );
    expect(await systemId(data)).not.toBe(id);
    expect(existsSync(join(notATemplate, "template.json"))).toBe(false);
    expect((await inspect<{ title: string }>(notATemplate, "select title from notes order by title")).map((r) => r.title)).toEqual(["first", "second"]);
  }, 180_000);

  it("an empty YAMA_PGLITE_TEMPLATE turns the template off (PGlite runs initdb in the data directory)", async () => {
    const data = join(dir, ".yama", "data-5");
    await serve(data, async (base) => expect((await call(base, "GET", "/notes")).status).toBe(200), "");
    expect(await inspect<{ wal_segment_size: string }>(data, "show wal_segment_size")).toEqual([{ wal_segment_size: "16MB" }]);
  }, 180_000);
});
