/**
 * Copies the runtime-lib modules the emitted code imports into src/lib/, so an emitted
 * project runs without yamac installed. Dependencies between runtime-lib modules are
 * followed, and only what is used is copied.
 */
import { readFileSync } from "node:fs";
import { packageFile } from "../paths.js";
import { fileScan } from "./file-scan.js";
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

const LIB_MODULE = /lib\/([a-z0-9-]+)\.js"/y;
/** What precedes `lib/` in an import of it, from the opening quote back: `from "../../`, `import "./`. */
const LIB_IMPORT_START = /(?:from|import) "(?:\.\.\/)*(?:\.\/)?$/;
const SIBLING_IMPORT = /(?:from |import\()"\.\/([a-z0-9-]+)\.js"/g;

/**
 * Adds the runtime-lib modules `text` imports (`from "../lib/http.js"`, `import "./lib/x.js"`).
 * It looks for `lib/` and checks what surrounds each one: over a thousand emitted files that is
 * several times quicker than trying the whole import pattern at every position.
 */
function addLibImports(text: string, into: Set<string>): void {
  for (let at = text.indexOf("lib/"); at !== -1; at = text.indexOf("lib/", at + 4)) {
    LIB_MODULE.lastIndex = at;
    const name = LIB_MODULE.exec(text)?.[1];
    if (name === undefined || into.has(name)) continue;
    const quote = text.lastIndexOf('"', at);
    if (quote !== -1 && LIB_IMPORT_START.test(text.slice(Math.max(0, quote - 7), at))) into.add(name);
  }
}

const libImportsOf = fileScan((text) => {
  const found = new Set<string>();
  addLibImports(text, found);
  return [...found];
});

export function emitRuntimeLib(files: readonly OutputFile[]): OutputFile[] {
  const wanted = new Set<string>();
  for (const f of files) if (f.path.endsWith(".ts")) for (const name of libImportsOf(f)) wanted.add(name);
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
