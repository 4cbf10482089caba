/**
 * `yamac explain`: the SQL, parameters, auth and indexes of each route; `--db` plans them on a
 * real PostgreSQL database; and the SQL shown is the SQL the emitted server sends (read back
 * from pg_stat_activity while the server answers a request).
 */
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { compileText } from "../index.js";
import { explainProject } from "../explain/index.js";
import { call, createDatabase, prepareProject, removeProject, ROOT, serveFixture } from "./harness.js";

function yamac(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["bin/yamac.js", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

interface JsonRoute {
  method: string;
  path: string;
  auth: string;
  statements: { label: string; sql: string; params: { placeholder: string; source: string }[]; optional: string[]; indexes: { what: string; index?: string; suggestion?: string }[] }[];
}

describe("yamac explain", () => {
  it("prints the SQL, its parameters, the auth and the index of a lookup", async () => {
    const r = await yamac("explain", "fixtures/handlers", "GET /products/by-sku/:sku");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("GET /products/by-sku/:sku  (query handler)");
    expect(r.stdout).toContain("auth: public");
    expect(r.stdout).toContain(`from "products" where ("products"."deleted_at" is null and "products"."sku" = $1) order by "products"."id" asc limit $2`);
    expect(r.stdout).toContain("params: $1 :sku, $2 constant 1");
    expect(r.stdout).toContain("indexes: products_sku_unique (:sku)");
    // Only the route asked for.
    expect(r.stdout).not.toContain("GET /products/search");
  });

  it("lists only the fields an operation's input takes", async () => {
    const r = await yamac("explain", "fixtures/dialect-b", "POST /v2/tasks", "--json");
    expect(r.status).toBe(0);
    const [route] = (JSON.parse(r.stdout) as { routes: JsonRoute[] }).routes;
    expect(route!.statements[0]!.params).toEqual([
      { placeholder: "$1", source: "body.title" },
      { placeholder: "$2", source: "body.ownerId" },
    ]);
  });

  it("names optional conditions, the auth rule of each route, and filters no index serves", async () => {
    const r = await yamac("explain", "fixtures/auth", "/posts", "--json");
    expect(r.status).toBe(0);
    const routes = (JSON.parse(r.stdout) as { routes: JsonRoute[] }).routes;
    expect(routes.map((x) => `${x.method} ${x.path}`)).toEqual(["GET /posts", "GET /posts/:id", "POST /posts", "POST /posts/bulk", "PUT /posts/:id", "PATCH /posts/:id", "DELETE /posts/:id"]);
    const del = routes.find((x) => x.method === "DELETE")!;
    expect(del.auth).toBe("requires permission posts:delete");
    expect(del.statements[0]!.sql).toBe(`delete from "posts" where "posts"."id" = $1 returning "id"`);
    expect(del.statements[0]!.params).toEqual([{ placeholder: "$1", source: ":id" }]);
    expect(del.statements[0]!.indexes).toEqual([{ what: "primary key", table: "posts", column: "id", index: "posts_pkey" }]);
    expect(routes.find((x) => x.method === "POST" && x.path === "/posts")!.auth).toBe("requires role editor or admin");
    const list = routes.find((x) => x.method === "GET" && x.path === "/posts")!;
    expect(list.auth).toBe("public");
    expect(list.statements[0]!.optional).toEqual(["?id", "?title", "?published"]);
    const published = list.statements[0]!.indexes.find((i) => i.what === "?published")!;
    expect(published.index).toBeUndefined();
    expect(published.suggestion).toMatch(/add `indexed` to the field in yama\.yaml/);
  });

  it("reports a route filter that matches nothing", async () => {
    const r = await yamac("explain", "fixtures/auth", "GET /nothing-here");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`no route matches "GET /nothing-here"`);
  });

  it("--db plans every statement on a fresh PostgreSQL database: an unindexed search warns, an indexed lookup does not", async () => {
    const dir = await prepareProject("handlers");
    const db = await createDatabase("yamac_explain");
    try {
      const r = await yamac("explain", dir, "--db", db.url, "--json");
      expect(r.stderr).not.toContain("cannot");
      expect(r.status).toBe(0);
      const { plans } = JSON.parse(r.stdout) as { plans: { schema: string; plans: { route: string; statement: string; when: string; plan: string }[]; warnings: { route: string; when: string; scan: string; suggestion: string }[]; errors: unknown[] } };
      expect(plans.schema).toBe("migrated");
      expect(plans.errors).toEqual([]);
      // `name ilike '%…%'` cannot use the unique B-tree index on categories.name.
      const search = plans.warnings.filter((w) => w.route === "GET /categories/search");
      expect(search.map((w) => w.when)).toEqual(["?q"]);
      expect(search[0]!.scan).toMatch(/on categories/);
      expect(search[0]!.suggestion).toMatch(/pg_trgm/);
      // Lookups by a unique column and by the primary key use their indexes: no warning.
      expect(plans.warnings.filter((w) => w.route === "GET /products/by-sku/:sku" || w.route === "GET /products/:id")).toEqual([]);
      expect(plans.plans.find((p) => p.route === "GET /products/by-sku/:sku")!.plan).toContain("products_sku_unique");
      expect(plans.plans.find((p) => p.route === "GET /products/:id")!.plan).toContain("products_pkey");
      // A filter on a column without an index does warn, and says what to add to yama.yaml.
      const featured = plans.warnings.find((w) => w.route === "GET /products" && w.when === "?featured")!;
      expect(featured.suggestion).toMatch(/`featured: <type> indexed`/);

      // A second run finds the tables and uses them as they are.
      const again = await yamac("explain", dir, "GET /products/:id", "--db", db.url);
      expect(again.status).toBe(0);
      expect(again.stdout).toContain("database: using its existing tables");
      expect(again.stdout).toMatch(/plan \(always\): Index Scan on products using products_pkey/);
    } finally {
      await db.drop();
      removeProject(dir);
    }
  }, 120_000);

  it("--db pglite plans against an in-memory PGlite with the project's migrations", async () => {
    const dir = await prepareProject("handlers");
    try {
      const r = await yamac("explain", dir, "/categories", "--db", "pglite");
      expect(r.stderr).not.toContain("cannot");
      expect(r.status).toBe(0);
      expect(r.stdout).toContain("database: migrations applied");
      expect(r.stdout).toMatch(/warning: GET \/categories\/search \(select, \?q\)/);
    } finally {
      removeProject(dir);
    }
  }, 120_000);
});

describe("yamac explain and row policies", () => {
  const config = `name: owned
auth:
  providers:
    - { type: jwt, secret: "\${JWT_SECRET}" }
    - { type: basic, identifier: "\${ADMIN_USER}", password: "\${ADMIN_PASSWORD}", roles: [admin] }
  roles: { admin: { permissions: ["*"] }, member: { permissions: [] } }
policies:
  owner: { auth: { required: true }, where: { ownerId: auth.user.id } }
entities:
  Account: { fields: { id: uuid!, email: email! unique } }
  Project:
    fields: { id: uuid!, name: string!, owner: Account! cascade }
    crud:
      bulk: true
      policy: owner
      DELETE: { auth: { roles: [admin] } }
`;

  it("shows the policy's condition in every CRUD statement and names the policy in the auth line", () => {
    const compiled = compileText(config);
    expect(compiled.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const routes = explainProject(compiled.ir!);
    const route = (name: string) => routes.find((r) => `${r.method} ${r.path}` === name)!;
    const owned = `"projects"."owner_id" = $`;
    const callerId = "the caller's id (policy owner)";

    const patch = route("PATCH /projects/:id");
    expect(patch.auth).toBe("requires a signed-in caller; policy owner: only rows whose ownerId is the caller's id");
    expect(patch.statements[0]!.sql).toBe(`update "projects" set "name" = $1 where ("projects"."id" = $2 and "projects"."owner_id" = $3) returning "id", "name", "owner_id"`);
    expect(patch.statements[0]!.params).toEqual([{ placeholder: "$1", source: "body.name" }, { placeholder: "$2", source: ":id" }, { placeholder: "$3", source: callerId }]);
    expect(patch.statements[0]!.indexes.map((i) => `${i.what}: ${i.index}`)).toContain("policy owner: projects_owner_id_idx");

    // The method's own rule adds to the access check; the row condition stays.
    const del = route("DELETE /projects/:id");
    expect(del.auth).toBe("requires role admin; policy owner: only rows whose ownerId is the caller's id");
    expect(del.statements[0]!.sql).toBe(`delete from "projects" where ("projects"."id" = $1 and "projects"."owner_id" = $2) returning "id"`);

    for (const name of ["GET /projects", "GET /projects/:id", "PUT /projects/:id", "PATCH /projects/:id", "DELETE /projects/:id"]) {
      const r = route(name);
      for (const s of r.statements) {
        expect(s.sql, `${name}: ${s.label}`).toContain(owned);
        expect(s.params.map((p) => p.source), `${name}: ${s.label}`).toContain(callerId);
      }
    }
    // The list's filters cannot widen it: the policy is always applied, not only when sent.
    const list = route("GET /projects").statements[0]!;
    expect(list.sql).toContain(`where ("projects"."owner_id" = $1 and`);
    expect(list.optional).not.toContain(callerId);

    // Creates set the column from the caller; the body cannot name it.
    for (const name of ["POST /projects", "POST /projects/bulk"]) {
      const r = route(name);
      expect(r.auth).toBe("requires a signed-in caller; policy owner: sets ownerId to the caller's id");
      expect(r.statements[0]!.sql).toBe(`insert into "projects" ("id", "name", "owner_id") values (default, $1, $2) returning "id", "name", "owner_id"`);
      expect(r.statements[0]!.params.map((p) => p.source)).toEqual([name.endsWith("bulk") ? "body[i].name" : "body.name", callerId]);
    }
  });
});

describe("yamac explain shows what the emitted server sends", () => {
  const served = serveFixture("handlers");

  /** The statements the server's connections ran last, read while the server is idle. */
  async function serverStatements(): Promise<string[]> {
    const rows = await served.db.sql<{ query: string }[]>`select query from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`;
    return rows.map((r) => r.query.trim());
  }

  async function explained(route: string): Promise<JsonRoute> {
    const r = await yamac("explain", served.dir, route, "--json");
    expect(r.status).toBe(0);
    const routes = (JSON.parse(r.stdout) as { routes: JsonRoute[] }).routes;
    expect(routes.map((x) => `${x.method} ${x.path}`)).toEqual([route]);
    return routes[0]!;
  }

  it.each([
    ["GET /products/by-sku/:sku", "/products/by-sku/NOPE-1"],
    ["GET /products/:id", "/products/00000000-0000-4000-8000-000000000000"],
    ["GET /products/:id/reviews", "/products/00000000-0000-4000-8000-000000000000/reviews"],
  ])("%s", async (route, path) => {
    const res = await call(served.server.base, "GET", path);
    expect(res.status).toBe(404);
    const sent = await serverStatements();
    const shown = (await explained(route)).statements;
    // Every statement the request ran is one explain shows, character for character.
    expect(sent.some((q) => shown.some((s) => s.sql === q))).toBe(true);
  }, 60_000);
});
