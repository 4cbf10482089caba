/**
 * The embedded database: PGlite (PostgreSQL compiled to WebAssembly) with its files in a data
 * directory. Loaded by db.ts only when DATABASE_URL is unset.
 *
 * A new data directory starts as a copy of a template: a pristine cluster (initdb, no tables)
 * made once per PGlite version, because PGlite's initdb costs seconds and a copy a fraction of
 * that.
 * The template never holds a schema or rows (migrations run on the copy as on any database), so
 * it cannot go stale when the schema changes; it records the PGlite version that made it and is
 * used only by that version. When it is missing or was made by another version, the first start
 * makes it (and later new data directories are quick).
 *
 * Copying the cluster means creating about a thousand files, which costs 0.05 s to over 0.5 s
 * of kernel time depending on the disk. So beside the template lies a spare: one more finished
 * copy of it, which a new data directory takes with a rename (instant on the same file system).
 * A process that made a new data directory makes the next spare a few seconds after its start,
 * in the background, so the copy is off the start-up path.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { copyFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { basename, dirname, join, resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";

/** What a template records about itself, in template.json. */
interface TemplateManifest {
  /** The @electric-sql/pglite version that made the cluster. */
  pglite: string;
}

const MANIFEST = "template.json";

/**
 * PGlite's start parameters, with 32 MB of shared buffers instead of the 128 MB initdb writes
 * into postgresql.conf: PGlite sets up shared memory on every start, and the smaller pool starts
 * measurably faster and keeps less memory resident.
 */
export const START_PARAMS: readonly string[] = [...PGlite.defaultStartParams, "-c", "shared_buffers=32MB"];

let installed: string | undefined;

/** The version of the installed @electric-sql/pglite package (its package.json is not exported). */
function pgliteVersion(): string {
  if (installed !== undefined) return installed;
  let dir = dirname(createRequire(import.meta.url).resolve("@electric-sql/pglite"));
  for (;;) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "@electric-sql/pglite" && pkg.version) return (installed = pkg.version);
    }
    const up = dirname(dir);
    if (up === dir) throw new Error("the package.json of @electric-sql/pglite was not found");
    dir = up;
  }
}

/** Whether `dir` holds a complete template made by the installed PGlite version. */
function usableTemplate(dir: string): boolean {
  try {
    const manifest = JSON.parse(readFileSync(join(dir, MANIFEST), "utf8")) as Partial<TemplateManifest>;
    return manifest.pglite === pgliteVersion() && existsSync(join(dir, "PG_VERSION"));
  } catch {
    return false;
  }
}

/** Whether process `pid` is running (on this machine). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * A sibling path for work in progress (`<path>.<pid>.tmp`), renamed into place when complete.
 * Work left behind by processes that ended before finishing (killed during a copy) is removed.
 */
function scratch(path: string): string {
  const full = resolve(path);
  const parent = dirname(full);
  mkdirSync(parent, { recursive: true });
  const prefix = `${basename(full)}.`;
  for (const name of readdirSync(parent)) {
    const pid = name.startsWith(prefix) ? /^(\d+)\.tmp$/.exec(name.slice(prefix.length))?.[1] : undefined;
    if (pid !== undefined && (Number(pid) === process.pid || !alive(Number(pid)))) rmSync(join(parent, name), { recursive: true, force: true });
  }
  return `${full}.${process.pid}.tmp`;
}

/**
 * Removes the folder at `path` by renaming it away first: another process taking it with a rename
 * (a spare) either gets all of it or nothing, never a folder half deleted.
 */
function discard(path: string): void {
  const away = scratch(path);
  try {
    renameSync(path, away);
  } catch {
    return; // gone already, or taken
  }
  rmSync(away, { recursive: true, force: true });
}

function isEmptyOrMissing(dir: string): boolean {
  return !existsSync(dir) || readdirSync(dir).length === 0;
}

/**
 * Copies the directory tree `from` (without the manifest) to `to`: directories first, then
 * every file at once, so the thread pool copies them in parallel (a cluster is about a thousand
 * files, and creating files is most of the cost).
 */
async function copyTree(from: string, to: string): Promise<void> {
  const files: [string, string][] = [];
  const walk = (source: string, target: string) => {
    mkdirSync(target);
    for (const entry of readdirSync(source, { withFileTypes: true })) {
      if (source === from && entry.name === MANIFEST) continue;
      if (entry.isDirectory()) walk(join(source, entry.name), join(target, entry.name));
      else files.push([join(source, entry.name), join(target, entry.name)]);
    }
  };
  walk(from, to);
  await Promise.all(files.map(([source, target]) => copyFile(source, target)));
}

/**
 * Builds a folder beside `target` with `fill`, then hands it to `place` (which renames it into
 * place, or leaves it when another process published one first); whatever is left of the scratch
 * folder is removed, so `target` is never half written.
 */
async function throughScratch(target: string, fill: (work: string) => Promise<void>, place: (work: string) => void): Promise<void> {
  const work = scratch(target);
  try {
    await fill(work);
    place(work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Copies a cluster into `target` (missing or empty: rename(2) replaces an empty directory). */
async function copyCluster(from: string, target: string): Promise<void> {
  await throughScratch(target, (work) => copyTree(from, work), (work) => renameSync(work, target));
}

/** A template may be (re)made at `dir` when nothing else lives there: missing, empty, or a template. */
function replaceable(dir: string): boolean {
  return isEmptyOrMissing(dir) || existsSync(join(dir, MANIFEST));
}

/**
 * Runs PGlite's initdb in a scratch directory, closes the cluster cleanly and publishes it as
 * the template at `dir`, replacing a template of another version. A folder at `dir` that is not
 * a template (a data directory named by mistake) is never touched.
 */
export async function makeTemplate(dir: string): Promise<void> {
  if (!replaceable(dir)) throw new Error(`${dir} is not a PGlite template (no ${MANIFEST}); leaving it alone`);
  await throughScratch(
    dir,
    async (work) => {
      // 1 MB WAL segments instead of 16 MB: the template holds fewer bytes, and every new data
      // directory copies them.
      const pg = new PGlite(work, { startParams: [...START_PARAMS], initDbStartParams: ["--wal-segsize=1"] });
      await pg.waitReady;
      await pg.close();
      const manifest: TemplateManifest = { pglite: pgliteVersion() };
      writeFileSync(join(work, MANIFEST), JSON.stringify(manifest, null, 2) + "\n");
    },
    (work) => {
      // Another process may have published one meanwhile: keep it (it may be being copied).
      if (usableTemplate(dir)) return;
      rmSync(dir, { recursive: true, force: true });
      renameSync(work, dir);
      // A spare copied from the template this one replaces is of no use any more.
      discard(spareOf(dir));
    },
  );
}

/** Where the spare copy of `template` lies: beside it, `<template>.spare`. */
export function spareOf(template: string): string {
  return `${resolve(template)}.spare`;
}

/**
 * Makes the spare copy of `template` unless there is a usable one: copied into a scratch folder,
 * the manifest written last, then renamed into place (replacing a spare of another PGlite
 * version). Does nothing without a usable template.
 */
export async function makeSpare(template: string): Promise<void> {
  const spare = spareOf(template);
  if (usableTemplate(spare) || !usableTemplate(template)) return;
  discard(spare);
  await throughScratch(
    spare,
    async (work) => {
      await copyTree(template, work);
      writeFileSync(join(work, MANIFEST), readFileSync(join(template, MANIFEST)));
    },
    // Another process may have made one meanwhile; rename(2) refuses to replace it (not empty).
    (work) => {
      if (!existsSync(spare)) renameSync(work, spare);
    },
  );
}

/**
 * Moves the spare copy of `template` to `dataDir` (missing or empty). False when there is no
 * spare of the installed PGlite version, or it cannot be renamed there (another file system,
 * or another process took it first).
 */
function takeSpare(template: string, dataDir: string): boolean {
  const spare = spareOf(template);
  // A spare is a copy of the current template: none is taken while the template needs remaking.
  if (!usableTemplate(template) || !usableTemplate(spare)) return false;
  try {
    mkdirSync(dirname(resolve(dataDir)), { recursive: true });
    // rename(2) replaces an empty directory, so an empty `dataDir` is fine.
    renameSync(spare, dataDir);
  } catch {
    return false;
  }
  rmSync(join(dataDir, MANIFEST), { force: true });
  return true;
}

/** How long after a start that made a new data directory the next spare is made. */
const SPARE_DELAY_MS = 3_000;

/**
 * Prepares `dataDir` before PGlite opens it: an existing cluster is left alone; a new (missing
 * or empty) one becomes the template's spare copy (renamed) or, without one, a copy of the
 * template, which is made first when it is missing or was made by another PGlite version.
 * Without a template (`template` undefined), or when the template cannot be made or copied (a
 * read-only disk), PGlite runs initdb itself.
 */
export async function prepareDataDir(dataDir: string, template: string | undefined): Promise<"existing" | "spare" | "template" | "initdb"> {
  if (existsSync(join(dataDir, "PG_VERSION"))) return "existing";
  if (template === undefined || !isEmptyOrMissing(dataDir)) return "initdb";
  if (takeSpare(template, dataDir)) return "spare";
  if (!usableTemplate(template)) {
    try {
      await makeTemplate(template);
    } catch {
      // Not writable, or another process published one first: checked below.
    }
    if (!usableTemplate(template)) return "initdb";
  }
  try {
    await copyCluster(template, dataDir);
    return "template";
  } catch {
    return "initdb";
  }
}

/**
 * Types whose values Drizzle decodes itself from PostgreSQL's text, so it asks PGlite not to parse
 * them: timestamp, timestamptz, interval, date, and the arrays of numeric, timestamp, timestamptz,
 * interval and date.
 */
const DRIZZLE_TEXT_TYPES: readonly number[] = [1114, 1184, 1186, 1082, 1231, 1115, 1185, 1187, 1182];
const asText = (value: string) => value;

/**
 * Opens (and creates when needed) the cluster in `dataDir`, leaving DRIZZLE_TEXT_TYPES as text.
 * When it made a new data directory from the template, the next spare is made SPARE_DELAY_MS
 * later, in the background (a timer that does not keep the process alive).
 */
export async function openPglite(dataDir: string, template: string | undefined): Promise<PGlite> {
  const prepared = await prepareDataDir(dataDir, template);
  if (prepared === "initdb") mkdirSync(dataDir, { recursive: true });
  if (template !== undefined && (prepared === "spare" || prepared === "template")) {
    setTimeout(() => makeSpare(template).catch(() => {}), SPARE_DELAY_MS).unref();
  }
  return new PGlite(dataDir, { startParams: [...START_PARAMS], parsers: Object.fromEntries(DRIZZLE_TEXT_TYPES.map((oid) => [oid, asText])) });
}

/**
 * PGlite does not lock its data directory: two processes that open the same one each run their
 * own PostgreSQL over the same files, and one's committed writes are lost. So a lock file beside
 * the directory (`<dataDir>.lock`) names the process that has it open, and another process refuses
 * to open it while that one is alive. A lock left by a process that died is taken over. Returns
 * the release (also run at exit); on a disk where the lock cannot be written, there is no lock.
 */
export function lockDataDir(dataDir: string): () => void {
  const path = `${resolve(dataDir)}.lock`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, `${process.pid}\n`, { flag: "wx" });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") return () => {};
      let owner = Number.NaN;
      try {
        owner = Number(readFileSync(path, "utf8").trim());
      } catch {
        continue; // released meanwhile
      }
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new Error(`the PGlite data directory ${dataDir} is open in process ${owner} (another server, \`yamac dev\` or a migration): stop it first, since PGlite gives its files to one process at a time, or set YAMA_DATA_DIR to another directory. If no such process is yours, delete ${path}`);
      }
      rmSync(path, { force: true }); // left by a process that is gone
      continue;
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      process.off("exit", release);
      try {
        if (readFileSync(path, "utf8").trim() === String(process.pid)) rmSync(path, { force: true });
      } catch {
        // Already gone.
      }
    };
    process.on("exit", release);
    return release;
  }
  return () => {};
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

type QueryOptions = NonNullable<Parameters<PGlite["query"]>[2]>;

/**
 * The client as Drizzle should see it. Drizzle passes its parsers (DRIZZLE_TEXT_TYPES as text)
 * with every query, and PGlite merges them into a copy of its whole parser table for each
 * result: measured, that copy made point reads about 30 % slower. The client already leaves those
 * types as text (openPglite), so Drizzle's queries go through this view, which drops the per-query
 * parsers when they name nothing else. Everything but `query` is the client's own.
 */
export function forDrizzle(client: PGlite): PGlite {
  const stripped = new WeakMap<QueryOptions, QueryOptions>();
  const withoutParsers = (options: QueryOptions): QueryOptions => {
    let lean = stripped.get(options);
    if (lean === undefined) {
      const names = Object.keys(options.parsers ?? {}).map(Number);
      lean = names.every((oid) => DRIZZLE_TEXT_TYPES.includes(oid)) ? { ...options, parsers: undefined } : options;
      stripped.set(options, lean);
    }
    return lean;
  };
  const query: PGlite["query"] = (text, params, options) => client.query(text, params, options?.parsers ? withoutParsers(options) : options);
  return new Proxy(client, {
    get(target, prop) {
      if (prop === "query") return query;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
