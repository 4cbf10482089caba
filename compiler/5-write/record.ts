/**
 * What the last `yamac compile` left on disk, kept in .yama/written.json: for each generated file,
 * its size, modification time and inode after the write, and a hash of its content. A file whose
 * size, time and inode still match was not touched since, so comparing its recorded hash with the
 * hash of its new content tells whether it changed without reading it (at 1,000 entities src/
 * holds 43 MB). A file that does not match (an editor, a git checkout, `yamac dev`) is read and
 * compared as if there were no record. The record is only an optimisation: a missing, unreadable
 * or malformed one is ignored, and failing to write it fails nothing.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { OutputFile } from "../4-emit/index.js";

/** Where the record lives in a project (.yama/ holds local state and is not checked in). */
export const RECORD_PATH = ".yama/written.json";

const VERSION = 1;

/** A file as the last write left it: [size, mtime in ns, inode, content hash]. */
type Entry = [size: string, mtimeNs: string, ino: string, hash: string];

/** The hash of a file's content, taken part by part when it is made of parts (no joined copy). */
export function contentHash(f: OutputFile): string {
  const hash = createHash("sha1");
  if (f.parts) for (const part of f.parts) hash.update(part);
  else hash.update(f.content);
  return hash.digest("base64url");
}

export class WriteRecord {
  private readonly entries: Map<string, Entry>;
  /** Hashes computed while planning, kept for the new record. */
  private readonly hashes = new Map<string, string>();
  /** Files found unchanged by their entry: their entry stands as it is. */
  private readonly confirmed = new Set<string>();

  private constructor(
    private readonly projectDir: string,
    entries: Map<string, Entry>,
    /** The record's text as loaded: an unchanged record is not written again. */
    private readonly text: string | undefined,
  ) {
    this.entries = entries;
  }

  /** The project's record, or an empty one when there is none that this version can read. */
  static load(projectDir: string): WriteRecord {
    const entries = new Map<string, Entry>();
    let text: string | undefined;
    try {
      text = readFileSync(join(projectDir, RECORD_PATH), "utf8");
      const data = JSON.parse(text) as { version?: unknown; files?: unknown };
      if (data.version === VERSION && typeof data.files === "object" && data.files !== null) {
        for (const [path, entry] of Object.entries(data.files)) {
          if (Array.isArray(entry) && entry.length === 4 && entry.every((v) => typeof v === "string")) entries.set(path, entry as Entry);
        }
      }
    } catch {
      // No record (first compile, or removed): every file is compared by reading it.
    }
    return new WriteRecord(projectDir, entries, text);
  }

  /** The hash of `f`'s new content, computed once per compile. */
  hashOf(f: OutputFile): string {
    let hash = this.hashes.get(f.path);
    if (hash === undefined) this.hashes.set(f.path, (hash = contentHash(f)));
    return hash;
  }

  /**
   * Whether `f` is on disk as the last write left it and with the same content: true (unchanged),
   * false (it is as written, and its content changes, so it carries the generated marker), or
   * undefined when the record cannot tell (no entry, or the file was touched since).
   */
  unchanged(f: OutputFile): boolean | undefined {
    const entry = this.entries.get(f.path);
    if (entry === undefined) return undefined;
    const stat = statSync(join(this.projectDir, f.path), { bigint: true, throwIfNoEntry: false });
    if (stat === undefined || String(stat.size) !== entry[0] || String(stat.mtimeNs) !== entry[1] || String(stat.ino) !== entry[2]) return undefined;
    const same = this.hashOf(f) === entry[3];
    if (same) this.confirmed.add(f.path);
    return same;
  }

  /**
   * Records the files of a successful write: `files` are all the generated files now on disk
   * (written or unchanged); files the project keeps as its own (`ifMissing`) are not recorded.
   */
  save(files: readonly OutputFile[]): void {
    const out: Record<string, Entry> = {};
    for (const f of files) {
      if (f.ifMissing) continue;
      const known = this.confirmed.has(f.path) ? this.entries.get(f.path) : undefined;
      if (known !== undefined) {
        out[f.path] = known;
        continue;
      }
      const stat = statSync(join(this.projectDir, f.path), { bigint: true, throwIfNoEntry: false });
      if (stat !== undefined) out[f.path] = [String(stat.size), String(stat.mtimeNs), String(stat.ino), this.hashOf(f)];
    }
    const text = JSON.stringify({ version: VERSION, files: out });
    if (text === this.text) return;
    const target = join(this.projectDir, RECORD_PATH);
    try {
      mkdirSync(dirname(target), { recursive: true });
      const tmp = `${target}.${process.pid}`;
      writeFileSync(tmp, text);
      renameSync(tmp, target);
    } catch {
      // A project whose .yama/ cannot be written compiles as before, by reading its files.
    }
  }
}
