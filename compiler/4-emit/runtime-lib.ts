/**
 * Copies the runtime-lib modules the emitted code imports into src/lib/, so an emitted
 * project runs without yamac installed. Dependencies between runtime-lib modules are
 * followed, and only what is used is copied.
 */
import { readFileSync } from "node:fs";
import { packageFile } from "../paths.js";
import type { OutputFile } from "./index.js";
import { header } from "./writer.js";

const cache = new Map<string, string>();

function source(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(packageFile(`runtime-lib/${name}.ts`), "utf8");
    cache.set(name, text);
  }
  return text;
}

const LIB_IMPORT = /(?:from|import) "(?:\.\.\/)*(?:\.\/)?lib\/([a-z-]+)\.js"/g;
const SIBLING_IMPORT = /(?:from |import\()"\.\/([a-z-]+)\.js"/g;

export function emitRuntimeLib(files: readonly OutputFile[]): OutputFile[] {
  const wanted = new Set<string>();
  for (const f of files) for (const m of f.content.matchAll(LIB_IMPORT)) wanted.add(m[1]!);
  const queue = [...wanted];
  while (queue.length) {
    const name = queue.pop()!;
    for (const m of source(name).matchAll(SIBLING_IMPORT)) {
      if (!wanted.has(m[1]!)) {
        wanted.add(m[1]!);
        queue.push(m[1]!);
      }
    }
  }
  return [...wanted].sort().map((name) => ({
    path: `src/lib/${name}.ts`,
    content: header(`runtime library module ${name}`, `runtime-lib/${name}.ts`) + source(name),
  }));
}
