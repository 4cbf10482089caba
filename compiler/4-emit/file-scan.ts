/**
 * Scans of emitted files' text (which runtime-lib modules a file imports, which environment
 * variables it reads), remembered per file object: files that `yamac dev` reuses from its emit
 * cache (cache.ts) are the same objects, and are not scanned again. A file made of parts
 * (OutputFile.parts) is scanned part by part, and a part that was in the file at its previous scan
 * is not scanned again: what the scans look for never spans two parts (an import line, a
 * `process.env.NAME`), and parts are whole declarations.
 */
import type { OutputFile } from "./index.js";

export function fileScan(scan: (text: string) => readonly string[]): (file: OutputFile) => readonly string[] {
  const seen = new WeakMap<OutputFile, readonly string[]>();
  /** By path, what each part of a file made of parts gave at its last scan. */
  const byPart = new Map<string, Map<string, readonly string[]>>();
  const scanParts = (file: OutputFile, parts: readonly string[]): readonly string[] => {
    const before = byPart.get(file.path);
    const now = new Map<string, readonly string[]>();
    const found = new Set<string>();
    for (const part of parts) {
      let names = now.get(part) ?? before?.get(part);
      if (names === undefined) names = scan(part);
      now.set(part, names);
      for (const name of names) found.add(name);
    }
    byPart.set(file.path, now);
    return [...found];
  };
  return (file) => {
    let result = seen.get(file);
    if (result === undefined) {
      result = file.parts ? scanParts(file, file.parts) : scan(file.content);
      seen.set(file, result);
    }
    return result;
  };
}
