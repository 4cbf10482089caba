/**
 * `yamac <command>`: compile, check, migrate, init. Output is short; colour only on a terminal.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { compileProject, type CompileResult } from "./index.js";
import { formatDiagnostics } from "./diagnostics.js";
import { TARGET_NAMES } from "./2-analyze/deployment.js";
import type { TargetName } from "./ir.js";
import { ownPackage } from "./paths.js";

const VERSION = ownPackage.version;

const HELP = `yamac ${VERSION}: compiles yama.yaml into a Hono + Drizzle TypeScript app

Usage: yamac <command> [project-dir] [options]

Commands:
  compile [dir]              write src/ from dir/yama.yaml (default: .)
          [--target <t>]...      also compile these targets (node, docker, lambda, netlify, vercel, workers)
          [--pm2] [--systemd]    also write a PM2 ecosystem.config.cjs / a systemd unit for the Node server
  check [dir]                report diagnostics only; writes nothing
          [--db]             also prepare each sql handler's statement against DATABASE_URL
  migrate generate [dir]     write a new SQL migration (and its .down.sql) into drizzle/ when the schema changed
          [--allow-destructive]  also allow dropping tables or columns
          [--name <name>]    name the migration file
  migrate [up] [dir]         apply pending migrations (PGlite, or PostgreSQL when DATABASE_URL is set)
  migrate status [dir]       list applied and pending migrations
  migrate down [dir]         revert the last applied migration
          [--steps <n>]      revert the last n
  migrate verify [dir]       compare the database with the migrations; exit 1 on any difference
  build [dir]                bundle each target with esbuild into dir/dist (no tsx at run time)
          [--target <t>]...      only these targets
          [--out dist] [--minify] [--sourcemap]
  deploy --target <t> [dir]  build and deploy with the platform's CLI (sam, wrangler, vercel, netlify, docker, pm2)
          [--dry-run]            print the commands instead of running them
  smoke <url> [dir]          check a deployed app: health routes and a sample of GET routes
          [--sample 5]           how many GET routes to try
  ci generate [dir] --provider github|gitlab|circleci
                             write a CI pipeline (compile, check, type-check, migrate, test, build)
          [--force]              replace an existing pipeline file
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
  --env <name>               compile, check, build, migrate: merge yama.<name>.yaml over yama.yaml
                             (default: NODE_ENV) and, for migrate, read .env.<name>
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

/** package.json is the project's once written: the Dockerfile's `npm run build` needs a script there. */
async function warnWithoutBuildScript(dir: string): Promise<void> {
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { scripts?: Record<string, string> };
  if (pkg.scripts?.build) return;
  const { BUILD_SCRIPT } = await import("../targets/docker/index.js");
  console.error(`yamac: the Dockerfile runs \`npm run build\`, and package.json has no build script; add\n  "build": ${JSON.stringify(BUILD_SCRIPT)}\nand the esbuild devDependency (npm install --save-dev esbuild)`);
}

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
        target: { type: "string", multiple: true },
        pm2: { type: "boolean" },
        systemd: { type: "boolean" },
        "dry-run": { type: "boolean" },
        provider: { type: "string" },
        sample: { type: "string" },
        force: { type: "boolean" },
        env: { type: "string" },
        steps: { type: "string" },
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
  // The environment: --env, else NODE_ENV. Its overlay (yama.<env>.yaml) is merged when it exists.
  const env = values.env ?? (process.env.NODE_ENV || undefined);
  const envOptions = { env, explicitEnv: values.env !== undefined };
  if (values.help || command === undefined || command === "help") {
    console.log(HELP);
    return command === undefined && !values.help ? 2 : 0;
  }
  const targets = values.target ?? [];
  const unknownTarget = targets.find((t) => !(TARGET_NAMES as readonly string[]).includes(t));
  if (unknownTarget) {
    console.error(`yamac: unknown target "${unknownTarget}" (targets: ${TARGET_NAMES.join(", ")})`);
    return 2;
  }
  const deployment = { targets: targets as TargetName[], pm2: values.pm2 === true, systemd: values.systemd === true };
  switch (command) {
    case "compile":
    case "check": {
      const dir = rest[0] ?? ".";
      const started = performance.now();
      const result = compileProject(dir, { check: command === "check", deployment, ...envOptions });
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
          const { docsOf } = await import("./plugins/docs.js");
          const docs = docsOf(ir);
          if (docs) console.log(`public docs${docs.enabled === "development" ? " (when NODE_ENV=development)" : ""}: GET ${docs.openapiPath}, GET ${docs.path}`);
        }
        return 0;
      }
      const w = result.write!;
      const ms = Math.round(performance.now() - started);
      if (result.ir!.targets.includes("docker")) await warnWithoutBuildScript(dir);
      const parts = [`${w.written.length} written`, `${w.unchanged.length} unchanged`];
      if (w.deleted.length) parts.push(`${w.deleted.length} deleted`);
      const overlay = result.ir?.environment ? ` (environment ${result.ir.environment}: yama.${result.ir.environment}.yaml merged)` : "";
      console.log(`compiled ${relative(process.cwd(), resolve(dir)) || "."}${overlay}: ${parts.join(", ")} in ${ms} ms`);
      return 0;
    }
    case "migrate": {
      // Loaded on demand: drizzle-kit takes most of a second to import, which every other command would pay.
      const { migrateCommand } = await import("./migrate/command.js");
      const steps = values.steps === undefined ? undefined : Number(values.steps);
      if (steps !== undefined && !(Number.isInteger(steps) && steps > 0)) {
        console.error(`yamac: --steps takes a positive whole number, not "${values.steps}"`);
        return 2;
      }
      return migrateCommand(rest, { allowDestructive: values["allow-destructive"] === true, name: values.name, color, steps, ...envOptions });
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
      const result = compileProject(dir, { deployment, ...envOptions });
      report(result, color);
      if (!result.ok) return 1;
      const { buildProject, BuildError } = await import("./build.js");
      const out = values.out ?? "dist";
      try {
        const bundles = await buildProject(dir, result.ir!, { out, minify: values.minify === true, sourcemap: values.sourcemap === true, targets: targets.length ? targets : undefined });
        for (const b of bundles) console.log(`${join(out, b.file)}  ${(b.bytes / 1024).toFixed(0)} KiB (${(b.gzipBytes / 1024).toFixed(0)} KiB gzip)`);
        if ((targets.length ? targets : result.ir!.targets).includes("docker")) {
          console.log("Dockerfile: the image bundles the same Node entry (`npm run build` in its build stage); build it with `docker build .`");
          await warnWithoutBuildScript(dir);
        }
      } catch (err) {
        if (!(err instanceof BuildError)) throw err;
        console.error(formatDiagnostics(err.diagnostics, { color, sources: result.sources }));
        return 1;
      }
      return 0;
    }
    case "deploy": {
      const dir = rest[0] ?? ".";
      if (targets.length !== 1) {
        console.error("yamac deploy: name one target with --target <t>");
        return 2;
      }
      // A dry run writes nothing; a real one compiles (the build step needs src/ up to date).
      const result = compileProject(dir, { deployment, check: values["dry-run"] === true });
      report(result, color);
      if (!result.ok) return 1;
      const { deployPlan, formatStep, onPath, runPlan } = await import("./deploy.js");
      const plan = deployPlan(result.ir!, targets[0] as TargetName);
      if ("error" in plan) {
        console.error(`yamac deploy: ${plan.error}`);
        return 1;
      }
      if (values["dry-run"]) {
        console.log(`# yamac deploy --target ${plan.target}: the commands it runs in ${dir}`);
        for (const step of plan.steps) console.log(formatStep(step));
        return 0;
      }
      process.env.PATH = [join(resolve(dir), "node_modules/.bin"), process.env.PATH].join(delimiter);
      const missing = plan.cli.filter((c) => !onPath(c.program));
      if (missing.length) {
        for (const m of missing) console.error(`yamac deploy --target ${plan.target} calls \`${m.program}\`, which is not installed here (install: ${m.install}).`);
        console.error("Nothing was run. `yamac deploy --dry-run` prints the commands.");
        return 1;
      }
      return runPlan(plan, dir, (args) => main([...args, ...(color ? [] : ["--no-color"])]));
    }
    case "smoke": {
      const [url, dir = "."] = rest;
      if (!url || !/^https?:\/\//.test(url)) {
        console.error("yamac smoke: give the deployed app's URL, e.g. `yamac smoke https://api.example.com`");
        return 2;
      }
      const sample = values.sample === undefined ? 5 : Number(values.sample);
      if (!Number.isInteger(sample) || sample < 0) {
        console.error("yamac smoke: --sample takes a whole number");
        return 2;
      }
      const { manifestRoutes, smoke } = await import("./smoke.js");
      let routes = manifestRoutes(dir, values.out ?? "dist");
      if (!routes) {
        const result = compileProject(dir, { check: true });
        report(result, color);
        if (!result.ok) return 1;
        const { healthRoutes } = await import("./build.js");
        const ir = result.ir!;
        routes = { health: healthRoutes(ir), routes: ir.routes.map((r) => (r.kind === "endpoint" ? `${r.endpoint.method} ${r.endpoint.path}` : `${r.method} ${r.path}`)) };
      }
      const results = await smoke(url, routes, { sample, timeoutMs: 10_000 });
      const failed = results.filter((r) => !r.ok);
      console.log(`smoke ${url}: ${results.length} checks, ${failed.length} failed`);
      for (const r of results) console.log(`  ${r.ok ? "ok  " : "FAIL"}  ${String(r.status).padEnd(12)} ${r.path}  ${r.ms} ms`);
      return failed.length || results.length === 0 ? 1 : 0;
    }
    case "ci": {
      const [sub, dir = "."] = rest;
      const { CI_PROVIDERS, ciTemplate } = await import("./ci.js");
      const provider = values.provider as (typeof CI_PROVIDERS)[number] | undefined;
      if (sub !== "generate" || !provider || !CI_PROVIDERS.includes(provider)) {
        console.error(`yamac ci: use \`yamac ci generate [dir] --provider ${CI_PROVIDERS.join("|")}\``);
        return 2;
      }
      const result = compileProject(dir, { check: true });
      report(result, color);
      if (!result.ok) return 1;
      const template = ciTemplate(provider, result.ir!);
      const path = join(dir, template.path);
      if (existsSync(path) && !values.force) {
        console.error(`yamac ci: ${path} exists; nothing written (--force replaces it)`);
        return 1;
      }
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, template.content);
      console.log(`wrote ${path}`);
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
