/**
 * Golden snapshots: fixtures/<name>/yama.yaml compiles to exactly snapshots/<name>/.
 * The compiler's warnings are part of the snapshot (yamac.log), so they are reviewed too.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { compileText, folderHost } from "../index.js";
import { formatDiagnostics } from "../diagnostics.js";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
export const FIXTURES = join(ROOT, "fixtures");
export const SNAPSHOTS = join(ROOT, "snapshots");

export const fixtureNames = (): string[] =>
  readdirSync(FIXTURES, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(FIXTURES, e.name, "yama.yaml")))
    .map((e) => e.name)
    .sort();

/** The files a fixture compiles to, keyed by relative path. */
export function expectedFiles(name: string): Map<string, string> {
  const text = readFileSync(join(FIXTURES, name, "yama.yaml"), "utf8");
  const result = compileText(text, "yama.yaml", folderHost(join(FIXTURES, name)));
  const files = new Map<string, string>();
  const log = formatDiagnostics(result.diagnostics, { color: false, sources: result.sources });
  files.set("yamac.log", log === "" ? "no diagnostics\n" : log + "\n");
  for (const f of result.files ?? []) files.set(f.path, f.content);
  return files;
}

function walk(dir: string, base = dir, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) walk(full, base, out);
    else out.push(relative(base, full).split(sep).join("/"));
  }
  return out;
}

/** Every file under `dir` (recursively), keyed by its path relative to `dir` with "/" separators, in path order. */
export function filesUnder(dir: string): Map<string, string> {
  return new Map(walk(dir).sort().map((p) => [p, readFileSync(join(dir, p), "utf8")]));
}

export function snapshotFiles(name: string): Map<string, string> {
  return filesUnder(join(SNAPSHOTS, name));
}

export function writeSnapshot(name: string): void {
  const dir = join(SNAPSHOTS, name);
  rmSync(dir, { recursive: true, force: true });
  for (const [path, content] of expectedFiles(name)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

/** User-owned files of a fixture (handlers and the like): everything but yama.yaml. */
export function fixtureUserFiles(name: string): Map<string, string> {
  const dir = join(FIXTURES, name);
  return new Map(walk(dir).filter((p) => p !== "yama.yaml").sort().map((p) => [p, readFileSync(join(dir, p), "utf8")]));
}

/** A runnable project: the snapshot plus the fixture's own files, in a folder under .yama/ (so the repo's node_modules resolve). */
export function materialize(name: string, into: string): string {
  rmSync(into, { recursive: true, force: true });
  for (const [path, content] of [...snapshotFiles(name), ...fixtureUserFiles(name)]) {
    mkdirSync(dirname(join(into, path)), { recursive: true });
    writeFileSync(join(into, path), content);
  }
  writeFileSync(join(into, "yama.yaml"), readFileSync(join(FIXTURES, name, "yama.yaml")));
  return into;
}
