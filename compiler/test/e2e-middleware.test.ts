/**
 * The app's own middleware (`middleware:`): files of the project mounted in src/app.ts at their
 * phase (pre-auth before authentication, pre-handler after rate limits, post-handler after the
 * route, error only for failed requests), in priority order, with `config:` passed to a factory
 * (`${VAR}` read at start) and per-endpoint middleware limited to its path and method. Checked
 * over HTTP against the emitted app, with tsc, and for diagnostics.
 */
import { describe, expect, it } from "vitest";
import { compileText } from "../index.js";
import { call, serveConfig, typeErrors } from "./harness.js";

const CONFIG = `name: guarded
version: 1.0.0
middleware:
  global:
    - { name: stamp, file: middleware/stamp.ts, phases: [post-handler] }
    - { name: tenant, file: ./middleware/tenant.ts, config: { header: x-tenant, fallback: "\${DEFAULT_TENANT:-public}" }, priority: 5 }
    - { name: first, file: middleware/order.ts, priority: 1 }
    - { name: gate, file: middleware/gate.ts, phases: [pre-auth] }
    - { name: failures, file: middleware/failures.ts, phases: [error] }
    - { name: retired, file: middleware/gone.ts, enabled: false }
  endpoints:
    - path: /admin/stats
      method: GET
      middleware: [{ name: admin-only, file: middleware/admin.ts }]
entities:
  Note:
    fields: { id: uuid!, body: string! }
    crud: { enabled: true, auth: false }
endpoints:
  - path: /admin/stats
    method: GET
    auth: false
    handler: handlers/stats.ts
  - path: /secure
    method: GET
    auth: true
    handler: handlers/stats.ts
`;

const MW = `import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../src/lib/http.js";
`;

const FILES: Record<string, string> = {
  "middleware/stamp.ts": `${MW}export default (async (c) => {
  c.res.headers.set("x-order", \`\${c.res.headers.get("x-order") ?? ""}stamp,\`);
}) satisfies MiddlewareHandler<AppEnv>;
`,
  "middleware/tenant.ts": `${MW}export function tenant(config: { header: string; fallback: string }): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    c.res.headers.set("x-tenant-seen", c.req.header(config.header) ?? config.fallback);
    c.res.headers.set("x-order", \`\${c.res.headers.get("x-order") ?? ""}tenant,\`);
  };
}
`,
  "middleware/order.ts": `${MW}export const first: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  c.res.headers.set("x-order", \`\${c.res.headers.get("x-order") ?? ""}first,\`);
};
`,
  "middleware/gate.ts": `${MW}export default (async (c, next) => {
  if (c.req.header("x-block") === "1") return c.json({ error: { code: "BLOCKED", message: "blocked at the gate" } }, 403);
  await next();
}) satisfies MiddlewareHandler<AppEnv>;
`,
  "middleware/failures.ts": `${MW}export default (async (c) => {
  c.res.headers.set("x-failure", \`\${c.res.status} \${c.error?.message ?? ""}\`);
}) satisfies MiddlewareHandler<AppEnv>;
`,
  "middleware/admin.ts": `${MW}export default (async (c, next) => {
  if (c.req.header("x-admin") !== "yes") return c.json({ error: { code: "ADMIN_ONLY", message: "admins only" } }, 403);
  await next();
}) satisfies MiddlewareHandler<AppEnv>;
`,
  "handlers/stats.ts": "export default async function stats() {\n  return { notes: 0 };\n}\n",
};

describe("middleware: the app's own", () => {
  const app = serveConfig("middleware", CONFIG, {}, FILES);

  it("runs every global middleware on a route, in priority order; post-handler after the route", async () => {
    const res = await call(app.server.base, "GET", "/notes");
    expect(res.status, res.text).toBe(200);
    // Each appends once the inner ones are done: mounted first, priority 1, tenant (5), then stamp after the route.
    expect(res.headers.get("x-order")).toBe("stamp,tenant,first,");
    expect(res.headers.get("x-failure")).toBeNull();
  });

  it("passes config: to a factory, reading ${VAR} from the environment with its fallback", async () => {
    expect((await call(app.server.base, "GET", "/notes")).headers.get("x-tenant-seen")).toBe("public");
    expect((await call(app.server.base, "GET", "/notes", undefined, { "x-tenant": "acme" })).headers.get("x-tenant-seen")).toBe("acme");
  });

  it("pre-auth runs before authentication: it answers a protected route before the 401", async () => {
    expect((await call(app.server.base, "GET", "/secure")).status).toBe(401);
    const blocked = await call(app.server.base, "GET", "/secure", undefined, { "x-block": "1" });
    expect(blocked.status).toBe(403);
    expect(blocked.body).toMatchObject({ error: { code: "BLOCKED" } });
  });

  it("an endpoint's middleware runs on its path and method only", async () => {
    const refused = await call(app.server.base, "GET", "/admin/stats");
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: { code: "ADMIN_ONLY" } });
    const allowed = await call(app.server.base, "GET", "/admin/stats", undefined, { "x-admin": "yes" });
    expect(allowed.status, allowed.text).toBe(200);
    expect(allowed.body).toEqual({ notes: 0 });
    expect((await call(app.server.base, "POST", "/admin/stats", {})).status).toBe(404);
    expect((await call(app.server.base, "GET", "/notes")).status).toBe(200);
  });

  it("error middleware runs only for a failed request, with its status and error", async () => {
    const res = await call(app.server.base, "GET", "/notes/not-a-uuid");
    expect(res.status).toBe(400);
    expect(res.headers.get("x-failure")).toMatch(/^400 /);
  });

  it("the project passes tsc --strict (a disabled middleware's missing file is not needed)", () => {
    expect(typeErrors(app.dir)).toBe("");
  }, 60_000);
});

describe("middleware diagnostics", () => {
  const host = (files: Record<string, string>) => ({ readFile: (path: string) => files[path] });
  const errors = (section: string, files: Record<string, string> = {}) =>
    compileText(`name: x\nentities:\n  Note: { fields: { id: uuid!, body: string! }, crud: true }\nmiddleware:\n${section}`, "yama.yaml", host(files))
      .diagnostics
      .map((d) => ({ code: d.code, line: d.location.line }));

  it("a missing file, an entry without a file, an unknown phase and a twice-used name are errors at their line", () => {
    expect(errors("  global:\n    - { name: audit, file: middleware/audit.ts }\n")).toEqual([{ code: "missing-middleware", line: 6 }]);
    expect(errors("  global:\n    - { name: audit }\n")).toEqual([{ code: "bad-middleware", line: 6 }]);
    expect(errors("  global:\n    - { name: audit, file: m.ts, phases: [pre-auht] }\n", { "m.ts": "export default () => {};" }).map((d) => d.code)).toEqual(["bad-plugin-option"]);
    expect(errors("  global:\n    - { name: a, file: m.ts }\n    - { name: a, file: m.ts }\n", { "m.ts": "export default () => {};" })).toEqual([{ code: "duplicate-middleware", line: 7 }]);
  });

  it("a file without the export is an error; a plugin's middleware warns when the plugin is not enabled", () => {
    expect(errors("  global:\n    - { name: audit, file: m.ts }\n", { "m.ts": "export const other = 1;" })).toEqual([{ code: "bad-middleware", line: 6 }]);
    expect(errors("  global:\n    - { name: audit, file: m.ts }\n", { "m.ts": "export const audit = () => {};" })).toEqual([]);
    expect(errors('  global: ["@betagors/yama-security"]\n')).toEqual([{ code: "middleware-plugin-missing", line: 5 }]);
  });
});
