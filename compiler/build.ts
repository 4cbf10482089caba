/**
 * `yamac build [dir] [--out dist] [--minify] [--sourcemap]`: compiles the project, then bundles
 * each target's entry with esbuild into dist/<target>/ (no TypeScript at run time, so no tsx),
 * copies the migrations to dist/drizzle, and writes dist/manifest.json (targets, routes,
 * migrations, versions, bundle sizes) and a production dist/package.json (the packages left out of
 * the bundles: PGlite, and swagger-ui-dist when the app serves its docs page).
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { builtinModules } from "node:module";
import { join, resolve } from "node:path";
import { build, type BuildOptions as BuildOptions_, type Metafile, type Plugin } from "esbuild";
import type { Diagnostic } from "./diagnostics.js";
import type { ProjectIR } from "./ir.js";
import type { HealthOptions } from "./plugins/health.js";

/** Packages left out of Node bundles: PGlite ships WebAssembly files it loads from its own folder. */
const EXTERNAL = ["@electric-sql/pglite"];

/** Packages the app reads files from at run time (the docs page's script and style): installed beside the bundles, never bundled. */
const READ_AT_RUNTIME = ["swagger-ui-dist"];

export interface BuildOptions {
  out: string;
  minify: boolean;
  sourcemap: boolean;
  /** Build only these targets (default: node and every configured target). */
  targets?: readonly string[];
}

export interface BundleInfo {
  target: string;
  file: string;
  bytes: number;
  gzipBytes: number;
}

/** A bundle that cannot run on its target: the compile succeeded, the artifact would not. */
export class BuildError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => d.message).join("\n"));
  }
}

/** Each target's entries (relative to the project) and bundle file names under dist/<target>/. */
const ENTRIES: Readonly<Record<string, readonly { entry: string; file: string }[]>> = {
  node: [{ entry: "src/server.ts", file: "server.mjs" }, { entry: "src/migrate.ts", file: "migrate.mjs" }],
  docker: [],
  lambda: [{ entry: "src/lambda.ts", file: "index.mjs" }],
  vercel: [{ entry: "api/index.ts", file: "index.mjs" }],
  netlify: [{ entry: "netlify/functions/api.ts", file: "api.mjs" }],
  workers: [{ entry: "src/worker.ts", file: "worker.mjs" }],
};

/** Compressed size limits of a Worker (Cloudflare's documented limits, gzip). */
export const WORKERS_SIZE_LIMIT: Readonly<Record<"free" | "paid", number>> = { free: 3 * 1024 * 1024, paid: 10 * 1024 * 1024 };

/**
 * Node modules that workerd provides with the nodejs_compat flag. Others either do not exist
 * there or are stubs that throw when called (fs has no disk, child_process no processes).
 */
export const WORKERS_NODE_MODULES = new Set([
  "assert", "assert/strict", "async_hooks", "buffer", "crypto", "diagnostics_channel", "events", "path", "path/posix",
  "process", "querystring", "stream", "stream/consumers", "stream/promises", "stream/web", "string_decoder", "timers",
  "timers/promises", "url", "util", "util/types", "zlib",
]);

const NODE_BUILTINS = new Set(builtinModules);

/** Bare Node built-in names (`crypto`) resolved as `node:crypto`, left to the runtime. */
const nodeBuiltins: Plugin = {
  name: "node-builtins",
  setup(b) {
    b.onResolve({ filter: /^[a-z_/]+$/ }, (args) => (NODE_BUILTINS.has(args.path) ? { path: `node:${args.path}`, external: true } : undefined));
  },
};

/** On Workers, src/db/client.ts (PGlite or a process-wide pool) is replaced by the per-request client. */
function workersClient(projectDir: string): Plugin {
  const client = join(projectDir, "src/db/client.js");
  return {
    name: "workers-db-client",
    setup(b) {
      b.onResolve({ filter: /\/db\/client\.js$/ }, (args) => (resolve(args.resolveDir, args.path) === client ? { path: join(projectDir, "src/db/client.workers.ts") } : undefined));
    },
  };
}

function esbuildOptions(target: string, projectDir: string, options: BuildOptions): BuildOptions_ {
  const common = { bundle: true, format: "esm", minify: options.minify, sourcemap: options.sourcemap, logLevel: "silent", absWorkingDir: projectDir, metafile: true } as const;
  if (target === "workers") {
    return { ...common, platform: "browser", target: "es2022", conditions: ["workerd", "worker", "browser"], external: ["cloudflare:*", "node:*"], plugins: [workersClient(projectDir), nodeBuiltins] };
  }
  return {
    ...common,
    platform: "node",
    target: "node20",
    external: EXTERNAL,
    // Bundled CommonJS dependencies may call require(): give ESM output one.
    banner: { js: "import { createRequire as __yamacRequire } from 'node:module'; const require = __yamacRequire(import.meta.url);" },
  };
}

/** Node modules a Workers bundle imports that workerd does not provide, with the first module importing each. */
function unsupportedNodeImports(metafile: Metafile): { module: string; importer: string }[] {
  const found = new Map<string, string>();
  for (const [input, info] of Object.entries(metafile.inputs)) {
    for (const imported of info.imports) {
      if (!imported.external || !imported.path.startsWith("node:")) continue;
      const name = imported.path.slice("node:".length);
      if (!WORKERS_NODE_MODULES.has(name) && !found.has(imported.path)) found.set(imported.path, input);
    }
  }
  return [...found].sort().map(([module, importer]) => ({ module, importer }));
}

export async function buildProject(dir: string, ir: ProjectIR, options: BuildOptions): Promise<BundleInfo[]> {
  const projectDir = resolve(dir);
  const out = resolve(projectDir, options.out);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const bundles: BundleInfo[] = [];
  const problems: Diagnostic[] = [];
  // A Docker image runs the Node entry: building for docker builds what the image holds.
  const targets = [...new Set((options.targets ?? ["node", ...ir.targets]).flatMap((t) => (t === "docker" ? ["node", t] : [t])))];
  for (const target of targets) {
    for (const { entry, file } of ENTRIES[target] ?? []) {
      const outfile = join(out, target, file);
      const result = await build({ ...esbuildOptions(target, projectDir, options), entryPoints: [join(projectDir, entry)], outfile });
      const bytes = statSync(outfile).size;
      const info = { target, file: `${target}/${file}`, bytes, gzipBytes: gzipSync(readFileSync(outfile)).length };
      bundles.push(info);
      if (target === "workers") problems.push(...checkWorkersBundle(ir, info, result.metafile!));
    }
  }
  if (problems.length) throw new BuildError(problems);
  const migrations = join(projectDir, ir.database.migrations.folder);
  const migrationFiles = existsSync(migrations) ? readdirSync(migrations).filter((f) => f.endsWith(".sql") && !f.endsWith(".down.sql")).sort() : [];
  if (existsSync(migrations)) cpSync(migrations, join(out, ir.database.migrations.folder), { recursive: true });
  const own = JSON.parse(readFileSync(join(projectDir, "package.json"), "utf8")) as { name?: string; version?: string; dependencies?: Record<string, string> };
  const dependencies = Object.fromEntries([...EXTERNAL, ...READ_AT_RUNTIME].filter((p) => own.dependencies?.[p]).map((p) => [p, own.dependencies![p]!]));
  writeFileSync(join(out, "package.json"), JSON.stringify({ name: own.name, version: own.version, private: true, type: "module", scripts: { start: "node node/server.mjs", migrate: "node node/migrate.mjs" }, dependencies }, null, 2) + "\n");
  const manifest = {
    name: ir.name,
    version: ir.version,
    targets: [...new Set(bundles.map((b) => b.target))],
    bundles,
    routes: ir.routes.map((r) => (r.kind === "endpoint" ? `${r.endpoint.method} ${r.endpoint.path}` : `${r.method} ${r.path}`)),
    migrations: migrationFiles,
    health: healthRoutes(ir) ?? null,
    node: ">=20",
  };
  writeFileSync(join(out, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  return bundles;
}

/** The health plugin's routes, when the app has them (smoke tests and container health checks use them). */
export function healthRoutes(ir: ProjectIR): { path: string; liveness: string; readiness: string } | undefined {
  const use = ir.plugins.find((p) => p.name === "@betagors/yama-health");
  if (!use) return undefined;
  const { path, liveness, readiness } = use.options as HealthOptions;
  return { path, liveness, readiness };
}

function checkWorkersBundle(ir: ProjectIR, bundle: BundleInfo, metafile: Metafile): Diagnostic[] {
  const location = ir.deployment.locations.workers ?? { file: ir.configFile, line: 1, col: 1 };
  const problems: Diagnostic[] = [];
  for (const { module, importer } of unsupportedNodeImports(metafile)) {
    problems.push({ severity: "error", code: "workers-node-api", message: `the workers bundle imports ${module} (from ${importer}), which Cloudflare Workers do not provide`, hint: "keep Node-only modules out of handlers and features used on Workers", location });
  }
  const plan = ir.deployment.workers.plan;
  const limit = WORKERS_SIZE_LIMIT[plan];
  if (bundle.gzipBytes > limit) {
    const mib = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MiB`;
    problems.push({ severity: "error", code: "workers-bundle-size", message: `the workers bundle is ${mib(bundle.gzipBytes)} compressed, over the ${mib(limit)} limit of the Workers ${plan} plan`, hint: plan === "free" ? "make the bundle smaller, or set `deployment.workers.plan: paid` (10 MiB)" : "make the bundle smaller: move large data out of the code (KV, R2)", location });
  }
  return problems;
}
