import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Hono } from "hono";
import { ApiError } from "./errors.js";
import type { AppEnv } from "./http.js";

/**
 * The API contract and its docs page: GET <openapiPath> answers the compile-time OpenAPI
 * document, GET <docsPath> a Swagger UI page. The page's script and style come from the
 * swagger-ui-dist package in node_modules, read on first request and kept in memory, so
 * the docs work offline and no browser ever loads anything from a CDN.
 */
export interface ApiDocsOptions {
  /** The OpenAPI document (src/openapi.json, imported: bundlers inline it). */
  document: object;
  openapiPath: string;
  docsPath: string;
  title: string;
}

/** Files of swagger-ui-dist the page uses, by the name they are served under. */
const ASSETS: Readonly<Record<string, string>> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
};

/**
 * Scripts from the app itself only; Swagger UI sets inline styles and draws icons from data:
 * URLs. The page is served before the app's own secure headers, which would block it.
 */
const PAGE_POLICY = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** Where swagger-ui-dist is installed; undefined when it is not (bundles shipped without node_modules). */
function assetFolder(): string | undefined {
  try {
    return dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  } catch {
    return undefined;
  }
}

export function apiDocs(options: ApiDocsOptions): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const spec = JSON.stringify(options.document);
  const base = options.docsPath === "/" ? "" : options.docsPath;
  const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)}</title>
<link rel="icon" type="image/png" href="${base}/favicon-32x32.png">
<link rel="stylesheet" href="${base}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${base}/swagger-ui-bundle.js"></script>
<script src="${base}/init.js"></script>
</body>
</html>
`;
  // validatorUrl: null keeps Swagger UI from sending the document to an online validator.
  const init = `window.ui = SwaggerUIBundle(${JSON.stringify({ url: options.openapiPath, dom_id: "#swagger-ui", deepLinking: true, validatorUrl: null })});\n`;
  const cache = new Map<string, Uint8Array<ArrayBuffer>>();
  const folder = assetFolder();
  const headers = { "Content-Security-Policy": PAGE_POLICY, "X-Content-Type-Options": "nosniff" };

  routes.get(options.openapiPath, (c) => c.body(spec, 200, { "Content-Type": "application/json", "Cache-Control": "no-cache" }));
  routes.get(options.docsPath, (c) => c.html(page, 200, headers));
  routes.get(`${base}/init.js`, (c) => c.body(init, 200, { ...headers, "Content-Type": "text/javascript; charset=utf-8" }));
  for (const [name, type] of Object.entries(ASSETS)) {
    routes.get(`${base}/${name}`, async (c) => {
      if (folder === undefined) throw new ApiError(503, "DOCS_UNAVAILABLE", "The docs page needs the swagger-ui-dist package installed next to the app");
      let content = cache.get(name);
      if (content === undefined) {
        content = new Uint8Array(await readFile(join(folder, name)));
        cache.set(name, content);
      }
      return c.body(content, 200, { ...headers, "Content-Type": type, "Cache-Control": "public, max-age=86400" });
    });
  }
  return routes;
}
