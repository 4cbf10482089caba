/**
 * The plugin registry and the `plugins:` section. Three forms are accepted, as real configs
 * use them:
 *
 *   plugins: ["@betagors/yama-health"]                       # list of names
 *   plugins: [{"@betagors/yama-health": {path: /healthz}}]   # list of one-key maps
 *   plugins: {"@betagors/yama-health": {path: /healthz}}     # map (options may sit under `config:`)
 */
import type { core } from "zod";
import { closest, type DiagnosticBag, type SourceLocation } from "../diagnostics.js";
import type { ConfigPath, ParsedConfig } from "../1-parse/parse.js";
import type { ProjectHost } from "../2-analyze/endpoints.js";
import type { EntityIR } from "../ir.js";
import { hasEnvReference } from "../2-analyze/config-string.js";
import { authPlugin } from "./auth.js";
import { cachePlugin } from "./cache.js";
import { EMAIL_PLUGINS } from "./email.js";
import { middlewarePlugin } from "./middleware.js";
import { realtimePlugin } from "./realtime.js";
import { redisPlugin } from "./redis.js";
import { docsPlugin } from "./docs.js";
import { healthPlugin } from "./health.js";
import { errorTrackingPlugin } from "./error-tracking.js";
import { loggingPlugin } from "./logging.js";
import { metricsPlugin } from "./metrics.js";
import { queuePlugin } from "./queue.js";
import { rateLimitPlugin } from "./rate-limit.js";
import { securityPlugin } from "./security.js";
import { servicesPlugin } from "./services.js";
import { fsStoragePlugin, s3StoragePlugin, STORAGE_PLUGINS } from "./storage.js";
import { tracingPlugin } from "./tracing.js";
import type { PluginUseIR, YamaPlugin } from "./types.js";

export type { PluginUseIR, YamaPlugin } from "./types.js";

/** Plugins compiled by this version. */
export const PLUGINS: readonly YamaPlugin<never>[] = [healthPlugin as YamaPlugin<never>, securityPlugin as YamaPlugin<never>, rateLimitPlugin as YamaPlugin<never>, authPlugin as YamaPlugin<never>, loggingPlugin as YamaPlugin<never>, metricsPlugin as YamaPlugin<never>, tracingPlugin as YamaPlugin<never>, errorTrackingPlugin as YamaPlugin<never>, docsPlugin as YamaPlugin<never>, cachePlugin as YamaPlugin<never>, ...EMAIL_PLUGINS, queuePlugin as YamaPlugin<never>, servicesPlugin as YamaPlugin<never>, middlewarePlugin as YamaPlugin<never>, redisPlugin as YamaPlugin<never>, realtimePlugin as YamaPlugin<never>, fsStoragePlugin as YamaPlugin<never>, s3StoragePlugin as YamaPlugin<never>];

/** Database drivers: always compiled in (PGlite without DATABASE_URL, postgres.js with it). */
const BUILT_IN = ["@betagors/yama-pglite", "@betagors/yama-postgres", "pglite", "postgres"];

/** Plugins of the YAMA roadmap that this version accepts but does not compile yet. */
const PLANNED = [
  "@betagors/yama-auth-oauth",
  "@betagors/yama-adminx", "@betagors/yama-docker", "@betagors/yama-ci", "@betagors/yama-session", "@betagors/yama-mfa",
];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

interface Entry {
  name: string;
  options: unknown;
  path: ConfigPath;
}

function entries(raw: unknown): Entry[] {
  const out: Entry[] = [];
  const unwrap = (v: unknown) => (isRecord(v) && Object.keys(v).length === 1 && isRecord(v.config) ? v.config : v);
  if (Array.isArray(raw)) {
    raw.forEach((item, i) => {
      if (typeof item === "string") out.push({ name: item, options: undefined, path: ["plugins", i] });
      else if (isRecord(item)) for (const [name, options] of Object.entries(item)) out.push({ name, options: unwrap(options), path: ["plugins", i, name] });
    });
  } else if (isRecord(raw)) {
    for (const [name, options] of Object.entries(raw)) out.push({ name, options: unwrap(options), path: ["plugins", name] });
  }
  return out;
}

export function findPlugin(name: string): YamaPlugin<never> | undefined {
  return PLUGINS.find((p) => p.name === name || p.aliases.includes(name));
}

/** Option names of the object an unrecognized_keys issue is about, for "did you mean". */
function knownOptionKeys(issue: core.$ZodIssue, root: unknown): string[] {
  let schema: unknown = root;
  for (const segment of issue.path) {
    const shape = (schema as { shape?: Record<string, unknown> } | undefined)?.shape;
    let next: unknown = typeof segment === "number" ? (schema as { def?: { element?: unknown } } | undefined)?.def?.element : shape?.[String(segment)];
    // Unwrap optional/default/nullable wrappers.
    for (let i = 0; i < 4 && next && !(next as { shape?: unknown }).shape && (next as { def?: { innerType?: unknown } }).def?.innerType; i++) next = (next as { def?: { innerType?: unknown } }).def?.innerType;
    schema = next;
  }
  const shape = (schema as { shape?: Record<string, unknown> } | undefined)?.shape;
  if (shape) return Object.keys(shape);
  // A list of alternatives (e.g. auth providers): the keys any of them accepts.
  const options = (schema as { def?: { options?: unknown[] } } | undefined)?.def?.options ?? [];
  return [...new Set(options.flatMap((o) => Object.keys((o as { shape?: Record<string, unknown> }).shape ?? {})))];
}

/** Reports zod issues of a plugin's options (or of another section, with its schema) at their place in the config. */
export function reportIssues(issues: readonly core.$ZodIssue[], path: ConfigPath, parsed: ParsedConfig, diagnostics: DiagnosticBag, plugin: string, schema: unknown = findPlugin(plugin)?.options): void {
  for (const issue of issues) {
    const at = [...path, ...(issue.path as (string | number)[])];
    if (issue.code === "unrecognized_keys") {
      for (const k of issue.keys) {
        const s = closest(k, knownOptionKeys(issue, schema));
        diagnostics.error("unknown-key", `unknown option "${k}" in ${at.length ? at.join(".") : plugin}`, parsed.locate([...at, k], "key"), s ? `did you mean "${s}"?` : undefined);
      }
    } else {
      const value = valueAt(parsed.value, at);
      // `${VAR}` where the option is decided at compile time (a choice, a number, a flag).
      const hint = typeof value === "string" && hasEnvReference(value)
        ? "this option is fixed when yamac compiles, so it cannot come from the environment: write its value here (`${VAR}` is read at runtime in options that take text, such as URLs, secrets and origins)"
        : undefined;
      diagnostics.error("bad-plugin-option", `${at.join(".") || plugin}: ${issue.message}`, parsed.locate(at), hint);
    }
  }
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}

export function analyzePlugins(config: Readonly<Record<string, unknown>>, parsed: ParsedConfig, diagnostics: DiagnosticBag, host?: ProjectHost, entities: readonly EntityIR[] = []): PluginUseIR[] {
  const uses: PluginUseIR[] = [];
  const seen = new Set<string>();
  const provided = new Map<NonNullable<YamaPlugin["provides"]>, { name: string; loc: SourceLocation }>();
  for (const entry of entries(config.plugins)) {
    const loc = parsed.locate(entry.path, typeof entry.path.at(-1) === "string" ? "key" : "value");
    if (BUILT_IN.includes(entry.name)) continue;
    const plugin = findPlugin(entry.name);
    if (!plugin) {
      if (PLANNED.includes(entry.name)) {
        diagnostics.warn("not-yet-compiled", `plugin ${entry.name} is not compiled by this version of yamac; it is ignored`, loc);
        continue;
      }
      const names = [...PLUGINS.flatMap((p) => [p.name, ...p.aliases]), ...BUILT_IN, ...PLANNED];
      const s = closest(entry.name, names);
      diagnostics.error("unknown-plugin", `unknown plugin "${entry.name}"`, loc, s ? `did you mean "${s}"?` : `known plugins: ${PLUGINS.map((p) => p.name).join(", ")}`);
      continue;
    }
    if (seen.has(plugin.name)) {
      diagnostics.error("duplicate-plugin", `plugin ${plugin.name} is listed twice`, loc, "keep one entry");
      continue;
    }
    seen.add(plugin.name);
    const other = plugin.provides && provided.get(plugin.provides);
    if (other) {
      diagnostics.error("duplicate-email-plugin", `${plugin.name} and ${other.name} (line ${other.loc.line}) both provide ctx.email; a config uses one e-mail provider`, loc, "keep one of them: handlers call ctx.email the same way with each provider");
      continue;
    }
    if (plugin.provides) provided.set(plugin.provides, { name: plugin.name, loc });
    const result = plugin.options.safeParse(entry.options ?? {});
    if (!result.success) {
      reportIssues(result.error.issues, entry.path, parsed, diagnostics, plugin.name);
      continue;
    }
    plugin.analyze?.(result.data as never, { parsed, diagnostics, path: entry.path, config, host, entities });
    uses.push({ name: plugin.name, options: result.data, loc });
  }
  // ctx.storage comes from one plugin.
  const storage = uses.filter((u) => STORAGE_PLUGINS.includes(u.name));
  if (storage.length > 1) {
    diagnostics.error("duplicate-storage", `${storage[0]!.name} and ${storage[1]!.name} both provide ctx.storage`, storage[1]!.loc, "keep one storage plugin; for the disk in development and S3 in production, enable each in its environment's overlay (yama.development.yaml, yama.production.yaml)");
  }
  // Plugins enabled by a top-level section of their own.
  for (const plugin of PLUGINS) {
    const present = (plugin.sections ?? []).filter((s) => config[s] !== undefined && config[s] !== null);
    if (present.length === 0 || seen.has(plugin.name)) continue;
    seen.add(plugin.name);
    const result = plugin.options.safeParse(Object.fromEntries(present.map((s) => [s, config[s]])));
    if (!result.success) {
      reportIssues(result.error.issues, [], parsed, diagnostics, plugin.name);
      continue;
    }
    plugin.analyze?.(result.data as never, { parsed, diagnostics, path: [], config, host, entities });
    uses.push({ name: plugin.name, options: result.data, loc: parsed.locate([present[0]!], "key") });
  }
  return uses;
}
