/**
 * Project files written only when missing (package.json, tsconfig.json, drizzle.config.ts,
 * .gitignore): after the first compile they belong to the user.
 */
import { BUILD_SCRIPT } from "../../targets/docker/index.js";
import type { ProjectIR } from "../ir.js";
import { ownPackage } from "../paths.js";
import type { OutputFile } from "./index.js";
import { compareText } from "../order.js";

/** The version yamac pins for a package the emitted project uses (from yamac's own package.json). */
export function versionOf(name: string): string {
  const v = ownPackage.dependencies[name] ?? ownPackage.devDependencies[name];
  if (!v) throw new Error(`yamac's package.json does not pin ${name}`);
  return v;
}

const pick = (names: string[]) => Object.fromEntries(names.sort().map((n) => [n, versionOf(n)]));

export function emitProjectFiles(ir: ProjectIR, pluginDependencies: Readonly<Record<string, string>> = {}, packageFields: Readonly<Record<string, unknown>> = {}, pluginScripts: Readonly<Record<string, string>> = {}, pluginDevDependencies: Readonly<Record<string, string>> = {}): OutputFile[] {
  // The Dockerfile's build stage runs `npm run build` (the server and migration runner, bundled).
  const docker = ir.targets.includes("docker");
  const pkg = {
    name: ir.name.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "") || "yama-app",
    version: ir.version,
    private: true,
    type: "module",
    // `node --import` (below) needs 20.6, JSON import attributes (the docs routes) 20.10.
    engines: { node: ">=20.10" },
    scripts: {
      // Node itself with tsx's loader: the tsx command would start a second Node process and relay signals to it.
      start: "node --import tsx src/server.ts",
      dev: "tsx watch src/server.ts",
      migrate: "node --import tsx src/migrate.ts",
      "db:generate": "drizzle-kit generate",
      typecheck: "tsc --noEmit",
      ...(docker ? { build: BUILD_SCRIPT } : {}),
      ...pluginScripts,
    },
    dependencies: Object.fromEntries(Object.entries({ ...pick(["@electric-sql/pglite", "@hono/node-server", "drizzle-orm", "hono", "postgres", "tsx", "zod"]), ...pluginDependencies }).sort(([a], [b]) => compareText(a, b))),
    devDependencies: Object.fromEntries(Object.entries({ ...pick(["@types/node", "drizzle-kit", "typescript", ...(docker ? ["esbuild"] : [])]), ...pluginDevDependencies }).sort(([a], [b]) => compareText(a, b))),
    ...Object.fromEntries(Object.entries(packageFields).sort(([a], [b]) => compareText(a, b))),
  };
  const tsconfig = {
    compilerOptions: {
      target: "ES2022",
      module: "ESNext",
      moduleResolution: "Bundler",
      lib: ["ES2022"],
      types: ["node"],
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      isolatedModules: true,
      forceConsistentCasingInFileNames: true,
    },
    include: ["src", "handlers", "drizzle.config.ts", ...(ir.targets.includes("vercel") ? ["api"] : []), ...(ir.targets.includes("netlify") ? ["netlify"] : [])],
  };
  const drizzleConfig = `import { defineConfig } from "drizzle-kit";

// Migrations: \`npm run db:generate\` (or \`yamac migrate generate\`) writes SQL into ${ir.database.migrations.folder}/.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema.ts",
  out: "./${ir.database.migrations.folder}",
  dbCredentials: { url: process.env.DATABASE_URL ?? "" },
});
`;
  return [
    { path: "package.json", content: JSON.stringify(pkg, null, 2) + "\n", ifMissing: true },
    { path: "tsconfig.json", content: JSON.stringify(tsconfig, null, 2) + "\n", ifMissing: true },
    { path: "drizzle.config.ts", content: drizzleConfig, ifMissing: true },
    { path: ".gitignore", content: "node_modules/\n.yama/\n.env\n.env.local\n.env.*.local\n", ifMissing: true },
  ];
}
