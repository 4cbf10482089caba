/** Netlify Functions (v2): a default export taking a web Request; every path is routed to it. */
import { file, header, Imports } from "../../compiler/4-emit/writer.js";
import type { Target } from "../types.js";

export const netlifyTarget: Target = {
  name: "netlify",
  emit(ir) {
    const imports = new Imports().add("../../src/app.js", "app");
    const body = `/** Netlify calls this with a web Request for every path. */
export default (request: Request): Response | Promise<Response> => app.fetch(request);

export const config = { path: "/*" };`;
    const toml = `# Netlify configuration for ${ir.name} (generated once by yamac; yours to edit).
[build]
  command = "npm run build"

[functions]
  directory = "netlify/functions"
  node_bundler = "esbuild"
`;
    return [
      { path: "netlify/functions/api.ts", content: header("Netlify function entry", ir.configFile) + file(imports.toString(), body) },
      { path: "netlify.toml", content: toml, ifMissing: true },
    ];
  },
};
