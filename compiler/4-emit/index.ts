/**
 * Phase 4: turns the lowered IR into files. Each emitter owns one kind of file; this module
 * only decides which emitters run. Output order is sorted, so it is the same on every run.
 */
import type { CrudRoutePlan, ProjectIR } from "../ir.js";
import type { ContextMember } from "../plugins/types.js";
import { dockerTarget } from "../../targets/docker/index.js";
import { lambdaTarget } from "../../targets/lambda/index.js";
import { netlifyTarget } from "../../targets/netlify/index.js";
import { emitNodeTarget } from "../../targets/node/index.js";
import type { Target } from "../../targets/types.js";
import { vercelTarget } from "../../targets/vercel/index.js";
import { workersTarget } from "../../targets/workers/index.js";
import { emitApp, emitClient } from "./app.js";
import type { EmitCache, Scoped, Scopes } from "./cache.js";
import { emitJunction, emitRelations, emitSchemaIndex, emitTable } from "./db-schema.js";
import { emitOpenApi } from "./openapi.js";
import { emitProjectFiles } from "./project.js";
import { findPlugin } from "../plugins/index.js";
import { emitWorkers } from "../plugins/queue.js";
import { emitContext, emitEndpoint } from "./endpoints.js";
import { emitEntities, emitRepository } from "./repositories.js";
import { emitRoutes } from "./routes.js";
import { emitHooks, hasHooksModule } from "./hooks.js";
import { emitSdk } from "./sdk.js";
import { emitSchemas } from "./schemas.js";
import { emitProjections } from "./projections.js";
import { emitOperationEndpoint } from "./operations.js";
import { emitRuntimeLib } from "./runtime-lib.js";
import { emitValidation } from "./validation.js";
import { emitEnvExample, emitEnvSchema } from "./env-schema.js";
import { compareText } from "../order.js";

const TARGETS: Readonly<Record<ProjectIR["targets"][number], Target>> = { docker: dockerTarget, lambda: lambdaTarget, netlify: netlifyTarget, vercel: vercelTarget, workers: workersTarget };

export interface OutputFile {
  /** Relative to the project directory, with forward slashes. */
  path: string;
  content: string;
  /**
   * The content in pieces (`content` is their concatenation), for the large project-wide files
   * (src/openapi.json, src/sdk/): pieces `yamac dev` reuses between compiles are the same string
   * objects, so comparing, scanning and rewriting such a file costs what changed in it, not its size.
   */
  parts?: readonly string[];
  /** Written only when no file exists there (project files the user owns afterwards). */
  ifMissing?: boolean;
}

/**
 * Emits the whole project. With a cache (`yamac dev`), the files of each entity and endpoint are
 * emitted from a scope of the IR and reused while that scope is unchanged (see cache.ts).
 */
export function emit(ir: ProjectIR, cache?: EmitCache): OutputFile[] {
  const files: OutputFile[] = [];
  const hasEndpoints = ir.endpoints.length > 0;
  const scopes = cache?.begin(ir);
  /** The files `build` emits: from the whole IR, or with a cache from a scope of it, reused while the scope is unchanged. */
  const emitScoped = (id: string, scoped: (s: Scopes) => Scoped, build: (ir: ProjectIR) => OutputFile[]): OutputFile[] =>
    cache && scopes ? cache.files(id, scoped(scopes), ir, build) : build(ir);
  const plansOf = new Map<string, CrudRoutePlan[]>();
  for (const r of ir.routes) if (r.kind === "crud") plansOf.set(r.entity, [...(plansOf.get(r.entity) ?? []), r]);
  for (const entity of ir.entities) {
    const plans = plansOf.get(entity.name) ?? [];
    const build = (scope: ProjectIR): OutputFile[] => [
      emitTable(entity, scope),
      ...(plans.length || hasEndpoints ? [emitValidation(entity, scope)] : []),
      ...(plans.length ? [emitRoutes(entity, plans, scope)] : []),
      ...(hasEndpoints ? [emitRepository(entity, scope)] : []),
      ...(hasHooksModule(entity) ? [emitHooks(entity, scope)] : []),
    ];
    files.push(...emitScoped(`entity ${entity.name}`, (s) => s.entity(entity, plans, String(hasEndpoints)), build));
  }
  const contributions = ir.plugins.map((use) => findPlugin(use.name)!.emit(use.options as never, ir));
  // `config:` gives handlers (and job processors) the checked environment as ctx.config.
  const config: ContextMember[] = hasEndpoints && ir.config.length > 0 ? [{ name: "config", imports: { "./env.js": ["env"] }, doc: "The checked environment of `config:` (src/env.ts).", type: "typeof env", value: "env" }] : [];
  const members = [...config, ...contributions.flatMap((c) => c.context ?? [])];
  files.push(...emitWorkers(ir, members));
  if (hasEndpoints) {
    files.push(emitEntities(ir), emitContext(ir, members));
    for (const route of ir.routes) {
      if (route.kind !== "endpoint") continue;
      const ep = route.endpoint;
      const h = ep.handler;
      const build = (scope: ProjectIR): OutputFile[] => [h.kind === "operation" ? emitOperationEndpoint(ep, h, scope) : emitEndpoint(ep, scope)];
      files.push(...emitScoped(`endpoint ${ep.method} ${ep.path}`, (s) => s.endpoint(ep), build));
    }
  }
  // Named schemas type endpoint bodies and responses; without endpoints nothing uses them.
  const schemas = hasEndpoints ? emitSchemas(ir) : undefined;
  if (schemas) files.push(schemas, ...emitProjections(ir));
  for (const junction of ir.junctions) files.push(emitJunction(junction, ir));
  const relations = emitRelations(ir);
  if (relations) files.push(relations);
  files.push(emitSchemaIndex(ir, relations !== undefined, contributions.flatMap((c) => c.tables ?? [])));
  for (const c of contributions) files.push(...(c.files ?? []));
  files.push(emitOpenApi(ir, cache?.part));
  files.push(...emitSdk(ir, cache?.part));
  files.push(emitClient(ir));
  const envSchema = emitEnvSchema(ir);
  if (envSchema) files.push(envSchema);
  files.push(emitApp(ir, contributions.flatMap((c) => c.wiring ?? []), contributions.flatMap((c) => c.errorReporters ?? [])));
  files.push(...emitNodeTarget(ir, contributions.flatMap((c) => c.shutdown ?? []), contributions.flatMap((c) => c.startup ?? []), contributions.flatMap((c) => c.serveOptions ?? [])));
  for (const name of ir.targets) files.push(...TARGETS[name].emit(ir));
  files.push(...emitRuntimeLib(files));
  files.push(emitEnvExample(ir, files));
  files.push(...emitProjectFiles(ir, Object.assign({}, ...contributions.map((c) => c.dependencies ?? {})), Object.assign({}, ...contributions.map((c) => c.packageFields ?? {})), Object.assign({}, ...contributions.map((c) => c.scripts ?? {})), Object.assign({}, ...contributions.map((c) => c.devDependencies ?? {}))));
  return files.sort((a, b) => compareText(a.path, b.path));
}
