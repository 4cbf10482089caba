/**
 * `docs:`: the app serves its own contract. GET /openapi.json answers src/openapi.json (imported,
 * so bundles carry it) and GET /docs a Swagger UI page whose script and style the app serves from
 * the swagger-ui-dist package (runtime-lib/docs.ts): no CDN, so docs work offline.
 *
 * Without a `docs:` key the routes exist only when NODE_ENV=development; `docs: true` (or an
 * object) serves them everywhere; `docs: false` leaves them, and swagger-ui-dist, out of the app.
 *
 * The routes are mounted before the security middleware: its default Content-Security-Policy
 * (`default-src 'none'`) would block the page, which sends a policy of its own instead.
 */
import { z } from "zod";
import { docsConfig } from "../2-analyze/config-schema.js";
import { versionOf } from "../4-emit/project.js";
import { file, header, Imports, ts } from "../4-emit/writer.js";
import type { ProjectIR } from "../ir.js";
import type { PluginUseIR, YamaPlugin } from "./types.js";

const options = z.strictObject({ docs: docsConfig.default(true) });

export type DocsOptions = z.output<typeof options>;

export const DOCS_PLUGIN = "@betagors/yama-docs";

export interface DocsSettings {
  enabled: boolean | "development";
  path: string;
  openapiPath: string;
}

/** The options with defaults applied. */
export function docsSettings(opts: DocsOptions): DocsSettings {
  const d = opts.docs;
  const object = typeof d === "object" ? d : {};
  const enabled = typeof d === "object" ? d.enabled ?? true : d;
  return { enabled, path: object.path ?? "/docs", openapiPath: object.openapiPath ?? "/openapi.json" };
}

/** The plugin use of an app without a `docs:` key: docs in development only. */
export function defaultDocsUse(loc: PluginUseIR["loc"]): PluginUseIR {
  return { name: DOCS_PLUGIN, options: { docs: "development" } satisfies DocsOptions, loc };
}

/** Where an app serves its docs, when it does (for `yamac check` and the docs of the SDK). */
export function docsOf(ir: ProjectIR): DocsSettings | undefined {
  const use = ir.plugins.find((p) => p.name === DOCS_PLUGIN);
  const settings = use ? docsSettings(use.options as DocsOptions) : undefined;
  return settings && settings.enabled !== false ? settings : undefined;
}

export const docsPlugin: YamaPlugin<DocsOptions> = {
  name: DOCS_PLUGIN,
  aliases: ["docs", "yama-docs"],
  sections: ["docs"],
  options,
  analyze(opts, ctx) {
    const s = docsSettings(opts);
    if (s.enabled !== false && s.path === s.openapiPath) {
      ctx.diagnostics.error("bad-plugin-option", `docs: the page and the OpenAPI document cannot both be at ${s.path}`, ctx.parsed.locate([...ctx.path, "docs", "openapiPath"]), "give openapiPath another path, e.g. /openapi.json");
    }
  },
  emit(opts, ir) {
    const s = docsSettings(opts);
    if (s.enabled === false) return {};
    const imports = new Imports().add("../lib/docs.js", "apiDocs");
    // JSON is imported with an attribute (Node, tsx and esbuild all read it; bundles inline it).
    const importLines = `${imports.toString()}\nimport openapi from "../openapi.json" with { type: "json" };`;
    const body = `/** GET ${s.openapiPath} (the contract) and GET ${s.path} (Swagger UI, served from swagger-ui-dist). */
export const docsRoutes = apiDocs({
  document: openapi,
  openapiPath: ${ts(s.openapiPath)},
  docsPath: ${ts(s.path)},
  title: ${ts(`${ir.name} API`)},
});`;
    const statement = s.enabled === "development"
      ? `// API docs (${s.path}, ${s.openapiPath}) only when NODE_ENV=development; \`docs: true\` in ${ir.configFile} serves them everywhere.\nif (process.env.NODE_ENV === "development") app.route("/", docsRoutes);`
      : `app.route("/", docsRoutes);`;
    return {
      files: [{ path: "src/plugins/docs.ts", content: header(`plugin ${DOCS_PLUGIN}`, ir.configFile) + file(importLines, body) }],
      wiring: [{ order: 15, imports: { "./plugins/docs.js": ["docsRoutes"] }, statement }],
      dependencies: { "swagger-ui-dist": versionOf("swagger-ui-dist") },
      // swagger-ui-dist depends on @scarf/scarf, whose install script reports installs over the network.
      packageFields: { scarfSettings: { enabled: false } },
    };
  },
};
