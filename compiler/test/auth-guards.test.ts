/**
 * Every route of an app with auth rules (an `auth:` section, or rules on routes and policies, which
 * answer 401 when no provider is configured) carries the check its rule asks for: the routes found
 * in the emitted code are exactly the routes the auth module knows, and each protected one has
 * `requireAuth(…)` with its roles, permissions and providers in front of its handler.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileText, folderHost } from "../index.js";
import { routeAccess } from "../plugins/auth.js";
import { FIXTURES, fixtureNames } from "./snapshot-lib.js";

/** A route registration: its own rate limit first, then the access check, then the response cache, then the handler. */
const REGISTRATION = /\.(get|post|put|patch|delete)\(("[^"]*"), (?:endpointLimits[.\w]*, )?(requireAuth\((.*?)\), )?(?:(?:cacheResponses|invalidateCaches)\(.*?\), )*async \(c\) =>/g;

const withAuth = fixtureNames().filter((name) => /^\s*auth:/m.test(readFileSync(join(FIXTURES, name, "yama.yaml"), "utf8")));

describe("route checks in apps with auth rules", () => {
  it("covers the fixtures that have auth rules", () => {
    expect(withAuth).toEqual(expect.arrayContaining(["auth", "blog-api", "todo-api"]));
  });

  it.each(withAuth)("%s: each registered route has exactly the check of its rule", (name) => {
    const dir = join(FIXTURES, name);
    const result = compileText(readFileSync(join(dir, "yama.yaml"), "utf8"), "yama.yaml", folderHost(dir));
    expect(result.ok).toBe(true);
    const ir = result.ir!;
    const found = new Map<string, string | undefined>();
    for (const f of result.files!) {
      const entity = ir.entities.find((e) => f.path === `src/routes/${e.fileName}.ts`);
      // CRUD routers are mounted at their base path; endpoints and the auth module's routes carry full paths.
      if (!entity && !f.path.startsWith("src/endpoints/") && !f.path.startsWith("src/auth/")) continue;
      const base = entity ? (entity.crud!.basePath === "/" ? "" : entity.crud!.basePath) : "";
      for (const m of f.content.matchAll(REGISTRATION)) {
        const local = JSON.parse(m[2]!) as string;
        const path = entity ? (local === "/" ? base || "/" : `${base}${local}`) : local;
        found.set(`${m[1]!.toUpperCase()} ${path}`, m[3] === undefined ? undefined : m[4]!);
      }
    }
    const access = routeAccess(ir);
    expect([...found.keys()].sort()).toEqual(access.map((r) => `${r.method} ${r.path}`).sort());
    for (const r of access) {
      const check = found.get(`${r.method} ${r.path}`);
      if (!r.rule) {
        expect(check, `${r.method} ${r.path} is public`).toBeUndefined();
        continue;
      }
      expect(check, `${r.method} ${r.path} is protected`).toBeDefined();
      for (const v of [...r.rule.roles, ...r.rule.permissions, ...(r.rule.providers ?? [])]) expect(check).toContain(JSON.stringify(v));
    }
  });
});
