/**
 * The compile step of `yamac dev`: the whole pipeline runs on every change (analysis needs the
 * whole config: relations, names and rules cross entities), but the files of entities and
 * endpoints whose part of the IR is unchanged are reused (4-emit/cache.ts), and the write is
 * incremental: the process remembers what it last put on disk, so unchanged files are neither
 * read nor written, and only files whose content changed are rewritten, in place (a one-entity change
 * touches that entity's modules plus the few project-wide ones such as src/openapi.json).
 */
import { readFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { compileText, findConfig, folderHost, readOverlay, type CompileResult } from "../index.js";
import { applyWrite, type KnownText, knownText, PartsOnDisk, planWrite, type WriteResult } from "../5-write/write.js";
import { DiagnosticBag } from "../diagnostics.js";
import { EmitCache } from "../4-emit/cache.js";
import { SectionCache } from "../1-parse/sections.js";

export interface Rebuild {
  result: CompileResult;
  write?: WriteResult;
  /** Milliseconds: parse to emit, then the write. */
  compileMs: number;
  writeMs: number;
}

export class Rebuilder {
  private readonly dir: string;
  /** Path → content (or parts) of every generated file as this process last left it on disk. */
  private known: Map<string, KnownText> | undefined;
  /** The bytes of the files made of parts (src/openapi.json, src/sdk/), so that a change rewrites only what changed in them. */
  readonly partsOnDisk = new PartsOnDisk();
  /** Sections of the config whose text did not change are not parsed again (1-parse/sections.ts). */
  readonly sectionCache = new SectionCache();
  /** Files of entities and endpoints whose part of the IR did not change are reused (4-emit/cache.ts). */
  readonly emitCache = new EmitCache();

  /**
   * The environment the dev server runs in (NODE_ENV, else development): its overlay,
   * yama.<env>.yaml, is merged over yama.yaml as \`yamac compile\` merges it.
   */
  readonly env: string;

  constructor(dir: string, env = process.env.NODE_ENV || "development") {
    this.dir = resolve(dir);
    this.env = env;
  }

  /** The config file, or undefined when the folder has none. */
  get configPath(): string | undefined {
    return findConfig(this.dir);
  }

  run(): Rebuild {
    const started = performance.now();
    const config = this.configPath;
    if (!config) {
      const result: CompileResult = { ok: false, sources: new Map(), diagnostics: [{ severity: "error", code: "no-config", message: `no yama.yaml in ${this.dir}`, hint: "run `yamac init` to create one", location: { file: "yama.yaml", line: 1, col: 1 } }] };
      return { result, compileMs: performance.now() - started, writeMs: 0 };
    }
    const overlay = readOverlay(this.dir, this.env);
    const result = compileText(readFileSync(config, "utf8"), basename(config), folderHost(this.dir), { sectionCache: this.sectionCache, emitCache: this.emitCache, ...(overlay ? { overlay } : {}) });
    if (result.ir) result.ir.environment = overlay ? this.env : undefined;
    const compiled = performance.now();
    if (!result.ok) return { result, compileMs: compiled - started, writeMs: 0 };
    const diagnostics = new DiagnosticBag();
    const plan = planWrite(this.dir, result.files!, diagnostics, this.known);
    if (diagnostics.hasErrors) return { result: { ...result, ok: false, diagnostics: [...result.diagnostics, ...diagnostics.sorted()] }, compileMs: compiled - started, writeMs: performance.now() - compiled };
    applyWrite(this.dir, result.files!, plan, { inPlace: true, parts: this.partsOnDisk });
    this.known = new Map(result.files!.filter((f) => !f.ifMissing).map((f) => [f.path, knownText(f)]));
    return { result: { ...result, write: plan }, write: plan, compileMs: compiled - started, writeMs: performance.now() - compiled };
  }
}
