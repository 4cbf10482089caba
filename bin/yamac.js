#!/usr/bin/env node
// The yamac CLI. The compiler is TypeScript; it runs from an esbuild bundle of its sources kept in
// node_modules/.cache/yamac/ (ESM, one chunk per command), rebuilt when a source it was built from
// has changed. Loading the bundle takes ~60 ms where loading the compiler's modules one by one
// through tsx takes ~350 ms. The two packages every command loads, yaml and zod, are bundled in
// too (as ~120 separate modules they took 70–100 ms to resolve and link); the others stay imports. Where the bundle cannot be built or
// written (a read-only install), or with YAMAC_FROM_SOURCE=1, tsx loads the sources directly.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const cache = join(root, "node_modules", ".cache", "yamac");
const manifest = join(cache, "cli.json");
/** Packages bundled into the CLI; their package.json stands for them among the bundle's inputs. */
const BUNDLED = ["yaml", "zod"];
const packageOf = (specifier) => specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/");

/** Bundles older than this that are no longer current are removed (a running CLI may still load chunks of its own). */
const STALE_MS = 10 * 60_000;

/** The current bundle's entry, or undefined when there is none or a source changed since it was built. */
function currentBundle() {
  try {
    const { dir, inputs } = JSON.parse(readFileSync(manifest, "utf8"));
    // This file is the bundle's recipe: a bundle recorded without it was built by an older one.
    if (!("bin/yamac.js" in inputs)) return undefined;
    for (const [file, mtime] of Object.entries(inputs)) if (statSync(join(root, file)).mtimeMs !== mtime) return undefined;
    return join(cache, dir, "cli.js");
  } catch {
    return undefined;
  }
}

async function rebuild() {
  const { build } = await import("esbuild");
  const started = Date.now();
  const dir = `cli-${started.toString(36)}-${process.pid}`;
  const result = await build({
    absWorkingDir: root,
    entryPoints: ["compiler/cli.ts"],
    outdir: join(cache, dir),
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    plugins: [
      {
        name: "external-packages",
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) => (BUNDLED.includes(packageOf(args.path)) ? undefined : { path: args.path, external: true }));
        },
      },
    ],
    // yaml is CommonJS: its require() calls of Node's modules need a require in the ESM chunks.
    banner: { js: 'import { createRequire as yamacCreateRequire } from "node:module"; const require = yamacCreateRequire(import.meta.url);' },
    sourcemap: "linked",
    // Stack traces need the mappings only; Node reads each chunk's map when it loads the chunk.
    sourcesContent: false,
    metafile: true,
    logLevel: "silent",
  });
  const inputs = {};
  const sources = Object.keys(result.metafile.inputs).filter((file) => !file.startsWith("node_modules/"));
  for (const file of ["bin/yamac.js", ...sources, ...BUNDLED.map((name) => `node_modules/${name}/package.json`)]) inputs[file] = statSync(join(root, file)).mtimeMs;
  // A source saved while the build ran: use this build once, but do not record it as current.
  if (Object.values(inputs).every((mtime) => mtime < started)) {
    const tmp = `${manifest}.${process.pid}`;
    writeFileSync(tmp, JSON.stringify({ dir, inputs }));
    renameSync(tmp, manifest);
  }
  for (const old of readdirSync(cache)) {
    const path = join(cache, old);
    if (old.startsWith("cli-") && old !== dir && started - statSync(path).mtimeMs > STALE_MS) rmSync(path, { recursive: true, force: true });
  }
  return join(cache, dir, "cli.js");
}

async function loadCli() {
  if (process.env.YAMAC_FROM_SOURCE !== "1") {
    process.setSourceMapsEnabled(true);
    const current = currentBundle();
    // The recorded bundle, else a new one (also when the recorded one is gone or fails to load).
    for (const entry of current ? [() => current, rebuild] : [rebuild]) {
      try {
        mkdirSync(cache, { recursive: true });
        return await import(pathToFileURL(await entry()).href);
      } catch {
        // Try the next way; the sources last.
      }
    }
  }
  const { register } = await import("tsx/esm/api");
  register();
  return import("../compiler/cli.ts");
}

const { main } = await loadCli();
process.exitCode = await main(process.argv.slice(2));
