/**
 * `yamac build [dir] [--out dist] [--minify] [--sourcemap]`: compiles the project, then bundles
 * each target's entry with esbuild into dist/<target>/ (no TypeScript at run time, so no tsx),
 * copies the migrations to dist/drizzle, and writes dist/manifest.json (targets, routes,
 * migrations, versions, bundle sizes) and a production dist/package.json.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import type { ProjectIR } from "./ir.js";

/** Packages left out of bundles: PGlite ships WebAssembly files it loads from its own folder. */
const EXTERNAL = ["@electric-sql/pglite"];

export interface BuildOptions {
  out: string;
  minify: boolean;
  sourcemap: boolean;
}

export interface BundleInfo {
  target: string;
  file: string;
  bytes: number;
  gzipBytes: number;
}

const ENTRIES: Readonly<Record<string, { entry: string; file: string }>> = {
  node: { entry: "src/server.ts", file: "server.mjs" },
  lambda: { entry: "src/lambda.ts", file: "index.mjs" },
  vercel: { entry: "api/index.ts", file: "index.mjs" },
  netlify: { entry: "netlify/functions/api.ts", file: "api.mjs" },
};

export async function buildProject(dir: string, ir: ProjectIR, options: BuildOptions): Promise<BundleInfo[]> {
  const projectDir = resolve(dir);
  const out = resolve(projectDir, options.out);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const bundles: BundleInfo[] = [];
  for (const target of ["node", ...ir.targets]) {
    const { entry, file } = ENTRIES[target]!;
    const outfile = join(out, target, file);
    await build({
      entryPoints: [join(projectDir, entry)],
      outfile,
      bundle: true,
      platform: "node",
      target: "node20",
      format: "esm",
      minify: options.minify,
      sourcemap: options.sourcemap,
      external: EXTERNAL,
      // Bundled CommonJS dependencies may call require(): give ESM output one.
      banner: { js: "import { createRequire as __yamacRequire } from 'node:module'; const require = __yamacRequire(import.meta.url);" },
      logLevel: "silent",
      absWorkingDir: projectDir,
    });
    const bytes = statSync(outfile).size;
    bundles.push({ target, file: `${target}/${file}`, bytes, gzipBytes: gzipSync(readFileSync(outfile)).length });
  }
  const migrations = join(projectDir, ir.database.migrations.folder);
  const migrationFiles = existsSync(migrations) ? readdirSync(migrations).filter((f) => f.endsWith(".sql") && !f.endsWith(".down.sql")).sort() : [];
  if (existsSync(migrations)) cpSync(migrations, join(out, ir.database.migrations.folder), { recursive: true });
  const own = JSON.parse(readFileSync(join(projectDir, "package.json"), "utf8")) as { name?: string; version?: string; dependencies?: Record<string, string> };
  const dependencies = Object.fromEntries(EXTERNAL.filter((p) => own.dependencies?.[p]).map((p) => [p, own.dependencies![p]!]));
  writeFileSync(join(out, "package.json"), JSON.stringify({ name: own.name, version: own.version, private: true, type: "module", scripts: { start: "node node/server.mjs" }, dependencies }, null, 2) + "\n");
  const manifest = {
    name: ir.name,
    version: ir.version,
    targets: bundles.map((b) => b.target),
    bundles,
    routes: ir.routes.map((r) => (r.kind === "endpoint" ? `${r.endpoint.method} ${r.endpoint.path}` : `${r.method} ${r.path}`)),
    migrations: migrationFiles,
    node: ">=20",
  };
  writeFileSync(join(out, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  return bundles;
}
