/**
 * The app's own middleware (`middleware:`), compiled into src/app.ts in front of the routes:
 *
 *   middleware:
 *     global:
 *       - { name: audit, file: middleware/audit.ts, phases: [pre-handler], priority: 10 }
 *       - { name: tenant, file: middleware/tenant.ts, config: {header: x-tenant} }   # a factory
 *       - "@betagors/yama-security"                                                  # a plugin's
 *     endpoints:
 *       - { path: /admin/stats, method: GET, middleware: [{ name: admin-only, file: middleware/admin.ts }] }
 *
 * A file exports a Hono middleware (`MiddlewareHandler<AppEnv>`) by default, under the
 * middleware's name (camelCase) or under its own file name; with `config:` the export is a
 * factory the app calls once with that object. Phases place it: pre-auth (before the
 * authentication middleware), post-auth, pre-handler (the default, after rate limits),
 * post-handler (after the route answered) and error (only when the request failed).
 * Within a phase, lower `priority` runs first, then the order written.
 */
import { z } from "zod";
import { parseConfigString } from "../2-analyze/config-string.js";
import type { SourceLocation } from "../diagnostics.js";
import { exportsName, hasDefaultExport } from "../2-analyze/endpoints.js";
import { camelCase } from "../2-analyze/types.js";
import { envText } from "../4-emit/env.js";
import { file, header, Imports, key, moduleSpecifier, ts } from "../4-emit/writer.js";
import type { AppWiring, YamaPlugin } from "./types.js";

export const MIDDLEWARE_PHASES = ["pre-auth", "post-auth", "pre-handler", "post-handler", "error"] as const;
type Phase = (typeof MIDDLEWARE_PHASES)[number];

/** Where each phase sits among the app's middleware (see AppWiring.order): security 20, auth 25, rate limits 30, routes from 50. */
const PHASE_ORDER: Record<Phase, number> = { "pre-auth": 24, "post-auth": 26, "pre-handler": 35, "post-handler": 36, error: 37 };

const entry = z.union([
  z.string().min(1),
  z.strictObject({
    name: z.string().min(1),
    file: z.string().min(1).optional(),
    phases: z.array(z.enum(MIDDLEWARE_PHASES)).min(1).optional(),
    priority: z.number().optional(),
    enabled: z.boolean().default(true),
    config: z.record(z.string(), z.unknown()).optional(),
    description: z.string().optional(),
  }),
]);

const options = z.strictObject({
  middleware: z.strictObject({
    global: z.array(entry).default([]),
    endpoints: z
      .array(
        z.strictObject({
          path: z.string().regex(/^\//, "must start with /"),
          method: z.string().transform((m) => m.toUpperCase()).pipe(z.enum(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])).optional(),
          middleware: z.array(entry).min(1),
        }),
      )
      .default([]),
  }),
});

/** One middleware to mount, as analysis resolved it. */
interface Mounted {
  name: string;
  file: string;
  exportName: string;
  phases: Phase[];
  priority: number;
  config?: Record<string, unknown>;
  /** Set for a middleware of one endpoint. */
  path?: string;
  method?: string;
  loc: SourceLocation;
}

export type MiddlewareOptions = z.output<typeof options> & { mounted?: Mounted[]; loc?: SourceLocation };

const identifier = (s: string) => /^[A-Za-z_$][\w$]*$/.test(s);
export const middlewarePlugin: YamaPlugin<MiddlewareOptions> = {
  name: "middleware",
  aliases: [],
  sections: ["middleware"],
  options,
  analyze(opts, ctx) {
    const mounted: Mounted[] = [];
    const listed = ctx.config.plugins;
    const enabledPlugins = new Set<string>(
      Array.isArray(listed)
        ? listed.flatMap((p: unknown) => (typeof p === "string" ? [p] : p !== null && typeof p === "object" ? Object.keys(p) : []))
        : listed !== null && typeof listed === "object" ? Object.keys(listed) : [],
    );
    const names = new Map<string, SourceLocation>();
    const resolve = (raw: z.output<typeof entry>, path: (string | number)[], at?: { path: string; method?: string }) => {
      const loc = ctx.parsed.locate(path);
      const item = typeof raw === "string" ? { name: raw, enabled: true as const } : raw;
      if (!item.enabled) return;
      if (!("file" in item) || item.file === undefined) {
        // A plugin's middleware: the plugin wires its own when it is enabled.
        if (item.name.startsWith("@betagors/") || item.name.startsWith("yama-")) {
          if (!enabledPlugins.has(item.name)) ctx.diagnostics.warn("middleware-plugin-missing", `middleware ${item.name} is a plugin's, but ${item.name} is not under \`plugins:\`, so nothing runs`, loc, `add it to \`plugins:\`; its middleware is then part of every request`);
          return;
        }
        ctx.diagnostics.error("bad-middleware", `middleware ${item.name} names no file`, loc, `add \`file: middleware/${item.name}.ts\`, a file exporting a Hono middleware`);
        return;
      }
      const other = names.get(item.name);
      if (other && !at) ctx.diagnostics.error("duplicate-middleware", `middleware ${item.name} is listed twice (also at line ${other.line})`, loc, "give each middleware its own name");
      if (!at) names.set(item.name, loc);
      const specFile = `${item.file.replace(/^\.\//, "").replace(/\.(ts|js|mts|mjs)$/, "")}.ts`;
      if (specFile.startsWith("../") || specFile.startsWith("/") || specFile.startsWith("src/plugins/")) {
        ctx.diagnostics.error("bad-middleware", `middleware file ${item.file} is outside the project`, ctx.parsed.locate([...path, "file"]), "keep middleware files in the project, outside src/, e.g. middleware/audit.ts");
        return;
      }
      let exportName = "default";
      if (ctx.host) {
        const source = ctx.host.readFile(specFile);
        if (source === undefined) {
          ctx.diagnostics.error("missing-middleware", `middleware file ${specFile} does not exist`, ctx.parsed.locate([...path, "file"]), `create it: \`export default (async (c, next) => { … await next(); }) satisfies MiddlewareHandler<AppEnv>\`; yamac never writes middleware files`);
          return;
        }
        const base = specFile.replace(/^.*\//, "").replace(/\.ts$/, "");
        const candidates = [camelCase(item.name), base].filter(identifier);
        if (!hasDefaultExport(source)) {
          const found = candidates.find((n) => exportsName(source, n));
          if (!found) {
            ctx.diagnostics.error("bad-middleware", `${specFile} exports no middleware: neither a default export nor \`${candidates[0] ?? "middleware"}\``, ctx.parsed.locate([...path, "file"]), item.config ? "export the factory that takes the config and returns the middleware" : "export the middleware: `export default (async (c, next) => { … }) satisfies MiddlewareHandler<AppEnv>`");
            return;
          }
          exportName = found;
        }
      }
      mounted.push({ name: item.name, file: specFile, exportName, phases: item.phases ?? ["pre-handler"], priority: item.priority ?? 0, config: item.config, path: at?.path, method: at?.method, loc });
    };
    opts.middleware.global.forEach((raw, i) => resolve(raw, ["middleware", "global", i]));
    opts.middleware.endpoints.forEach((ep, i) => {
      if (/[{]/.test(ep.path)) ep.path = ep.path.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, ":$1");
      ep.middleware.forEach((raw, j) => resolve(raw, ["middleware", "endpoints", i, "middleware", j], { path: ep.path, method: ep.method }));
    });
    opts.mounted = mounted;
    opts.loc = ctx.parsed.locate(["middleware"], "key");
  },
  emit(opts, ir) {
    const mounted = opts.mounted ?? [];
    if (mounted.length === 0) return {};
    const imports = new Imports().type("hono", "MiddlewareHandler").type("../lib/http.js", "AppEnv");
    const locals = new Map<string, string>();
    const taken = new Set<string>();
    const blocks: string[] = [];
    for (const m of mounted) {
      const id = `${m.file}#${m.exportName}`;
      let local = locals.get(id);
      if (!local) {
        const base = m.exportName === "default" ? camelCase(m.file.replace(/^.*\//, "").replace(/\.ts$/, "")) : m.exportName;
        local = identifier(base) ? base : `middleware${base}`;
        for (let n = 2; taken.has(local); n++) local = `${base}${n}`;
        taken.add(local);
        locals.set(id, local);
        const spec = moduleSpecifier("src/plugins", m.file);
        if (m.exportName === "default") imports.default(spec, local);
        else imports.add(spec, local === m.exportName ? local : `${m.exportName} as ${local}`);
      }
    }
    const exported = new Map<Mounted, string>();
    const used = new Set<string>([...taken]);
    for (const m of mounted) {
      let name = `${camelCase(m.name)}Middleware`;
      if (!identifier(name)) name = `middleware${exported.size + 1}`;
      for (let n = 2; used.has(name); n++) name = `${camelCase(m.name)}Middleware${n}`;
      used.add(name);
      exported.set(m, name);
      const value = m.config ? `${locals.get(`${m.file}#${m.exportName}`)!}(${configLiteral(m.config, "")})` : locals.get(`${m.file}#${m.exportName}`)!;
      const where = m.path ? `${m.method ?? "every method"} ${m.path}` : "every request";
      blocks.push(`/** ${m.name} (${ir.configFile}:${m.loc.line}, ${m.file}): ${m.phases.join(", ")}, on ${where}. */\nexport const ${name}: MiddlewareHandler<AppEnv> = ${value};`);
    }
    // Phase, then priority, then the order written: each gets its own order number so src/app.ts keeps it.
    const wiring: AppWiring[] = [];
    const byPhase = MIDDLEWARE_PHASES.flatMap((phase) => mounted.filter((m) => m.phases.includes(phase)).map((m, i) => ({ m, phase, i })));
    for (const phase of MIDDLEWARE_PHASES) {
      const list = byPhase.filter((x) => x.phase === phase).sort((a, b) => a.m.priority - b.m.priority || a.i - b.i);
      list.forEach(({ m }, rank) => {
        const name = exported.get(m)!;
        const wrapped = phase === "post-handler" ? `afterHandler(${name})` : phase === "error" ? `afterError(${name})` : name;
        const lib = phase === "post-handler" ? ["afterHandler"] : phase === "error" ? ["afterError"] : [];
        const scoped = m.path ? (m.method ? `${ts(m.path)}, forMethod(${ts(m.method)}, ${wrapped})` : `${ts(m.path)}, ${wrapped}`) : wrapped;
        const libNames = [...lib, ...(m.path && m.method ? ["forMethod"] : [])];
        wiring.push({ order: PHASE_ORDER[phase] + (rank + 1) / 1000, imports: { "./plugins/middleware.js": [name], ...(libNames.length ? { "./lib/middleware.js": libNames } : {}) }, statement: `app.use(${scoped});` });
      });
    }
    return { files: [{ path: "src/plugins/middleware.ts", content: header("middleware", opts.loc ?? ir.configFile) + file(imports.toString(), ...blocks) }], wiring };
  },
};

/** A `config:` object as a literal; `${VAR}` in its strings is read from the environment at start. */
function configLiteral(value: unknown, indent: string): string {
  if (typeof value === "string") {
    const parsed = parseConfigString(value);
    return parsed.kind === "literal" ? ts(value) : envText(parsed);
  }
  if (Array.isArray(value)) return `[${value.map((v) => configLiteral(v, indent)).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value);
    if (entries.length === 0) return "{}";
    return `{\n${entries.map(([k, v]) => `${indent}  ${key(k)}: ${configLiteral(v, `${indent}  `)},`).join("\n")}\n${indent}}`;
  }
  return JSON.stringify(value);
}
