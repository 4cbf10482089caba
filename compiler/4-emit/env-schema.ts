/**
 * `config:` → src/env.ts: a zod schema of the app's environment variables, checked once when the
 * app starts (every problem listed, exit code 1), and `env`, the typed values handlers import
 * (or read as `ctx.config`). Also .env.example, every variable the emitted app reads.
 */
import type { ConfigVarIR, ProjectIR } from "../ir.js";
import type { OutputFile } from "./index.js";
import { file, header, Imports, key, literal, ts } from "./writer.js";
import { fileScan } from "./file-scan.js";

function zodOf(v: ConfigVarIR): string {
  let s: string;
  const numeric = v.type === "number" || v.type === "integer" || v.format === "port";
  if (numeric) {
    s = "z.coerce.number()";
    if (v.type === "integer" || v.format === "port") s += ".int()";
    const min = v.min ?? (v.format === "port" ? 1 : undefined);
    const max = v.max ?? (v.format === "port" ? 65535 : undefined);
    if (min !== undefined) s += `.min(${min})`;
    if (max !== undefined) s += `.max(${max})`;
  } else if (v.type === "boolean") s = "z.stringbool()";
  else if (v.type === "enum") s = `z.enum([${(v.values ?? []).map(ts).join(", ")}])`;
  else {
    const format = v.type === "url" || v.type === "email" ? v.type : v.format;
    s = format ? `z.${format}()` : "z.string()";
    if (v.min !== undefined) s += `.min(${v.min})`;
    if (v.max !== undefined) s += `.max(${v.max})`;
    if (v.pattern !== undefined) s += `.regex(new RegExp(${ts(v.pattern)}))`;
  }
  if (v.default !== undefined) s += `.default(${literal(v.default)})`;
  else if (!v.required) s += ".optional()";
  if (v.description) s += `.describe(${ts(v.description)})`;
  return s;
}

export function emitEnvSchema(ir: ProjectIR): OutputFile | undefined {
  if (ir.config.length === 0) return undefined;
  const imports = new Imports().add("zod", "z").add("./lib/env.js", "loadEnv");
  const renamed = ir.config.filter((v) => v.envVar !== v.name);
  const secrets = ir.config.filter((v) => v.secret);
  const options: string[] = [];
  if (renamed.length) options.push(`names: { ${renamed.map((v) => `${key(v.name)}: ${ts(v.envVar)}`).join(", ")} }`);
  if (secrets.length) options.push(`secrets: [${secrets.map((v) => ts(v.name)).join(", ")}]`);
  const body = `/** The environment variables of \`config:\` in ${ir.configFile}. */
const schema = z.object({
${ir.config.map((v) => `  ${key(v.name)}: ${zodOf(v)},`).join("\n")}
});

export type Env = z.output<typeof schema>;

const variables = {
${ir.config.map((v) => `  ${key(v.name)}: process.env.${v.envVar},`).join("\n")}
};

/**
 * The checked, typed values (also \`ctx.config\` in handlers). Importing this module checks the
 * environment: when a variable is missing or malformed the app prints all of them and exits.
 */
export const env: Env = loadEnv(schema, variables${options.length ? `, { ${options.join(", ")} }` : ""});`;
  return { path: "src/env.ts", content: header("environment variables", ir.configFile) + file(imports.toString(), body) };
}

/** What the emitted code itself reads, beyond `config:` and `${VAR}` references. */
const BUILT_IN: Record<string, string> = {
  DATABASE_URL: "PostgreSQL connection string, e.g. postgres://user:password@host:5432/db. Unset: the embedded PGlite database (files in the data directory).",
  DATABASE_POOL_MAX: "Most PostgreSQL connections per instance (the Lambda template sets 2; default 10).",
  YAMA_DATA_DIR: "Where PGlite keeps its files when DATABASE_URL is unset.",
  QUEUE_WORKERS: "false: the server runs no queue workers, leaving jobs to `npm run worker` processes (default: it runs them).",
  YAMA_PGLITE_TEMPLATE: "The clean PGlite cluster a new data directory is copied from (default .yama/pglite-template); empty: run initdb instead.",
  PORT: "Port the Node server listens on.",
  HOST: "Address the Node server binds to (default 0.0.0.0).",
  NODE_ENV: "development, test or production; also picks .env.<NODE_ENV> for local runs.",
  REDIS_URL: "Redis connection string.",
  LOG_LEVEL: "Log level: trace, debug, info, warn, error or fatal.",
};

const SECRET_NAME = /SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE|CREDENTIAL|API_?KEY|_KEY$|_KEYS$|HASHES$|^DATABASE_URL$/;

const ENV_READ = /process\.env(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[["']([A-Za-z_][A-Za-z0-9_]*)["']\])/y;

/** The environment variables one file reads: each `process.env` found, then the name after it checked. */
const variablesOf = fileScan((text) => {
  const names: string[] = [];
  for (let at = text.indexOf("process.env"); at !== -1; at = text.indexOf("process.env", at + 11)) {
    ENV_READ.lastIndex = at;
    const m = ENV_READ.exec(text);
    if (m) names.push(m[1] ?? m[2]!);
  }
  return names;
});

/** Names of the environment variables the emitted files read (`process.env.NAME` / `process.env["NAME"]`). */
function readVariables(files: readonly OutputFile[]): Set<string> {
  const names = new Set<string>();
  for (const f of files) if (f.path.endsWith(".ts")) for (const name of variablesOf(f)) names.add(name);
  return names;
}

/**
 * .env.example: every variable the app reads, with what it is for, required ones uncommented.
 * Values are examples or defaults from the config, never secrets.
 */
export function emitEnvExample(ir: ProjectIR, files: readonly OutputFile[]): OutputFile {
  const declared = new Map(ir.config.map((v) => [v.envVar, v]));
  const referenced = new Map<string, typeof ir.envReferences>();
  for (const r of ir.envReferences) referenced.set(r.env, [...(referenced.get(r.env) ?? []), r]);
  const names = new Set([...readVariables(files), ...declared.keys(), ...referenced.keys()]);
  names.delete("NODE_ENV");
  const blocks: string[] = [];
  for (const name of [...names].sort()) {
    const v = declared.get(name);
    const refs = referenced.get(name) ?? [];
    const lines: string[] = [];
    const secret = v ? v.secret : SECRET_NAME.test(name);
    if (v) {
      const facts = [v.type === "enum" ? `one of ${v.values!.join(", ")}` : v.format && v.format !== v.type ? `${v.type}, ${v.format}` : v.type];
      facts.push(v.required ? "required" : v.default !== undefined ? `default ${String(v.default)}` : "optional");
      if (v.secret) facts.push("secret");
      lines.push(`# ${v.description ? `${v.description.replace(/\s*\n\s*/g, " ")} ` : ""}(${facts.join(", ")})`);
    } else if (BUILT_IN[name]) lines.push(`# ${BUILT_IN[name]}`);
    if (refs.length) lines.push(`# Used by ${[...new Set(refs.map((r) => r.path))].join(", ")} in ${ir.configFile}.`);
    if (secret) lines.push("# Secret: set the real value in the environment or in .env.local; never commit it.");
    const fallback = refs.find((r) => r.fallback !== undefined)?.fallback;
    const example = secret ? "" : v?.example ?? (v?.default !== undefined ? String(v.default) : fallback ?? "");
    const required = v ? v.required : refs.length > 0 && refs.every((r) => r.fallback === undefined) && name !== "DATABASE_URL";
    lines.push(`${required ? "" : "# "}${name}=${/[\s#"']/.test(example) ? JSON.stringify(example) : example}`);
    blocks.push(lines.join("\n"));
  }
  const head = `# Generated by yamac from ${ir.configFile} (environment variables). Do not edit: change the config and run \`yamac compile\`.
# Every variable the app reads. Copy to .env (or .env.local) for local runs; the real environment wins over both.
# Lines starting with "# NAME=" are optional.`;
  return { path: ".env.example", content: `${head}\n\n${blocks.join("\n\n")}\n` };
}
