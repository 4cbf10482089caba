/**
 * Declarative handlers end to end: fixtures/handlers (query, relation, aggregate, sql,
 * expression, templates, CRUD overrides) is compiled, migrated and served on PostgreSQL, and
 * every handler type is checked over HTTP, including hostile input: LIKE wildcards, quotes,
 * unicode and SQL-injection payloads through filters, sort parameters and sql placeholders.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkSqlHandlers } from "../check-db.js";
import { compileText } from "../index.js";
import { call, createDatabase, prepareProject, removeProject, type Reply, type RunningServer, startServer } from "./harness.js";

interface Product {
  id: string;
  sku: string;
  name: string;
  description: string | null;
  price: number;
  stock: number;
  featured: boolean;
  status: string;
  categoryId: string | null;
  createdAt: string;
}

interface Page<T> {
  data: T[];
  pagination: { type: string; limit: number; offset: number; hasNext: boolean; hasPrev: boolean };
}

const MISSING = "7b0c4a52-2b8e-4d47-9d0a-5f8a1e0c9b11";

describe("declarative handlers over HTTP on PostgreSQL", () => {
  let dir = "";
  let db: Awaited<ReturnType<typeof createDatabase>> | undefined;
  let server: RunningServer | undefined;
  const api = (method: string, path: string, json?: unknown) => call(server!.base, method, path, json);
  const get = async <T>(path: string): Promise<T> => {
    const res = await api("GET", path);
    expect(res.status, `${path}: ${res.text}`).toBe(200);
    return res.body as T;
  };
  const skus = (rows: { sku: string }[]) => rows.map((r) => r.sku);
  const products: Record<string, Product> = {};
  const ids: Record<string, string> = {};

  const create = async (path: string, json: unknown): Promise<Reply> => {
    const res = await api("POST", path, json);
    expect(res.status, `POST ${path}: ${res.text}`).toBe(201);
    return res;
  };

  beforeAll(async () => {
    dir = await prepareProject("handlers");
    db = await createDatabase("yamac_decl");
    server = await startServer(dir, { DATABASE_URL: db.url });

    ids.root = ((await create("/categories", { name: "Root" })).body as { id: string }).id;
    ids.kitchen = ((await create("/categories", { name: "Kitchen", parentId: ids.root })).body as { id: string }).id;
    const seed: [string, string, number, Record<string, unknown>][] = [
      ["COT-1", "100% cotton shirt", 25, { status: "active", featured: true, stock: 5, categoryId: ids.kitchen, description: "Soft, 100% cotton" }],
      ["AB-1", "a_b connector", 12.5, { status: "active", stock: 3, description: "joins a and b" }],
      ["QT-1", `O'Brien "quoted" mug`, 9.99, { status: "draft", stock: 0, categoryId: ids.kitchen }],
      ["UNI-1", "Crème brûlée torch 🍮", 42, { status: "active", stock: 7, featured: true, description: "caramelises sugar" }],
      ["BS-1", "back\\slash tool", 15, { status: "archived", stock: 2 }],
      ["PLN-1", "Plain Mug", 8, { status: "active", stock: 10, categoryId: ids.kitchen, description: "a plain mug" }],
    ];
    for (const [sku, name, price, rest] of seed) {
      const row = (await create("/products", { sku, name, price, ...rest })).body as Product;
      products[sku] = row;
    }
    for (const [sku, rating, body] of [["COT-1", 5, "Great 100% cotton"], ["COT-1", 3, "ok"], ["COT-1", 4, "nice_fit"], ["UNI-1", 2, "too hot"]] as const) {
      await create("/reviews", { productId: products[sku]!.id, rating, body });
    }
    ids.red = ((await create("/tags", { name: "red" })).body as { id: string }).id;
    ids.blue = ((await create("/tags", { name: "blue" })).body as { id: string }).id;
    ids.bright = ((await create("/tags", { name: "bright" })).body as { id: string }).id;
    await db.sql`INSERT INTO product_tags (product_id, tag_id) VALUES (${products["COT-1"]!.id}, ${ids.red!}), (${products["COT-1"]!.id}, ${ids.blue!}), (${products["UNI-1"]!.id}, ${ids.red!})`;
    // A soft-deleted product: gone for every handler.
    ids.gone = ((await create("/products", { sku: "GONE-1", name: "Gone mug", price: 5, status: "active", stock: 1 })).body as Product).id;
    expect((await api("DELETE", `/products/${ids.gone}`)).status).toBe(204);
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    removeProject(dir);
  });

  describe("type: query", () => {
    it("filters by the parameters sent, skips the others, and pages with the CRUD envelope", async () => {
      const all = await get<Page<Product>>("/products/search");
      expect(all.pagination).toEqual({ type: "offset", limit: 10, offset: 0, hasNext: false, hasPrev: false });
      expect(all.data).toHaveLength(6);
      expect(all.data[0]).not.toHaveProperty("cost");
      expect(all.data[0]).not.toHaveProperty("deletedAt");
      expect(typeof all.data[0]!.price).toBe("number");

      const active = await get<Page<Product>>("/products/search?status=active&sort=-price");
      expect(skus(active.data)).toEqual(["UNI-1", "COT-1", "AB-1", "PLN-1"]);
      const two = await get<Page<Product>>("/products/search?status=active,draft&sort=price");
      expect(skus(two.data)).toEqual(["PLN-1", "QT-1", "AB-1", "COT-1", "UNI-1"]);
      const range = await get<Page<Product>>("/products/search?minPrice=10&maxPrice=25&sort=price");
      expect(skus(range.data)).toEqual(["AB-1", "BS-1", "COT-1"]);
      expect(skus((await get<Page<Product>>("/products/search?minPrice=40")).data)).toEqual(["UNI-1"]);
      expect(skus((await get<Page<Product>>("/products/search?maxPrice=9&sort=price")).data)).toEqual(["PLN-1"]);
      expect(skus((await get<Page<Product>>("/products/search?featured=true&sort=sku")).data)).toEqual(["COT-1", "UNI-1"]);
      expect(skus((await get<Page<Product>>("/products/search?q=MUG&sort=sku")).data)).toEqual(["PLN-1", "QT-1"]);
    });

    it("pages: limit, offset, hasNext and hasPrev", async () => {
      const first = await get<Page<Product>>("/products/search?sort=sku&limit=2");
      expect(skus(first.data)).toEqual(["AB-1", "BS-1"]);
      expect(first.pagination).toMatchObject({ limit: 2, offset: 0, hasNext: true, hasPrev: false });
      const last = await get<Page<Product>>("/products/search?sort=sku&limit=2&offset=4");
      expect(skus(last.data)).toEqual(["QT-1", "UNI-1"]);
      expect(last.pagination).toMatchObject({ limit: 2, offset: 4, hasNext: false, hasPrev: true });
      expect((await api("GET", "/products/search?limit=51")).status).toBe(400);
      expect((await api("GET", "/products/search?limit=0")).status).toBe(400);
    });

    it("matches %, _, \\, quotes and unicode literally in LIKE and ILIKE", async () => {
      const q = async (text: string) => skus((await get<Page<Product>>(`/products/search?sort=sku&q=${encodeURIComponent(text)}`)).data);
      expect(await q("%")).toEqual(["COT-1"]);
      expect(await q("100%")).toEqual(["COT-1"]);
      expect(await q("_")).toEqual(["AB-1"]);
      expect(await q("a_b")).toEqual(["AB-1"]);
      expect(await q("\\")).toEqual(["BS-1"]);
      expect(await q("'")).toEqual(["QT-1"]);
      expect(await q(`"quoted"`)).toEqual(["QT-1"]);
      expect(await q("brûlée")).toEqual(["UNI-1"]);
      expect(await q("🍮")).toEqual(["UNI-1"]);
      expect(await q("%%")).toEqual([]);
      // like is case-sensitive; startsWith, endsWith and contains match literally too.
      const match = async (qs: string) => skus(await get<Product[]>(`/products/match?order=sku&${qs}`));
      expect(await match("like=Mug")).toEqual(["PLN-1"]);
      expect(await match("like=mug")).toEqual(["QT-1"]);
      expect(await match(`prefix=${encodeURIComponent("COT")}`)).toEqual(["COT-1"]);
      expect(await match(`prefix=${encodeURIComponent("_")}`)).toEqual([]);
      expect(await match(`suffix=${encodeURIComponent("connector")}`)).toEqual(["AB-1"]);
      expect(await match(`text=${encodeURIComponent("100%")}`)).toEqual(["COT-1"]);
    });

    it("keeps SQL-injection payloads in filters, lists and sort parameters as plain values", async () => {
      for (const payload of ["' OR 1=1 --", "'; DROP TABLE products; --", "%' OR '1'='1", "\\'; SELECT pg_sleep(5); --"]) {
        const res = await get<Page<Product>>(`/products/search?q=${encodeURIComponent(payload)}`);
        expect(res.data).toEqual([]);
        const listed = await get<Page<Product>>(`/products/search?status=${encodeURIComponent(`active') OR ('1'='1,${payload}`)}`);
        expect(listed.data).toEqual([]);
      }
      for (const sort of ["name; DROP TABLE products", "price)--", "(select 1)", "-name,id desc"]) {
        const res = await api("GET", `/products/search?sort=${encodeURIComponent(sort)}`);
        expect(res.status, sort).toBe(400);
        expect(res.body).toMatchObject({ error: { code: "VALIDATION_QUERY" } });
      }
      expect((await api("GET", `/products/search?minPrice=${encodeURIComponent("1 OR 1=1")}`)).status).toBe(400);
      expect((await api("GET", "/products/search?unknown=1")).status).toBe(400);
      expect((await get<Page<Product>>("/products/search")).data).toHaveLength(6);
    });

    it("returns one row for a single response, or 404", async () => {
      expect(await get<Product>("/products/by-sku/AB-1")).toMatchObject({ sku: "AB-1", name: "a_b connector", price: 12.5 });
      expect((await api("GET", "/products/by-sku/NOPE")).status).toBe(404);
      expect((await api("GET", "/products/by-sku/GONE-1")).status).toBe(404);
      expect((await api("GET", `/products/by-sku/${encodeURIComponent("' OR '1'='1")}`)).status).toBe(404);
    });

    it("applies constant filters and a static order", async () => {
      const rows = await get<Product[]>("/products/cheap");
      expect(Array.isArray(rows)).toBe(true);
      // price < 20, not archived, in stock; by price.
      expect(skus(rows)).toEqual(["PLN-1", "AB-1"]);
    });

    it("compiles notIn, isNull from a boolean, ranges and a default order", async () => {
      const rows = await get<Product[]>("/products/match");
      expect(skus(rows)).toEqual(["UNI-1", "COT-1", "AB-1", "QT-1", "PLN-1"]);
      expect(skus(await get<Product[]>("/products/match?exclude=draft,archived&order=sku"))).toEqual(["AB-1", "COT-1", "PLN-1", "UNI-1"]);
      expect(skus(await get<Product[]>("/products/match?uncategorized=true&order=sku"))).toEqual(["AB-1", "UNI-1"]);
      expect(skus(await get<Product[]>("/products/match?uncategorized=false&order=sku"))).toEqual(["COT-1", "PLN-1", "QT-1"]);
      expect(skus(await get<Product[]>("/products/match?stockAbove=3&stockAtMost=7&order=sku"))).toEqual(["COT-1", "UNI-1"]);
      expect(skus(await get<Product[]>("/products/match?priceFrom=12.5&order=price"))).toEqual(["AB-1", "COT-1", "UNI-1"]);
      expect((await api("GET", "/products/match?order=cost")).status).toBe(400);
    });

    it("reads filters from the JSON body; null and missing values are skipped", async () => {
      const res = await api("POST", "/products/find", { name: "MUG", statuses: ["active", "draft"], before: new Date(Date.now() + 60_000).toISOString() });
      expect(res.status, res.text).toBe(200);
      expect(skus(res.body as Product[]).sort()).toEqual(["PLN-1", "QT-1"]);
      const all = await api("POST", "/products/find", { name: null });
      expect((all.body as Product[]).length).toBe(6);
      const none = await api("POST", "/products/find", { before: "2000-01-01T00:00:00Z" });
      expect(none.body).toEqual([]);
      expect((await api("POST", "/products/find", { statuses: "active" })).status).toBe(400);
    });
  });

  describe("type: relation", () => {
    it("hasMany: the parent's rows in order, paginated; 404 for a missing or deleted parent", async () => {
      const page = await get<Page<{ rating: number; productId: string }>>(`/products/${products["COT-1"]!.id}/reviews`);
      expect(page.data.map((r) => r.rating)).toEqual([5, 4, 3]);
      expect(page.pagination).toMatchObject({ type: "offset", limit: 20, offset: 0, hasNext: false });
      const second = await get<Page<{ rating: number }>>(`/products/${products["COT-1"]!.id}/reviews?limit=1&offset=1`);
      expect(second.data.map((r) => r.rating)).toEqual([4]);
      expect(second.pagination).toMatchObject({ hasNext: true, hasPrev: true });
      expect((await get<Page<unknown>>(`/products/${products["PLN-1"]!.id}/reviews`)).data).toEqual([]);
      const missing = await api("GET", `/products/${MISSING}/reviews`);
      expect(missing.status).toBe(404);
      expect(missing.body).toMatchObject({ error: { code: "NOT_FOUND" } });
      expect((await api("GET", `/products/${ids.gone}/reviews`)).status).toBe(404);
      expect((await api("GET", "/products/not-a-uuid/reviews")).status).toBe(400);
    });

    it("belongsTo: the related row, 404 when the parent or the related row is missing", async () => {
      expect(await get<{ id: string; name: string }>(`/products/${products["COT-1"]!.id}/category`)).toEqual({ id: ids.kitchen, name: "Kitchen", parentId: ids.root });
      const none = await api("GET", `/products/${products["AB-1"]!.id}/category`);
      expect(none.status).toBe(404);
      expect((none.body as { error: { message: string } }).error.message).toMatch(/has no category/);
      expect((await api("GET", `/products/${MISSING}/category`)).status).toBe(404);
      // The same entity on both sides (Category.parent).
      expect(await get<{ name: string }>(`/categories/${ids.kitchen}/parent`)).toMatchObject({ id: ids.root, name: "Root" });
      expect((await api("GET", `/categories/${ids.root}/parent`)).status).toBe(404);
    });

    it("manyToMany: rows through the junction, from either side", async () => {
      expect((await get<{ name: string }[]>(`/products/${products["COT-1"]!.id}/tags`)).map((t) => t.name)).toEqual(["blue", "red"]);
      expect(await get<unknown[]>(`/products/${products["PLN-1"]!.id}/tags`)).toEqual([]);
      expect(skus(await get<Product[]>(`/tags/${ids.red}/products?sort=-price`))).toEqual(["UNI-1", "COT-1"]);
      expect((await api("GET", `/tags/${ids.red}/products?sort=${encodeURIComponent("price; DROP TABLE tags")}`)).status).toBe(400);
      expect((await api("GET", `/tags/${MISSING}/products`)).status).toBe(404);
    });
  });

  describe("type: aggregate", () => {
    it("returns numbers, not strings", async () => {
      const stats = await get<Record<string, unknown>>("/products/stats");
      expect(stats).toEqual({ total: 6, avgPrice: expect.any(Number), totalStock: 27, cheapest: 8, newest: expect.any(String) });
      expect(stats.avgPrice as number).toBeCloseTo((25 + 12.5 + 9.99 + 42 + 15 + 8) / 6, 6);
      expect(await get("/products/stats?status=active")).toMatchObject({ total: 4, totalStock: 25, cheapest: 8 });
      expect(await get("/products/stats?status=archived")).toMatchObject({ total: 1, avgPrice: 15, totalStock: 2 });
    });

    it("aggregates over no rows: count 0, sum 0, avg/min/max null", async () => {
      await db!.sql`UPDATE products SET status = 'draft' WHERE status = 'archived'`;
      try {
        expect(await get("/products/stats?status=archived")).toEqual({ total: 0, avgPrice: null, totalStock: 0, cheapest: null, newest: null });
      } finally {
        await db!.sql`UPDATE products SET status = 'archived' WHERE sku = 'BS-1'`;
      }
      expect((await api("GET", "/products/stats?status=bogus")).status).toBe(400);
    });

    it("groups with groupBy, ordered by the group", async () => {
      expect(await get("/products/stats/by-status")).toEqual([
        { status: "active", products: 4, stock: 25 },
        { status: "archived", products: 1, stock: 2 },
        { status: "draft", products: 1, stock: 0 },
      ]);
      expect(await get("/products/stats/by-status?featured=true")).toEqual([{ status: "active", products: 2, stock: 12 }]);
    });
  });

  describe("handler templates", () => {
    it("expands handlerTemplates with their parameters", async () => {
      const reviews = await get<Page<{ rating: number; body: string }>>("/reviews/search?minRating=3");
      expect(reviews.data.map((r) => r.rating)).toEqual([5, 4, 3]);
      expect((await get<Page<{ body: string }>>(`/reviews/search?q=${encodeURIComponent("_")}`)).data.map((r) => r.body)).toEqual(["nice_fit"]);
      const categories = await get<Page<{ name: string }>>("/categories/search?q=itch");
      expect(categories.data.map((c) => c.name)).toEqual(["Kitchen"]);
      expect(categories.pagination.type).toBe("offset");
      expect(await get("/reviews/count")).toEqual([{ total: 4 }]);
    });

    it("crudOverrides: create-with-validation adds its checks to the CRUD create", async () => {
      const bad = await api("POST", "/products", { sku: "bad sku", name: "X", price: -1, stock: -5 });
      expect(bad.status).toBe(400);
      const details = (bad.body as { error: { details: { field: string; rule: string; message: string }[] } }).error.details;
      expect(details).toEqual(expect.arrayContaining([
        expect.objectContaining({ field: "price", rule: "min" }),
        expect.objectContaining({ field: "stock", rule: "min" }),
        expect.objectContaining({ field: "sku", rule: "pattern", message: "must be upper-case letters, digits and dashes" }),
      ]));
      const schema = await api("POST", "/products", { sku: "OK-2", price: 3 });
      expect(schema.status).toBe(400);
      const ok = await api("POST", "/products", { sku: "OK-2", name: "Fine", price: 3 });
      expect(ok.status).toBe(201);
      expect(ok.body).toMatchObject({ sku: "OK-2", price: 3, stock: 0 });
      expect(ok.body).not.toHaveProperty("cost");
    });

    it("crudOverrides: update-with-validation on PATCH, 404 for a missing row", async () => {
      const id = products["PLN-1"]!.id;
      const bad = await api("PATCH", `/products/${id}`, { name: "x" });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ error: { details: [expect.objectContaining({ field: "name", rule: "minLength" })] } });
      const ok = await api("PATCH", `/products/${id}`, { stock: 11 });
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ sku: "PLN-1", stock: 11 });
      expect((await api("PATCH", `/products/${MISSING}`, { stock: 1 })).status).toBe(404);
      await api("PATCH", `/products/${id}`, { stock: 10 });
    });

    it("crudOverrides at the top level replace a CRUD list with a query handler", async () => {
      expect((await get<{ name: string }[]>("/tags")).map((t) => t.name)).toEqual(["blue", "bright", "red"]);
      expect((await get<{ name: string }[]>("/tags?prefix=b")).map((t) => t.name)).toEqual(["blue", "bright"]);
      expect((await api("GET", "/tags?limit=1")).status).toBe(400);
      // The other CRUD routes of Tag are untouched.
      expect((await api("GET", `/tags/${ids.red}`)).body).toMatchObject({ name: "red" });
    });
  });

  describe("type: sql", () => {
    it("binds placeholders as parameters", async () => {
      const rows = await get<{ sku: string; price: number }[]>("/reports/expensive?minPrice=15");
      expect(rows).toEqual([
        { sku: "UNI-1", name: "Crème brûlée torch 🍮", price: 42 },
        { sku: "COT-1", name: "100% cotton shirt", price: 25 },
        { sku: "BS-1", name: "back\\slash tool", price: 15 },
      ]);
      expect(skus(await get<{ sku: string }[]>("/reports/expensive?minPrice=0&name=cotton"))).toEqual(["COT-1"]);
      expect((await api("GET", "/reports/expensive")).status).toBe(400);
    });

    it("never splices values into the statement", async () => {
      for (const name of ["'; DROP TABLE products; --", "x' OR '1'='1", "$1", ":minPrice", "${query.minPrice}"]) {
        expect(await get(`/reports/expensive?minPrice=0&name=${encodeURIComponent(name)}`), name).toEqual([]);
      }
      const res = await api("POST", "/reports/by-sku", { sku: "' OR '1'='1" });
      expect(res.status).toBe(200);
      expect(res.body).toEqual([]);
      expect((await api("POST", "/reports/by-sku", { sku: "AB-1" })).body).toEqual([{ sku: "AB-1", name: "a_b connector" }]);
      expect((await db!.sql`SELECT count(*)::int AS n FROM products`)[0]!.n).toBe(8);
    });

    it("returns one object for a single response", async () => {
      expect(await get("/reports/summary")).toEqual({ products: 7, reviews: 4 });
    });
  });

  describe("type: expression and type: file", () => {
    it("runs inline TypeScript with the typed ctx", async () => {
      expect(await get(`/products/${products["AB-1"]!.id}/label`)).toEqual({ sku: "AB-1", label: "a_b connector ($12.50)" });
      const missing = await api("GET", `/products/${MISSING}/label`);
      expect(missing.status).toBe(404);
      expect(missing.body).toMatchObject({ error: { code: "NOT_FOUND" } });
      expect(await get("/products/count?status=archived")).toEqual({ count: 1 });
    });

    it("runs a file handler named with type: file", async () => {
      expect(await get("/hello")).toEqual({ hello: "world", products: 7 });
    });
  });

  describe("yamac check --db", () => {
    it("prepares every sql handler against the database", async () => {
      const text = readFileSync(join(dir, "yama.yaml"), "utf8");
      const compiled = compileText(text);
      expect(compiled.ok).toBe(true);
      expect(await checkSqlHandlers(compiled.ir!, db!.url)).toEqual([]);
    });

    it("reports PostgreSQL's error at its line and column in yama.yaml", async () => {
      const config = `entities:
  Product:
    fields:
      id: uuid!
      price: number!
endpoints:
  - path: /broken
    method: GET
    handler:
      type: sql
      query: |
        SELECT id
        FROM products
        WHERE price > :min AND colour = 'red'
    query:
      min: number!
`;
      const compiled = compileText(config);
      expect(compiled.ok).toBe(true);
      const problems = await checkSqlHandlers(compiled.ir!, db!.url);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ code: "sql-error", location: { line: 14, col: 32 } });
      expect(problems[0]!.message).toMatch(/column "colour" does not exist/);
    });
  });
});
