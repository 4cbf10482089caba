/**
 * The bundles `yamac dev` hot-swaps into its host process (host.ts): one ESM file per build,
 * .yama/dev/app-<n>.mjs, holding the app's own modules (src/app.ts, src/db/client.ts, routes,
 * validation, plugins, user handlers, src/openapi.json) and exporting `app`, `database` and
 * `serve`. Every package and every module under src/lib stays an import: packages are resolved
 * from the project as the app resolves them, and src/lib by absolute file: URL, so both are the
 * copies the host loaded once (the runtime library, the database client it keeps open, Hono,
 * Drizzle, PGlite). A new file name per build gives Node's module cache a new URL, so the modules
 * are evaluated again. esbuild's incremental context rebuilds only what changed.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { context, type BuildContext, type Plugin } from "esbuild";

/** Marks modules under `libDir` external, by absolute file: URL. */
function sharedLibrary(libDir: string): Plugin {
  return {
    name: "yamac-dev-shared-lib",
    setup(build) {
      build.onResolve({ filter: /^\./ }, async (args) => {
        if (args.pluginData === "inner") return undefined;
        const resolved = await build.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, importer: args.importer, pluginData: "inner" });
        if (resolved.errors.length) return { errors: resolved.errors };
        // As a file: URL, so the bundle imports the very module the host loaded (same URL, any path).
        if (resolved.path.startsWith(libDir + sep)) return { path: pathToFileURL(resolved.path).href, external: true };
        return resolved;
      });
    },
  };
}

/** esbuild options of both dev bundles: ESM for Node, packages left as imports, output kept in memory. */
const IN_MEMORY_NODE_BUNDLE = {
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  write: false,
  metafile: false,
  logLevel: "silent",
} as const;

export class AppBundler {
  private readonly dir: string;
  private readonly out: string;
  private ctx: BuildContext<{ write: false; metafile: false }> | undefined;
  private entry = "";
  private count = 0;

  constructor(dir: string) {
    this.dir = resolve(dir);
    this.out = join(this.dir, ".yama", "dev");
    rmSync(this.out, { recursive: true, force: true });
  }

  /** The module the bundle starts from; src/env.ts (typed config, validated on load) when the project has one. */
  private entrySource(): string {
    const src = join(this.dir, "src");
    const lines = [];
    if (existsSync(join(src, "env.ts"))) lines.push(`import ${JSON.stringify(join(src, "env.ts"))};`);
    lines.push(`export { app } from ${JSON.stringify(join(src, "app.ts"))};`, `export { database } from ${JSON.stringify(join(src, "db", "client.ts"))};`, `export { serve } from "@hono/node-server";`);
    return lines.join("\n");
  }

  /** Bundles the current src/ into a new file; returns its path. Throws on a build error. */
  async build(): Promise<string> {
    const entry = this.entrySource();
    if (!this.ctx || entry !== this.entry) {
      await this.ctx?.dispose();
      this.entry = entry;
      this.ctx = await context({
        ...IN_MEMORY_NODE_BUNDLE,
        stdin: { contents: entry, resolveDir: this.dir, sourcefile: "yamac-dev-entry.mjs", loader: "js" },
        sourcemap: "inline",
        absWorkingDir: this.dir,
        plugins: [sharedLibrary(join(this.dir, "src", "lib"))],
      });
    }
    return this.write("app", await this.ctx.rebuild());
  }

  /** Writes a build's output to a new file, .yama/dev/<prefix>-<n>.mjs, and returns its path. */
  private write(prefix: string, result: { outputFiles: { contents: Uint8Array }[] }): string {
    const file = join(this.out, `${prefix}-${++this.count}.mjs`);
    mkdirSync(this.out, { recursive: true });
    writeFileSync(file, result.outputFiles[0]!.contents);
    return file;
  }

  /** Removes every bundle but `keep` (Node has them in memory once imported). */
  prune(keep?: string): void {
    if (!existsSync(this.out)) return;
    for (const name of readdirSync(this.out)) if (join(this.out, name) !== keep) rmSync(join(this.out, name), { force: true });
  }

  private schemaCtx: BuildContext<{ write: false; metafile: false }> | undefined;

  /**
   * Imports the current src/db/schema.ts (and its tables) afresh, for the migration generator:
   * bundled with packages left as imports (Drizzle is loaded once), a new file per call. A few
   * times quicker than a fresh TypeScript import, which loads Drizzle again each time.
   */
  async importSchema(path: string): Promise<Record<string, unknown>> {
    this.schemaCtx ??= await context({
      ...IN_MEMORY_NODE_BUNDLE,
      entryPoints: [path],
      absWorkingDir: this.dir,
    });
    const file = this.write("schema", await this.schemaCtx.rebuild());
    try {
      return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } finally {
      rmSync(file, { force: true });
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.ctx?.dispose(), this.schemaCtx?.dispose()]);
    this.ctx = undefined;
    this.schemaCtx = undefined;
    rmSync(this.out, { recursive: true, force: true });
  }
}
