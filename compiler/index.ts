/**
 * yamac's pipeline, in order. Each phase has its own folder:
 *   1-parse → 2-analyze → 3-lower → 4-emit → 5-write
 * See compiler/ir.ts for the IR the phases share.
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { mergeOverlay } from "./1-parse/overlay.js";
import { parseConfig } from "./1-parse/parse.js";
import type { SectionCache } from "./1-parse/sections.js";
import { analyze, type AnalyzeOptions, type ProjectHost } from "./2-analyze/index.js";
import { lower } from "./3-lower/index.js";
import { emit, type OutputFile } from "./4-emit/index.js";
import type { EmitCache } from "./4-emit/cache.js";
import { applyWrite, planWrite, type WriteResult } from "./5-write/write.js";
import { WriteRecord } from "./5-write/record.js";
import { type Diagnostic, DiagnosticBag } from "./diagnostics.js";
import type { ProjectIR } from "./ir.js";

export interface CompileResult {
  ok: boolean;
  diagnostics: Diagnostic[];
  /** The config text by file name, for printing source lines under diagnostics. */
  sources: Map<string, string>;
  ir?: ProjectIR;
  files?: OutputFile[];
  write?: WriteResult;
}

export const CONFIG_NAMES = ["yama.yaml", "yama.yml"];

export function findConfig(dir: string): string | undefined {
  return CONFIG_NAMES.map((n) => join(dir, n)).find((p) => existsSync(p));
}

/** Reads user files (handlers) relative to a project folder; never outside it. */
export function folderHost(dir: string): ProjectHost {
  return {
    readFile(relativePath) {
      const full = join(dir, relativePath);
      return existsSync(full) ? readFileSync(full, "utf8") : undefined;
    },
  };
}

/** A config file's name (as the user knows it, relative to the project) and text. */
export interface ConfigSource {
  file: string;
  text: string;
}

/** What of an entity's definition makes its table (an overlay that changes these makes per-environment tables). */
const TABLE_KEYS = ["fields", "relations", "indexes", "table", "database", "softDelete", "primaryKey", "timestamps"];

/** The key paths of an overlay that add entities or change what their tables are made of. */
function tableChanges(base: unknown, overlay: Record<string, unknown>): string[][] {
  const out: string[][] = [];
  for (const section of ["entities", "schemas"]) {
    const over = overlay[section];
    if (typeof over !== "object" || over === null || Array.isArray(over)) continue;
    const known = (base as Record<string, unknown> | null)?.[section] as Record<string, unknown> | undefined;
    for (const [name, def] of Object.entries(over)) {
      if (known?.[name] === undefined) out.push([section, name]);
      else if (typeof def === "object" && def !== null) for (const key of TABLE_KEYS) if (key in def) out.push([section, name, key]);
    }
  }
  return out;
}

/**
 * Parse, analyze and lower a config text, with an environment overlay (`yama.<env>.yaml`) merged
 * over it when given. Writes nothing. `host` reads handler files; without it they are not checked.
 */
export function compileText(text: string, file = "yama.yaml", host?: ProjectHost, options: AnalyzeOptions & { overlay?: ConfigSource; sectionCache?: SectionCache; emitCache?: EmitCache } = {}): CompileResult {
  const { overlay, sectionCache, emitCache, ...analyzeOptions } = options;
  const diagnostics = new DiagnosticBag();
  const sources = new Map([[file, text]]);
  if (overlay) sources.set(overlay.file, overlay.text);
  let parsed = parseConfig(file, text, diagnostics, sectionCache);
  const over = overlay ? parseConfig(overlay.file, overlay.text, diagnostics) : undefined;
  if (parsed && over && over.value != null) {
    if (Object.prototype.toString.call(over.value) === "[object Object]") {
      const base = parsed;
      parsed = mergeOverlay(parsed, over);
      for (const path of tableChanges(base.value, over.value as Record<string, unknown>)) {
        diagnostics.warn("overlay-changes-schema", `${overlay!.file} changes ${path.join(".")}, so this environment's tables differ from the others': migrations generated from one environment's src/ do not fit the other's database`, over.locate(path, "key"), "declare tables (entities, their fields, relations and indexes) in yama.yaml only; overlays may change settings such as crud options, database, server, auth and plugins");
      }
    } else diagnostics.error("bad-overlay", `${overlay!.file} must be a mapping of sections, like yama.yaml`, over.locate([]), "write only the keys this environment changes, e.g. `database:` or `server:`");
  }
  const analyzed = parsed && (!overlay || over) && !diagnostics.hasErrors ? analyze(parsed, diagnostics, host, analyzeOptions) : undefined;
  if (!analyzed || diagnostics.hasErrors) return { ok: false, diagnostics: diagnostics.sorted(), sources };
  const ir = lower(analyzed);
  const files = emit(ir, emitCache);
  return { ok: true, diagnostics: diagnostics.sorted(), sources, ir, files };
}

export interface CompileOptions extends AnalyzeOptions {
  /** Only check: never write. */
  check?: boolean;
  /**
   * The environment: `yama.<env>.yaml` (or `.yml`), when it exists, is merged over yama.yaml.
   * The CLI passes `--env`, else NODE_ENV.
   */
  env?: string;
  /** Whether the environment was asked for explicitly (`--env`): then a missing overlay is a warning. */
  explicitEnv?: boolean;
}

/** The overlay file of `env` beside `configPath`, if there is one. */
function findOverlay(dir: string, env: string): string | undefined {
  return ["yaml", "yml"].map((ext) => join(dir, `yama.${env}.${ext}`)).find((p) => existsSync(p));
}

/** What an environment may be called (`--env`, NODE_ENV for `yamac dev`). */
const ENV_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** The overlay of `env` in `dir` as compileText takes it; undefined when there is none (or `env` cannot name one). */
export function readOverlay(dir: string, env: string): ConfigSource | undefined {
  const path = ENV_NAME.test(env) ? findOverlay(dir, env) : undefined;
  return path ? { file: basename(path), text: readFileSync(path, "utf8") } : undefined;
}

/** Compiles the project in `dir` (its yama.yaml) into `dir/src`. */
export function compileProject(dir: string, options: CompileOptions = {}): CompileResult {
  const projectDir = resolve(dir);
  const configPath = findConfig(projectDir);
  if (!configPath) {
    return {
      ok: false,
      sources: new Map(),
      diagnostics: [{ severity: "error", code: "no-config", message: `no yama.yaml in ${dir}`, hint: "run `yamac init` to create one, or pass the project folder", location: { file: join(dir, "yama.yaml"), line: 1, col: 1 } }],
    };
  }
  const env = options.env;
  if (env !== undefined && !ENV_NAME.test(env)) {
    return {
      ok: false,
      sources: new Map(),
      diagnostics: [{ severity: "error", code: "bad-env-name", message: `"${env}" is not an environment name`, hint: "use letters, digits, - and _, e.g. --env production", location: { file: basename(configPath), line: 1, col: 1 } }],
    };
  }
  const overlay = env === undefined ? undefined : readOverlay(projectDir, env);
  const result = compileText(readFileSync(configPath, "utf8"), basename(configPath), folderHost(projectDir), { deployment: options.deployment, overlay });
  if (env !== undefined && !overlay && options.explicitEnv) {
    result.diagnostics.push({ severity: "warning", code: "no-overlay", message: `no yama.${env}.yaml: the "${env}" environment compiles yama.yaml as it is`, hint: `create yama.${env}.yaml with the keys this environment changes, or check the spelling of --env`, location: { file: basename(configPath), line: 1, col: 1 } });
  }
  if (result.ir) result.ir.environment = overlay ? env : undefined;
  if (!result.ok || options.check) return result;
  const diagnostics = new DiagnosticBag();
  const record = WriteRecord.load(projectDir);
  const plan = planWrite(projectDir, result.files!, diagnostics, undefined, record);
  if (diagnostics.hasErrors) return { ...result, ok: false, diagnostics: [...result.diagnostics, ...diagnostics.sorted()] };
  applyWrite(projectDir, result.files!, plan);
  record.save(result.files!);
  return { ...result, write: plan };
}
