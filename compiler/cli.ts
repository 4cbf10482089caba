/**
 * `yamac <command>`: compile, check, migrate, init. Output is short; colour only on a terminal.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { compileProject, type CompileResult } from "./index.js";
import { formatDiagnostics } from "./diagnostics.js";

const VERSION = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

const HELP = `yamac ${VERSION}: compiles yama.yaml into a Hono + Drizzle TypeScript app

Usage: yamac <command> [project-dir] [options]

Commands:
  compile [dir]              write src/ from dir/yama.yaml (default: .)
  check [dir]                report diagnostics only; writes nothing
          [--db]             also prepare each sql handler's statement against DATABASE_URL
  migrate generate [dir]     write a new SQL migration into drizzle/ when the schema changed
          [--allow-destructive]  also allow dropping tables or columns
          [--name <name>]    name the migration file
  migrate [up] [dir]         apply pending migrations (PGlite, or PostgreSQL when DATABASE_URL is set)
  build [dir]                bundle each target with esbuild into dir/dist (no tsx at run time)
          [--out dist] [--minify] [--sourcemap]
  init [dir]                 create a new project with a small yama.yaml (and its JSON Schema for editors)
  schema [--out file]        print (or write) the JSON Schema of yama.yaml
  explain [dir] [route]      per route: the SQL it runs, its parameters, auth and indexes
          [--db <url|pglite>]  also plan each statement and warn about scans no index avoids
          [--json]
  diff [dir]                 API, schema and auth changes since a git ref (default HEAD)
          [--against <ref>]  the ref to compare with
          [--fail-on breaking|access|any]  exit 1 on breaking changes (access: also access that widens)
          [--json]
  dev [dir]                  compile, migrate and serve; recompile and restart on every save
          [--port <n>]       the server's port (default PORT or 3000); PGlite unless DATABASE_URL
          [--allow-destructive]  let a save drop tables or columns

Options:
  -h, --help                 show this help
  -v, --version              show the version
  --no-color                 plain output

Exit codes: 0 success, 1 diagnostics or a failed command, 2 bad usage.`;

const INIT_CONFIG = `# yaml-language-server: $schema=./yama.schema.json
# yama.yaml: the whole backend. Run \`yamac compile\`, then \`npm install && npm start\`.
name: my-api
version: 0.1.0

entities:
  Todo:
    fields:
      id: uuid!
      title: string(1..200)!
      done: boolean = false
      createdAt: timestamp
      updatedAt: timestamp
    crud: true
`;

function useColor(flag: boolean | undefined): boolean {
  if (flag === false || process.env.NO_COLOR) return false;
  return process.stderr.isTTY === true;
}

function report(result: CompileResult, color: boolean): void {
  if (result.diagnostics.length) console.error(formatDiagnostics(result.diagnostics, { color, sources: result.sources }));
}

/** Commands that parse their own options (they share names such as --db with other meanings). */
const OWN_OPTIONS: Readonly<Record<string, (args: string[], color: boolean) => Promise<number>>> = {
  explain: async (args, color) => (await import("./explain/command.js")).explainCommand(args, color),
  diff: async (args, color) => (await import("./diff/command.js")).diffCommand(args, color),
  dev: async (args, color) => (await import("./dev/command.js")).devCommand(args, color),
};

export async function main(argv: string[]): Promise<number> {
  const first = argv.findIndex((a) => !a.startsWith("-"));
  const own = first >= 0 ? OWN_OPTIONS[argv[first]!] : undefined;
  if (own && !argv.includes("-h") && !argv.includes("--help")) {
    const args = argv.filter((_, i) => i !== first);
    const color = useColor(args.includes("--no-color") ? false : args.includes("--color") ? true : undefined);
    try {
      return await own(args, color);
    } catch (err) {
      // Bad options (node:util parseArgs) are usage errors.
      if ((err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
        console.error(`yamac: ${(err as Error).message}\nRun \`yamac --help\` for usage.`);
        return 2;
      }
      throw err;
    }
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
        color: { type: "boolean" },
        "no-color": { type: "boolean" },
        "allow-destructive": { type: "boolean" },
        name: { type: "string" },
        out: { type: "string" },
        minify: { type: "boolean" },
        sourcemap: { type: "boolean" },
        db: { type: "boolean" },
      },
    });
  } catch (err) {
    console.error(`yamac: ${(err as Error).message}\nRun \`yamac --help\` for usage.`);
    return 2;
  }
  const { values, positionals } = parsed;
  const color = useColor(values["no-color"] ? false : values.color);
  if (values.version) {
    console.log(VERSION);
    return 0;
  }
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === "help") {
    console.log(HELP);
    return command === undefined && !values.help ? 2 : 0;
  }
  switch (command) {
    case "compile":
    case "check": {
      const dir = rest[0] ?? ".";
      const started = performance.now();
      const result = compileProject(dir, { check: command === "check" });
      report(result, color);
      if (!result.ok) return 1;
      if (command === "check") {
        if (values.db) {
          const url = process.env.DATABASE_URL;
          if (!url) {
            console.error("yamac: check --db prepares sql handlers against DATABASE_URL, which is not set");
            return 2;
          }
          const { checkSqlHandlers } = await import("./check-db.js");
          let problems;
          try {
            problems = await checkSqlHandlers(result.ir!, url);
          } catch (err) {
            console.error(`yamac: cannot check sql handlers against DATABASE_URL: ${(err as Error).message}`);
            return 1;
          }
          if (problems.length) {
            console.error(formatDiagnostics(problems, { color, sources: result.sources }));
            return 1;
          }
        }
        const ir = result.ir!;
        console.log(`${dir}: ok (${ir.entities.length} entities, ${ir.routes.length} routes${values.db ? ", sql checked against the database" : ""})`);
        if (ir.plugins.some((p) => p.name === "@betagors/yama-auth")) {
          const { routeRequirements } = await import("./plugins/auth.js");
          const open = routeRequirements(ir).filter((r) => !r.requirement.required);
          console.log(open.length ? `public routes (no authentication):\n${open.map((r) => `  ${r.method} ${r.path}`).join("\n")}` : "every route requires authentication");
        }
        return 0;
      }
      const w = result.write!;
      const ms = Math.round(performance.now() - started);
      const parts = [`${w.written.length} written`, `${w.unchanged.length} unchanged`];
      if (w.deleted.length) parts.push(`${w.deleted.length} deleted`);
      console.log(`compiled ${relative(process.cwd(), resolve(dir)) || "."}: ${parts.join(", ")} in ${ms} ms`);
      return 0;
    }
    case "migrate": {
      // Loaded on demand: drizzle-kit takes most of a second to import, which every other command would pay.
      const { migrateCommand } = await import("./migrate/command.js");
      return migrateCommand(rest, { allowDestructive: values["allow-destructive"] === true, name: values.name, color });
    }
    case "init": {
      const dir = rest[0] ?? ".";
      const target = join(dir, "yama.yaml");
      if (existsSync(target)) {
        console.error(`yamac: ${target} already exists; nothing written`);
        return 1;
      }
      mkdirSync(dir, { recursive: true });
      writeFileSync(target, INIT_CONFIG);
      const { configJsonSchema, SCHEMA_FILE } = await import("./json-schema.js");
      writeFileSync(join(dir, SCHEMA_FILE), JSON.stringify(configJsonSchema(), null, 2) + "\n");
      console.log(`created ${target}\nnext: yamac compile ${dir} && cd ${dir} && npm install && npm start`);
      return 0;
    }
    case "build": {
      const dir = rest[0] ?? ".";
      const result = compileProject(dir);
      report(result, color);
      if (!result.ok) return 1;
      const { buildProject } = await import("./build.js");
      const out = values.out ?? "dist";
      const bundles = await buildProject(dir, result.ir!, { out, minify: values.minify === true, sourcemap: values.sourcemap === true });
      for (const b of bundles) console.log(`${join(out, b.file)}  ${(b.bytes / 1024).toFixed(0)} KiB (${(b.gzipBytes / 1024).toFixed(0)} KiB gzip)`);
      return 0;
    }
    case "schema": {
      const { configJsonSchema } = await import("./json-schema.js");
      const text = JSON.stringify(configJsonSchema(), null, 2) + "\n";
      if (values.out) {
        writeFileSync(values.out, text);
        console.log(`wrote ${values.out}`);
      } else process.stdout.write(text);
      return 0;
    }
    default:
      console.error(`yamac: unknown command "${command}"\nRun \`yamac --help\` for usage.`);
      return 2;
  }
}
