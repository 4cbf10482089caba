/**
 * yamac's pipeline, in order. Each phase has its own folder:
 *   1-parse → 2-analyze → 3-lower → 4-emit → 5-write
 * See compiler/ir.ts for the IR the phases share.
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { parseConfig } from "./1-parse/parse.js";
import { analyze, type AnalyzeOptions, type ProjectHost } from "./2-analyze/index.js";
import { lower } from "./3-lower/index.js";
import { emit, type OutputFile } from "./4-emit/index.js";
import { applyWrite, planWrite, type WriteResult } from "./5-write/write.js";
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

/** Parse, analyze and lower a config text. Writes nothing. `host` reads handler files; without it they are not checked. */
export function compileText(text: string, file = "yama.yaml", host?: ProjectHost, options: AnalyzeOptions = {}): CompileResult {
  const diagnostics = new DiagnosticBag();
  const sources = new Map([[file, text]]);
  const parsed = parseConfig(file, text, diagnostics);
  const analyzed = parsed ? analyze(parsed, diagnostics, host, options) : undefined;
  if (!analyzed || diagnostics.hasErrors) return { ok: false, diagnostics: diagnostics.sorted(), sources };
  const ir = lower(analyzed);
  const files = emit(ir);
  return { ok: true, diagnostics: diagnostics.sorted(), sources, ir, files };
}

export interface CompileOptions extends AnalyzeOptions {
  /** Only check: never write. */
  check?: boolean;
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
  const result = compileText(readFileSync(configPath, "utf8"), basename(configPath), folderHost(projectDir), { deployment: options.deployment });
  if (!result.ok || options.check) return result;
  const diagnostics = new DiagnosticBag();
  const plan = planWrite(projectDir, result.files!, diagnostics);
  if (diagnostics.hasErrors) return { ...result, ok: false, diagnostics: [...result.diagnostics, ...diagnostics.sorted()] };
  applyWrite(projectDir, result.files!, plan);
  return { ...result, write: plan };
}
