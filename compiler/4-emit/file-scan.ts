/**
 * Scans of emitted files' text (which runtime-lib modules a file imports, which environment
 * variables it reads), remembered per file object: files that `yamac dev` reuses from its emit
 * cache (cache.ts) are the same objects, and are not scanned again.
 */
import type { OutputFile } from "./index.js";

export function fileScan<T>(scan: (text: string) => T): (file: OutputFile) => T {
  const seen = new WeakMap<OutputFile, T>();
  return (file) => {
    let result = seen.get(file);
    if (result === undefined) {
      result = scan(file.content);
      seen.set(file, result);
    }
    return result;
  };
}
