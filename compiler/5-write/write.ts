/**
 * Phase 5: puts the emitted files on disk. Every check runs before the first write, so a
 * failed compile leaves the project as it was. Only files that start with the generated
 * marker are ever overwritten or deleted; unchanged files are not touched.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import type { DiagnosticBag } from "../diagnostics.js";
import type { OutputFile } from "../4-emit/index.js";
import { GENERATED_MARKER } from "../4-emit/writer.js";

/** Folders whose generated files yamac owns (stale ones are deleted). */
const OWNED_DIRS = ["src", "api", "netlify/functions"];

export interface WriteResult {
  written: string[];
  unchanged: string[];
  deleted: string[];
  skipped: string[];
}

function walk(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

/** JSON cannot carry a comment: generated JSON files start with an "x-generated-by" member instead. */
const JSON_MARKER = '{\n  "x-generated-by": "yamac';

const hasMarker = (text: string) => text.startsWith(GENERATED_MARKER) || text.startsWith(JSON_MARKER);
const isGenerated = (path: string) => hasMarker(readFileSync(path, "utf8"));

/**
 * Decides what to write. `previous` (what the last write of this process put on disk, by path)
 * lets a watcher skip reading files it wrote itself: a file whose content equals it is unchanged,
 * and only its paths are candidates for deletion.
 */
export function planWrite(projectDir: string, files: readonly OutputFile[], diagnostics: DiagnosticBag, previous?: ReadonlyMap<string, string>): WriteResult {
  const result: WriteResult = { written: [], unchanged: [], deleted: [], skipped: [] };
  const wanted = new Set(files.map((f) => f.path));
  for (const f of files) {
    const target = join(projectDir, f.path);
    if (previous?.get(f.path) === f.content && !f.ifMissing) {
      result.unchanged.push(f.path);
      continue;
    }
    if (!existsSync(target)) {
      result.written.push(f.path);
      continue;
    }
    if (f.ifMissing) {
      result.skipped.push(f.path);
      continue;
    }
    const current = readFileSync(target, "utf8");
    if (current === f.content) result.unchanged.push(f.path);
    else if (!hasMarker(current)) {
      diagnostics.error("not-generated", `${f.path} was not written by yamac, so it will not be overwritten`, { file: f.path, line: 1, col: 1 }, "move your code out of src/ (user code belongs in handlers/), or delete the file to let yamac write it");
    } else result.written.push(f.path);
  }
  if (previous) {
    for (const rel of previous.keys()) {
      const full = join(projectDir, rel);
      const owned = OWNED_DIRS.some((d) => rel.startsWith(`${d}/`)) && (rel.endsWith(".ts") || rel.endsWith(".json"));
      if (!wanted.has(rel) && owned && existsSync(full) && isGenerated(full)) result.deleted.push(rel);
    }
    return result;
  }
  for (const dir of OWNED_DIRS) {
    for (const full of walk(join(projectDir, dir))) {
      const rel = relative(projectDir, full).split(sep).join("/");
      if (!wanted.has(rel) && (rel.endsWith(".ts") || rel.endsWith(".json")) && isGenerated(full)) result.deleted.push(rel);
    }
  }
  return result;
}

export function applyWrite(projectDir: string, files: readonly OutputFile[], plan: WriteResult): void {
  const toWrite = new Set(plan.written);
  for (const f of files) {
    if (!toWrite.has(f.path)) continue;
    const target = join(projectDir, f.path);
    mkdirSync(dirname(target), { recursive: true });
    const tmp = `${target}.yamac-tmp`;
    writeFileSync(tmp, f.content);
    renameSync(tmp, target);
  }
  for (const rel of plan.deleted) rmSync(join(projectDir, rel));
  // Remove folders emptied by deletions.
  for (const rel of plan.deleted) {
    let dir = dirname(join(projectDir, rel));
    while (relative(projectDir, dir) !== "" && existsSync(dir) && readdirSync(dir).length === 0) {
      rmSync(dir, { recursive: true });
      dir = dirname(dir);
    }
  }
}
