/**
 * GET /openapi.json and GET /docs served by the emitted app: the document is src/openapi.json,
 * the page loads only assets the app serves itself, and both are off in production unless
 * `docs:` turns them on.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileText } from "../index.js";
import { call, serveFixture } from "./harness.js";

/** Every src/href of a page. */
const references = (html: string) => [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]!);

const CONTENT_TYPES: Readonly<Record<string, RegExp>> = { ".css": /^text\/css/, ".js": /^text\/javascript/, ".png": /^image\/png$/ };

async function expectDocsPage(base: string, page: string, openapiPath: string): Promise<void> {
  const res = await fetch(`${base}${page}`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/html/);
  const policy = res.headers.get("content-security-policy") ?? "";
  expect(policy).toContain("script-src 'self'");
  const html = await res.text();
  expect(html).toContain('<div id="swagger-ui">');
  const refs = references(html);
  expect(refs.length).toBeGreaterThanOrEqual(4);
  for (const ref of refs) {
    // Local: an absolute path on this server, never another host (no scheme, no //host).
    expect(ref, ref).toMatch(new RegExp(`^${page}/[a-z0-9.-]+$`));
    const asset = await fetch(`${base}${ref}`);
    expect(asset.status, ref).toBe(200);
    const type = CONTENT_TYPES[ref.slice(ref.lastIndexOf("."))]!;
    expect(asset.headers.get("content-type"), ref).toMatch(type);
    expect((await asset.arrayBuffer()).byteLength, ref).toBeGreaterThan(0);
  }
  const init = await (await fetch(`${base}${page}/init.js`)).text();
  expect(init).toContain(JSON.stringify(openapiPath));
  expect(init).toContain('"validatorUrl":null');
  const bundle = await (await fetch(`${base}${page}/swagger-ui-bundle.js`)).text();
  expect(bundle).toContain("SwaggerUIBundle");
}

describe("docs in development (no docs: key)", () => {
  const served = serveFixture("one-entity", { NODE_ENV: "development" });

  it("GET /openapi.json is src/openapi.json", async () => {
    const reply = await call(served.server.base, "GET", "/openapi.json");
    expect(reply.status).toBe(200);
    expect(reply.headers.get("content-type")).toMatch(/^application\/json/);
    expect(reply.body).toEqual(JSON.parse(readFileSync(join(served.dir, "src/openapi.json"), "utf8")));
  });

  it("GET /docs is a Swagger UI page whose assets the app serves itself", async () => {
    await expectDocsPage(served.server.base, "/docs", "/openapi.json");
  });

  it("other paths under /docs are still 404 with the error envelope", async () => {
    const reply = await call(served.server.base, "GET", "/docs/swagger-initializer.js");
    expect(reply.status).toBe(404);
    expect(reply.body).toMatchObject({ error: { code: "NOT_FOUND" } });
  });
});

describe("docs in production (no docs: key)", () => {
  const served = serveFixture("one-entity", { NODE_ENV: "production" });

  it("serves neither the document nor the page", async () => {
    for (const path of ["/openapi.json", "/docs", "/docs/swagger-ui-bundle.js"]) expect((await call(served.server.base, "GET", path)).status, path).toBe(404);
    expect((await call(served.server.base, "GET", "/notes")).status).toBe(200);
  });
});

describe("docs: {path, openapiPath} in production, behind the security headers", () => {
  const config = `docs:
  path: /reference
  openapiPath: /spec.json
plugins:
  - "@betagors/yama-security"
`;
  const served = serveFixture("one-entity", { NODE_ENV: "production" }, config);

  it("serves the document and the page at the configured paths, with the page's own CSP", async () => {
    const spec = await call(served.server.base, "GET", "/spec.json");
    expect(spec.status).toBe(200);
    expect(spec.body).toEqual(JSON.parse(readFileSync(join(served.dir, "src/openapi.json"), "utf8")));
    await expectDocsPage(served.server.base, "/reference", "/spec.json");
    expect((await call(served.server.base, "GET", "/docs")).status).toBe(404);
    // The API's own routes keep the strict policy of the security plugin.
    const notes = await fetch(`${served.server.base}/notes`);
    expect(notes.headers.get("content-security-policy")).toContain("default-src 'none'");
  });
});

describe("docs: compile-time options", () => {
  const base = readFileSync(join(import.meta.dirname, "../../fixtures/one-entity/yama.yaml"), "utf8");

  it("docs: false compiles none of it in: no routes, no runtime module, no swagger-ui-dist", () => {
    const result = compileText(`${base}\ndocs: false\n`);
    expect(result.ok).toBe(true);
    const paths = result.files!.map((f) => f.path);
    expect(paths).not.toContain("src/plugins/docs.ts");
    expect(paths).not.toContain("src/lib/docs.ts");
    expect(result.files!.find((f) => f.path === "src/app.ts")!.content).not.toContain("docs");
    expect(result.files!.find((f) => f.path === "package.json")!.content).not.toContain("swagger-ui-dist");
  });

  it("docs: true serves them in every environment", () => {
    const result = compileText(`${base}\ndocs: true\n`);
    const app = result.files!.find((f) => f.path === "src/app.ts")!.content;
    expect(app).toContain('app.route("/", docsRoutes);');
    expect(app).not.toContain("NODE_ENV");
  });

  it("a misspelt key and clashing paths are diagnostics with positions", () => {
    /** The line of `text` that holds `needle`. */
    const lineOf = (text: string, needle: string) => text.split("\n").findIndex((l) => l.includes(needle)) + 1;
    const misspeltText = `${base}\ndocs:\n  pth: /reference\n`;
    const misspelt = compileText(misspeltText);
    expect(misspelt.ok).toBe(false);
    expect(misspelt.diagnostics).toContainEqual(expect.objectContaining({ code: "unknown-key", hint: 'did you mean "path"?', location: expect.objectContaining({ line: lineOf(misspeltText, "pth:") }) }));
    const clashText = `${base}\ndocs:\n  path: /api\n  openapiPath: /api\n`;
    const clash = compileText(clashText);
    expect(clash.ok).toBe(false);
    expect(clash.diagnostics).toContainEqual(expect.objectContaining({ code: "bad-plugin-option", location: expect.objectContaining({ line: lineOf(clashText, "openapiPath:") }) }));
    const slash = compileText(`${base}\ndocs:\n  path: /\n`);
    expect(slash.ok).toBe(false);
    expect(slash.diagnostics.map((d) => d.code)).toContain("bad-value");
  });
});
