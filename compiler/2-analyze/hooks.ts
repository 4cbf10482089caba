/**
 * Entity lifecycle hooks:
 *
 *   entities:
 *     Post:
 *       hooks:
 *         beforeCreate: hooks/slugify.ts          # a file outside src/
 *         afterSave: [hooks/audit.ts, hooks/notify.ts]
 *
 * Each value names one file or a list of them (a bare name is hooks/<name>.ts); a file exports the
 * hook as its default export, or under the phase's name, or under its own name. Phases not in
 * HOOK_PHASES are errors with the closest name; a missing file is an error at its line.
 */
import type { ConfigPath, ParsedConfig } from "../1-parse/parse.js";
import { closest, type DiagnosticBag, type SourceLocation } from "../diagnostics.js";
import { HOOK_PHASES, type EntityIR, type HookIR, type HookPhase } from "../ir.js";
import { exportsName, hasDefaultExport, type ProjectHost } from "./endpoints.js";

export function analyzeHooks(entity: EntityIR, raw: Readonly<Record<string, string | readonly string[]>>, path: ConfigPath, parsed: ParsedConfig, diagnostics: DiagnosticBag, host: ProjectHost | undefined): HookIR[] {
  const hooks: HookIR[] = [];
  for (const [phase, value] of Object.entries(raw)) {
    if (!(HOOK_PHASES as readonly string[]).includes(phase)) {
      const s = closest(phase, HOOK_PHASES);
      diagnostics.error("unknown-hook", `${entity.name} has no hook "${phase}"`, parsed.locate([...path, phase], "key"), s ? `did you mean "${s}"?` : `hooks are ${HOOK_PHASES.join(", ")}`);
      continue;
    }
    const files = typeof value === "string" ? [value] : value;
    files.forEach((spec, i) => {
      const loc = parsed.locate(typeof value === "string" ? [...path, phase] : [...path, phase, i]);
      const hook = resolveHookFile(entity, phase as HookPhase, spec, loc, host, diagnostics);
      if (hook) hooks.push(hook);
    });
  }
  // Within a phase, files run in the order written; phases in the order of HOOK_PHASES.
  return hooks.sort((a, b) => HOOK_PHASES.indexOf(a.phase) - HOOK_PHASES.indexOf(b.phase));
}


function resolveHookFile(entity: EntityIR, phase: HookPhase, spec: string, loc: SourceLocation, host: ProjectHost | undefined, diagnostics: DiagnosticBag): HookIR | undefined {
  const isPath = spec.includes("/") || /\.(ts|js|mts|mjs)$/.test(spec);
  const file = isPath ? `${spec.replace(/^\.\//, "").replace(/\.(ts|js|mts|mjs)$/, "")}.ts` : `hooks/${spec}.ts`;
  const example = `\`export default (async (data, ctx) => { … }) satisfies ${entity.name}Hooks["${phase}"]\` (the types are in src/hooks/${entity.fileName}.ts)`;
  if (file.startsWith("../") || file.startsWith("/") || file.startsWith("src/hooks/")) {
    diagnostics.error("bad-hook", `hook file ${spec} is ${file.startsWith("src/hooks/") ? "where yamac writes the hooks' types" : "outside the project"}`, loc, "keep hook files in the project, outside src/, e.g. hooks/slugify.ts");
    return undefined;
  }
  if (!host) return { phase, file, exportName: "default", loc };
  const source = host.readFile(file);
  if (source === undefined) {
    diagnostics.error("missing-hook", `hook file ${file} does not exist`, loc, `create it with ${example}; yamac never writes hook files`);
    return undefined;
  }
  const base = file.replace(/^.*\//, "").replace(/\.ts$/, "");
  if (hasDefaultExport(source)) return { phase, file, exportName: "default", loc };
  for (const name of [phase, base]) if (/^[A-Za-z_$][\w$]*$/.test(name) && exportsName(source, name)) return { phase, file, exportName: name, loc };
  diagnostics.error("bad-hook", `${file} exports no hook: neither a default export nor \`${phase}\``, loc, `export the function: ${example}`);
  return undefined;
}
