/**
 * End to end: fixtures/shop is compiled into a fresh folder, its migrations are generated, and
 * the emitted server is started as a child process, once on PGlite and once on PostgreSQL.
 * Every test talks to it over HTTP only (plus direct SQL on PostgreSQL, to see what HTTP hides).
 */
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileProject } from "../index.js";
import { createDatabase, ROOT, type RunningServer, startServer } from "./harness.js";
import { generateProjectMigration } from "../migrate/generate.js";


let projectDir = "";

beforeAll(async () => {
  mkdirSync(join(ROOT, ".yama"), { recursive: true });
  projectDir = mkdtempSync(join(ROOT, ".yama", "e2e-"));
  copyFileSync(join(ROOT, "fixtures/shop/yama.yaml"), join(projectDir, "yama.yaml"));
  const compiled = compileProject(projectDir);
  expect(compiled.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  expect(compiled.ok).toBe(true);
  const migration = await generateProjectMigration(projectDir, { folder: "drizzle", allowDestructive: false });
  expect(migration.file).toBe("drizzle/0000_init.sql");
});

afterAll(() => {
  if (projectDir) rmSync(projectDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Helpers

interface Res {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body, undefined when empty or not JSON. */
  body: any;
}

interface CallOptions {
  /** Sent as JSON. */
  json?: unknown;
  /** Sent verbatim. */
  raw?: string;
  headers?: Record<string, string>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MISSING_ID = "7b0c4a52-2b8e-4d47-9d0a-5f8a1e0c9b11";
const uid = () => randomBytes(4).toString("hex");

function expectError(res: Res, status: number, code: string, details: Record<string, string> = {}): void {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  expect(Object.keys(res.body)).toEqual(["error"]);
  const error = res.body.error;
  expect(Object.keys(error).every((k) => ["code", "message", "details", "requestId"].includes(k)), JSON.stringify(error)).toBe(true);
  expect(error.code).toBe(code);
  expect(typeof error.message).toBe("string");
  expect(error.message.length).toBeGreaterThan(0);
  // Every error body names its request; this app has no observability plugin, so no X-Request-ID header.
  expect(typeof error.requestId === "string" && error.requestId.length > 0).toBe(true);
  expect(res.headers.get("x-request-id")).toBeNull();
  if (error.details !== undefined) expect(Array.isArray(error.details) && error.details.length > 0).toBe(true);
  for (const [field, rule] of Object.entries(details)) {
    expect(error.details, `detail ${field}/${rule} in ${res.text}`).toContainEqual(expect.objectContaining({ field, rule }));
  }
}

// ---------------------------------------------------------------------------------------------

interface Backend {
  name: "pglite" | "postgres";
}

describe.each<Backend>([{ name: "pglite" }, { name: "postgres" }])("shop over HTTP on $name", ({ name }) => {
  let server: RunningServer | undefined;
  let base = "";
  let database: Awaited<ReturnType<typeof createDatabase>> | undefined;
  let sql: postgres.Sql | undefined;

  beforeAll(async () => {
    const env: Record<string, string> = {};
    if (name === "postgres") {
      database = await createDatabase("yamac_e2e");
      env.DATABASE_URL = database.url;
      sql = database.sql;
    } else {
      env.YAMA_DATA_DIR = join(projectDir, `.data-${uid()}`);
    }
    server = await startServer(projectDir, env);
    base = server.base;
  });

  afterAll(async () => {
    await server?.stop();
    await database?.drop();
  });

  /** One request; any 5xx fails the test on the spot. */
  async function call(method: string, path: string, options: CallOptions = {}): Promise<Res> {
    const headers: Record<string, string> = { ...options.headers };
    let body: string | undefined = options.raw;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers["content-type"] ??= "application/json";
    }
    const response = await fetch(`${base}${path}`, { method, headers, body, redirect: "manual" });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    expect(response.status, `${method} ${path} → ${response.status} ${text}`).toBeLessThan(500);
    return { status: response.status, headers: response.headers, text, body: parsed };
  }

  const post = (path: string, json: unknown) => call("POST", path, { json });

  let skuCounter = 0;
  async function createProduct(fields: Record<string, unknown> = {}) {
    const res = await post("/products", { sku: `sku-${uid()}-${skuCounter++}`, name: "A product", price: 10, ...fields });
    expect(res.status, res.text).toBe(201);
    return res.body;
  }
  async function createCategory(fields: Record<string, unknown> = {}) {
    const tag = uid();
    const res = await post("/categories", { name: `Category ${tag}`, slug: `category-${tag}`, ...fields });
    expect(res.status, res.text).toBe(201);
    return res.body;
  }
  async function createReview(productId: string, fields: Record<string, unknown> = {}) {
    const res = await post("/reviews", { productId, rating: 4, authorEmail: `r-${uid()}@example.com`, ...fields });
    expect(res.status, res.text).toBe(201);
    return res.body;
  }

  describe("create and read", () => {
    it("POST answers 201 with the row and its defaults; GET returns the same row", async () => {
      const res = await post("/products", { sku: `new-${uid()}`, name: "Widget", price: 9.5 });
      expect(res.status).toBe(201);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      const row = res.body;
      expect(Object.keys(row).sort()).toEqual(["categoryId", "createdAt", "description", "featured", "id", "name", "price", "sku", "status", "stock", "updatedAt"]);
      expect(row).toMatchObject({ name: "Widget", price: 9.5, description: null, stock: 0, featured: false, status: "draft", categoryId: null });
      expect(row.id).toMatch(UUID);
      expect(new Date(row.createdAt).toISOString()).toBe(row.createdAt);
      expect(row.updatedAt).toBe(row.createdAt);

      const got = await call("GET", `/products/${row.id}`);
      expect(got.status).toBe(200);
      expect(got.body).toEqual(row);
    });

    it("stores every writable field as sent", async () => {
      const category = await createCategory();
      const row = await createProduct({ description: "Long text", price: 12.34, stock: 3, featured: true, status: "active", categoryId: category.id });
      expect(row).toMatchObject({ description: "Long text", price: 12.34, stock: 3, featured: true, status: "active", categoryId: category.id });
      const review = await createReview(row.id, { title: "Good", body: "Really good", verified: true, rating: 5 });
      expect(review).toMatchObject({ productId: row.id, rating: 5, title: "Good", body: "Really good", verified: true });
      expect((await call("GET", `/reviews/${review.id}`)).body).toEqual(review);
    });

    it("a full CRUD cycle on a hard-deleted entity (Tag)", async () => {
      const created = await post("/tags", { name: `tag-${uid()}` });
      expect(created.status).toBe(201);
      const id = created.body.id;
      const renamed = `tag-${uid()}`;
      const put = await call("PUT", `/tags/${id}`, { json: { name: renamed } });
      expect(put.status).toBe(200);
      expect(put.body).toEqual({ id, name: renamed });
      const patched = await call("PATCH", `/tags/${id}`, { json: { name: `${renamed}-x` } });
      expect(patched.status).toBe(200);
      expect(patched.body.name).toBe(`${renamed}-x`);
      const listed = await call("GET", `/tags?name=${renamed}-x`);
      expect(listed.body.data).toEqual([patched.body]);
      const deleted = await call("DELETE", `/tags/${id}`);
      expect(deleted.status).toBe(204);
      expect(deleted.text).toBe("");
      expectError(await call("GET", `/tags/${id}`), 404, "NOT_FOUND");
      expectError(await call("DELETE", `/tags/${id}`), 404, "NOT_FOUND");
    });
  });

  describe("request validation", () => {
    it("names every missing required field and every unknown field", async () => {
      const res = await post("/products", { colour: "red" });
      expectError(res, 400, "VALIDATION_BODY", { sku: "required", name: "required", price: "required", colour: "unknown_field" });
      expect(res.body.error.details).toHaveLength(4);
    });

    it("rejects values of the wrong type, range, length or format, one detail per field", async () => {
      const res = await post("/products", { sku: "ab", name: "x", price: "9.5", stock: 1.5, featured: "yes", status: "gone", categoryId: "nope" });
      expectError(res, 400, "VALIDATION_BODY", { sku: "too_small", name: "too_small", price: "invalid_type", stock: "invalid_type", featured: "invalid_type", status: "invalid_value", categoryId: "invalid_format" });
      expect(res.body.error.details).toHaveLength(7);
      expectError(await post("/products", { sku: `neg-${uid()}`, name: "Negative", price: -1 }), 400, "VALIDATION_BODY", { price: "too_small" });
      expectError(await post("/products", { sku: `big-${uid()}`, name: "Too expensive", price: 1e8 }), 400, "VALIDATION_BODY", { price: "too_big" });
      expectError(await post("/products", { sku: `int-${uid()}`, name: "Stock", price: 1, stock: 2 ** 31 }), 400, "VALIDATION_BODY", { stock: "too_big" });
      expectError(await post("/products", { sku: "x".repeat(33), name: "Long sku", price: 1 }), 400, "VALIDATION_BODY", { sku: "too_big" });
      const product = await createProduct();
      expectError(await post("/reviews", { productId: product.id, rating: 6, authorEmail: "not-an-email" }), 400, "VALIDATION_BODY", { rating: "too_big", authorEmail: "invalid_format" });
      expectError(await post("/categories", { name: "Bad slug", slug: "Not A Slug" }), 400, "VALIDATION_BODY", { slug: "invalid_format" });
    });

    it("null for a required field is rejected; null for an optional field is accepted", async () => {
      expectError(await post("/products", { sku: `n-${uid()}`, name: null, price: 1 }), 400, "VALIDATION_BODY", { name: "invalid_type" });
      const row = await createProduct({ description: null, categoryId: null });
      expect(row).toMatchObject({ description: null, categoryId: null });
    });

    it("malformed JSON, an empty body, a non-object body and a non-JSON body are 400s", async () => {
      const json = { "content-type": "application/json" };
      expectError(await call("POST", "/products", { raw: '{"sku": "abc",', headers: json }), 400, "VALIDATION_BODY");
      expectError(await call("POST", "/products", { raw: "", headers: json }), 400, "VALIDATION_BODY");
      expectError(await call("POST", "/products", { raw: "   \n", headers: json }), 400, "VALIDATION_BODY");
      expectError(await call("POST", "/products"), 400, "VALIDATION_BODY");
      for (const raw of ["[1, 2]", "null", "42", '"text"', "true"]) {
        expectError(await call("POST", "/products", { raw, headers: json }), 400, "VALIDATION_BODY");
      }
      expectError(await call("POST", "/products", { raw: "sku=abc&name=x&price=1", headers: { "content-type": "application/x-www-form-urlencoded" } }), 400, "VALIDATION_BODY");
      expectError(await call("POST", "/products", { raw: "hello", headers: { "content-type": "text/plain" } }), 400, "VALIDATION_BODY");
      const product = await createProduct();
      expectError(await call("PATCH", `/products/${product.id}`, { raw: "{oops", headers: json }), 400, "VALIDATION_BODY");
      expectError(await call("PUT", `/products/${product.id}`, { raw: "", headers: json }), 400, "VALIDATION_BODY");
    });

    it("a malformed id is a 400 before any query; a well-formed unknown id is a 404", async () => {
      for (const method of ["GET", "PUT", "PATCH", "DELETE"]) {
        const body = method === "PUT" || method === "PATCH" ? { json: { name: "Whatever" } } : {};
        expectError(await call(method, "/products/not-a-uuid", body), 400, "VALIDATION_PARAMS", { id: "invalid_format" });
      }
      expectError(await call("GET", "/products/12345"), 400, "VALIDATION_PARAMS", { id: "invalid_format" });
      expectError(await call("GET", `/products/${MISSING_ID}x`), 400, "VALIDATION_PARAMS", { id: "invalid_format" });
      expectError(await call("GET", `/products/${MISSING_ID}`), 404, "NOT_FOUND");
      expectError(await call("PUT", `/products/${MISSING_ID}`, { json: { sku: `m-${uid()}`, name: "Missing", price: 1 } }), 404, "NOT_FOUND");
      expectError(await call("PATCH", `/products/${MISSING_ID}`, { json: { stock: 1 } }), 404, "NOT_FOUND");
      expectError(await call("PATCH", `/products/${MISSING_ID}`, { json: {} }), 404, "NOT_FOUND");
      expectError(await call("PATCH", `/reviews/${MISSING_ID}`, { json: {} }), 404, "NOT_FOUND");
      expectError(await call("DELETE", `/products/${MISSING_ID}`), 404, "NOT_FOUND");
      expectError(await call("DELETE", `/categories/${MISSING_ID}`), 404, "NOT_FOUND");
      expectError(await call("GET", `/reviews/${MISSING_ID.toUpperCase()}`), 404, "NOT_FOUND");
    });

    it("unknown routes and methods a resource does not have are 404 NOT_FOUND", async () => {
      expectError(await call("GET", "/nothing-here"), 404, "NOT_FOUND");
      expectError(await call("GET", "/products/1/2/3"), 404, "NOT_FOUND");
      expectError(await call("POST", "/products/extra", { json: {} }), 404, "NOT_FOUND");
      // Category only has GET, POST and DELETE.
      const category = await createCategory();
      expectError(await call("PUT", `/categories/${category.id}`, { json: { name: "Renamed", slug: "renamed" } }), 404, "NOT_FOUND");
      expectError(await call("PATCH", `/categories/${category.id}`, { json: { name: "Renamed" } }), 404, "NOT_FOUND");
      expect((await call("GET", `/categories/${category.id}`)).body).toEqual(category);
    });
  });

  describe("database constraints", () => {
    it("a unique violation is 409 CONFLICT, on insert and on update", async () => {
      const sku = `dup-${uid()}`;
      await createProduct({ sku });
      expectError(await post("/products", { sku, name: "Again", price: 1 }), 409, "CONFLICT", { sku: "unique" });
      const other = await createProduct();
      expectError(await call("PATCH", `/products/${other.id}`, { json: { sku } }), 409, "CONFLICT");
      // A composite unique index: one review per product and author.
      const review = await createReview(other.id);
      expectError(await post("/reviews", { productId: other.id, rating: 1, authorEmail: review.authorEmail }), 409, "CONFLICT");
      const category = await createCategory();
      expectError(await post("/categories", { name: category.name, slug: `s-${uid()}` }), 409, "CONFLICT");
    });

    it("a reference to a missing row is 422 VALIDATION_REFERENCE", async () => {
      expectError(await post("/reviews", { productId: MISSING_ID, rating: 3, authorEmail: "a@example.com" }), 422, "VALIDATION_REFERENCE", { productId: "foreign_key" });
      // (Category does not soft-delete: the database's foreign key refuses this one, and the answer names the field too.)
      expectError(await post("/products", { sku: `fk-${uid()}`, name: "Orphan", price: 1, categoryId: MISSING_ID }), 422, "VALIDATION_REFERENCE", { categoryId: "foreign_key" });
      const product = await createProduct();
      const review = await createReview(product.id);
      expectError(await call("PATCH", `/reviews/${review.id}`, { json: { productId: MISSING_ID } }), 422, "VALIDATION_REFERENCE");
      expectError(await call("PUT", `/products/${product.id}`, { json: { sku: product.sku, name: "Product", price: 1, categoryId: MISSING_ID } }), 422, "VALIDATION_REFERENCE");
      expectError(await post("/categories", { name: `Child ${uid()}`, slug: `child-${uid()}`, parentId: MISSING_ID }), 422, "VALIDATION_REFERENCE");
    });

    it("deleting a category sets products.categoryId and child categories' parentId to null", async () => {
      const parent = await createCategory();
      const child = await createCategory({ parentId: parent.id });
      const product = await createProduct({ categoryId: parent.id });
      const deleted = await call("DELETE", `/categories/${parent.id}`);
      expect(deleted.status).toBe(204);
      expect(deleted.text).toBe("");
      expectError(await call("GET", `/categories/${parent.id}`), 404, "NOT_FOUND");
      expect((await call("GET", `/products/${product.id}`)).body.categoryId).toBeNull();
      expect((await call("GET", `/categories/${child.id}`)).body.parentId).toBeNull();
    });

    it.runIf(name === "postgres")("deleting a product row cascades to its reviews", async () => {
      const product = await createProduct();
      const reviews = [await createReview(product.id), await createReview(product.id)];
      const other = await createReview((await createProduct()).id);
      await sql!`DELETE FROM products WHERE id = ${product.id}`;
      for (const review of reviews) expectError(await call("GET", `/reviews/${review.id}`), 404, "NOT_FOUND");
      expect((await call("GET", `/reviews?productId=${product.id}`)).body.data).toEqual([]);
      expect((await call("GET", `/reviews/${other.id}`)).status).toBe(200);
    });
  });

  describe("lists", () => {
    // 25 products in their own category, so the list can be isolated with ?categoryId=.
    let category: { id: string };
    let items: { id: string; name: string; price: number; featured: boolean; status: string }[] = [];

    beforeAll(async () => {
      category = await createCategory();
      items = [];
      for (let i = 1; i <= 25; i++) {
        items.push(
          await createProduct({
            name: `Item ${String(i).padStart(2, "0")}`,
            price: (i % 5) * 10 + 0.5,
            featured: i % 3 === 0,
            status: i % 4 === 0 ? "active" : i % 4 === 1 ? "draft" : "archived",
            categoryId: category.id,
          }),
        );
      }
    });

    const list = (query: string) => call("GET", `/products?categoryId=${category.id}${query ? `&${query}` : ""}`);

    it("pages through all rows without overlap; hasNext/hasPrev and total are right", async () => {
      const seen: string[] = [];
      let offset = 0;
      let pages = 0;
      for (;;) {
        const res = await list(`limit=7&offset=${offset}&count=true`);
        expect(res.status).toBe(200);
        const { data, pagination } = res.body;
        pages++;
        expect(pagination).toEqual({ type: "offset", limit: 7, offset, hasNext: offset + 7 < 25, hasPrev: offset > 0, total: 25 });
        expect(data.length).toBe(Math.min(7, 25 - offset));
        seen.push(...data.map((r: { id: string }) => r.id));
        if (!pagination.hasNext) break;
        offset += 7;
      }
      expect(pages).toBe(4);
      expect(new Set(seen).size).toBe(25);
      expect(new Set(seen)).toEqual(new Set(items.map((r) => r.id)));
      // Without ?sort the order is the primary key.
      expect(seen).toEqual([...seen].sort());
    });

    it("uses the configured default limit, omits total unless asked, and pages past the end are empty", async () => {
      const first = await list("");
      expect(first.body.data).toHaveLength(10);
      expect(first.body.pagination).toEqual({ type: "offset", limit: 10, offset: 0, hasNext: true, hasPrev: false });
      const max = await list("limit=50");
      expect(max.body.data).toHaveLength(25);
      expect(max.body.pagination.hasNext).toBe(false);
      const past = await list("offset=100&count=true");
      expect(past.body.data).toEqual([]);
      expect(past.body.pagination).toMatchObject({ hasNext: false, hasPrev: true, total: 25 });
      const everything = await call("GET", "/products?count=true&limit=1");
      expect(everything.body.pagination.total).toBeGreaterThanOrEqual(25);
    });

    it("rejects a limit above the maximum and other bad paging parameters", async () => {
      expectError(await list("limit=51"), 400, "VALIDATION_QUERY", { limit: "too_big" });
      expectError(await list("limit=0"), 400, "VALIDATION_QUERY", { limit: "too_small" });
      expectError(await list("offset=-1"), 400, "VALIDATION_QUERY", { offset: "too_small" });
      expectError(await list("limit=ten&offset=1.5"), 400, "VALIDATION_QUERY", { limit: "invalid_format", offset: "invalid_format" });
      expectError(await list("limit="), 400, "VALIDATION_QUERY", { limit: "invalid_format" });
      expectError(await list("count=maybe"), 400, "VALIDATION_QUERY", { count: "invalid_value" });
    });

    it("sorts by several fields with ?sort=-price,name and by ?orderBy=price:desc", async () => {
      const byPriceDescName = [...items].sort((a, b) => b.price - a.price || a.name.localeCompare(b.name)).map((r) => r.name);
      const sorted = await list("sort=-price,name&limit=50");
      expect(sorted.status).toBe(200);
      expect(sorted.body.data.map((r: { name: string }) => r.name)).toEqual(byPriceDescName);

      const ordered = await list("orderBy=price:desc&limit=50");
      const prices = ordered.body.data.map((r: { price: number }) => r.price);
      expect(prices).toEqual([...prices].sort((a, b) => b - a));
      expect(prices[0]).toBe(40.5);

      const ascending = await list("sort=price,-name&limit=5");
      expect(ascending.body.data.map((r: { name: string }) => r.name)).toEqual(["Item 25", "Item 20", "Item 15", "Item 10", "Item 05"]);

      // Sorted pages do not overlap either: ties on price are broken by the primary key.
      const ids: string[] = [];
      for (let offset = 0; offset < 25; offset += 6) ids.push(...(await list(`sort=price&limit=6&offset=${offset}`)).body.data.map((r: { id: string }) => r.id));
      expect(new Set(ids).size).toBe(25);
    });

    it("rejects an unknown sort field or direction", async () => {
      expectError(await list("sort=colour"), 400, "VALIDATION_QUERY", { sort: "enum" });
      expectError(await list("sort=-price,deletedAt"), 400, "VALIDATION_QUERY", { sort: "enum" });
      expectError(await list("orderBy=price:sideways"), 400, "VALIDATION_QUERY", { sort: "enum" });
      expectError(await list("sort=__proto__"), 400, "VALIDATION_QUERY", { sort: "enum" });
    });

    it("filters by equality: ?featured=true, ?status=active and both", async () => {
      const featured = await list("featured=true&limit=50&count=true");
      const expectedFeatured = items.filter((r) => r.featured).map((r) => r.id).sort();
      expect(featured.body.data.map((r: { id: string }) => r.id).sort()).toEqual(expectedFeatured);
      expect(featured.body.pagination.total).toBe(expectedFeatured.length);
      expect((await list("featured=1&limit=50")).body.data).toHaveLength(expectedFeatured.length);
      expect((await list("featured=false&limit=50")).body.data).toHaveLength(25 - expectedFeatured.length);

      const active = await list("status=active&limit=50");
      expect(active.body.data.map((r: { id: string }) => r.id).sort()).toEqual(items.filter((r) => r.status === "active").map((r) => r.id).sort());
      expect(active.body.data.every((r: { status: string }) => r.status === "active")).toBe(true);

      const both = await list("status=active&featured=true&limit=50");
      expect(both.body.data.map((r: { id: string }) => r.id).sort()).toEqual(items.filter((r) => r.status === "active" && r.featured).map((r) => r.id).sort());
      expect(both.body.data.length).toBeGreaterThan(0);

      const one = items[4]!;
      expect((await list(`name=${encodeURIComponent(one.name)}`)).body.data.map((r: { id: string }) => r.id)).toEqual([one.id]);
      expect((await list(`price=${one.price}&limit=50`)).body.data).toHaveLength(5);
    });

    it("rejects bad filter values and unknown query parameters", async () => {
      expectError(await list("featured=maybe"), 400, "VALIDATION_QUERY", { featured: "invalid_value" });
      expectError(await list("status=gone"), 400, "VALIDATION_QUERY", { status: "invalid_value" });
      expectError(await list("colour=red"), 400, "VALIDATION_QUERY", { colour: "unknown_field" });
      expectError(await list("deletedAt=2024-01-01T00:00:00Z"), 400, "VALIDATION_QUERY", { deletedAt: "unknown_field" });
      expectError(await list("price=cheap&stock=lots"), 400, "VALIDATION_QUERY", { price: "invalid_format", stock: "invalid_format" });
      expectError(await list("createdAt=yesterday"), 400, "VALIDATION_QUERY", { createdAt: "invalid_format" });
      expectError(await call("GET", "/products?categoryId=nope"), 400, "VALIDATION_QUERY", { categoryId: "invalid_format" });
      expectError(await list("stock=99999999999"), 400, "VALIDATION_QUERY", { stock: "too_big" });
    });
  });

  describe("updates", () => {
    it("PATCH changes only the given fields and bumps updatedAt", async () => {
      const row = await createProduct({ description: "Before", stock: 2 });
      await sleep(20);
      const res = await call("PATCH", `/products/${row.id}`, { json: { stock: 5, featured: true } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ ...row, stock: 5, featured: true, updatedAt: expect.any(String) });
      expect(res.body.createdAt).toBe(row.createdAt);
      expect(Date.parse(res.body.updatedAt)).toBeGreaterThan(Date.parse(res.body.createdAt));
      expect((await call("GET", `/products/${row.id}`)).body).toEqual(res.body);
    });

    it("PATCH with {} answers 200 with the row", async () => {
      const row = await createProduct();
      const res = await call("PATCH", `/products/${row.id}`, { json: {} });
      expect(res.status).toBe(200);
      expect({ ...res.body, updatedAt: row.updatedAt }).toEqual(row);
      const review = await createReview(row.id);
      const same = await call("PATCH", `/reviews/${review.id}`, { json: {} });
      expect(same.status).toBe(200);
      expect(same.body).toEqual(review);
    });

    it("PATCH validates like POST but requires nothing", async () => {
      const row = await createProduct();
      expectError(await call("PATCH", `/products/${row.id}`, { json: { price: -5, colour: "red" } }), 400, "VALIDATION_BODY", { price: "too_small", colour: "unknown_field" });
      expectError(await call("PATCH", `/products/${row.id}`, { json: { sku: null } }), 400, "VALIDATION_BODY", { sku: "invalid_type" });
      expectError(await call("PATCH", `/products/${row.id}`, { json: { id: MISSING_ID } }), 400, "VALIDATION_BODY", { id: "unknown_field" });
      expectError(await call("PATCH", `/products/${row.id}`, { json: { createdAt: "2020-01-01T00:00:00Z" } }), 400, "VALIDATION_BODY", { createdAt: "unknown_field" });
      expect((await call("GET", `/products/${row.id}`)).body).toEqual(row);
    });

    it("PUT replaces the row: omitted optional fields go back to their defaults or null", async () => {
      const category = await createCategory();
      const row = await createProduct({ description: "Text", stock: 7, featured: true, status: "active", categoryId: category.id });
      await sleep(20);
      const sku = `put-${uid()}`;
      const res = await call("PUT", `/products/${row.id}`, { json: { sku, name: "Replaced", price: 3.25 } });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ...row, sku, name: "Replaced", price: 3.25, description: null, stock: 0, featured: false, status: "draft", categoryId: null, updatedAt: expect.any(String) });
      expect(Date.parse(res.body.updatedAt)).toBeGreaterThan(Date.parse(row.updatedAt));
      expect((await call("GET", `/products/${row.id}`)).body).toEqual(res.body);
    });

    it("PUT requires the required fields and rejects unknown ones", async () => {
      const row = await createProduct();
      expectError(await call("PUT", `/products/${row.id}`, { json: { name: "Only a name" } }), 400, "VALIDATION_BODY", { sku: "required", price: "required" });
      expectError(await call("PUT", `/products/${row.id}`, { json: { sku: row.sku, name: "N", price: 1, extra: 1 } }), 400, "VALIDATION_BODY", { extra: "unknown_field" });
      expect((await call("GET", `/products/${row.id}`)).body).toEqual(row);
    });
  });

  describe("soft delete", () => {
    it("DELETE answers 204; the product is gone from every route but its row remains", async () => {
      const row = await createProduct();
      const review = await createReview(row.id);
      const deleted = await call("DELETE", `/products/${row.id}`);
      expect(deleted.status).toBe(204);
      expect(deleted.text).toBe("");
      expectError(await call("GET", `/products/${row.id}`), 404, "NOT_FOUND");
      expectError(await call("PATCH", `/products/${row.id}`, { json: { stock: 1 } }), 404, "NOT_FOUND");
      expectError(await call("PATCH", `/products/${row.id}`, { json: {} }), 404, "NOT_FOUND");
      expectError(await call("PUT", `/products/${row.id}`, { json: { sku: row.sku, name: "Back", price: 1 } }), 404, "NOT_FOUND");
      expectError(await call("DELETE", `/products/${row.id}`), 404, "NOT_FOUND");
      const listed = await call("GET", `/products?id=${row.id}&count=true`);
      expect(listed.body.data).toEqual([]);
      expect(listed.body.pagination.total).toBe(0);
      const all = await call("GET", "/products?limit=50&sort=-createdAt");
      expect(all.body.data.some((r: { id: string }) => r.id === row.id)).toBe(false);
      // Soft delete does not cascade: the review is still there.
      expect((await call("GET", `/reviews/${review.id}`)).status).toBe(200);
      if (sql) {
        const rows = await sql`SELECT deleted_at FROM products WHERE id = ${row.id}`;
        expect(rows).toHaveLength(1);
        expect(rows[0]!.deleted_at).toBeInstanceOf(Date);
        expect(rows[0]!.deleted_at.getTime()).toBeGreaterThanOrEqual(Date.parse(row.createdAt));
      }
    });
  });

  describe("request ids", () => {
    it("every error body names its request: a well-formed incoming X-Request-ID, or a new UUID", async () => {
      const ok = await call("GET", "/products?limit=1");
      // The header is the observability plugins' (tested with them); this app pays nothing for it.
      expect(ok.headers.get("x-request-id")).toBeNull();
      const error = await call("GET", `/products/${MISSING_ID}`, { headers: { "X-Request-ID": "req-404" } });
      expectError(error, 404, "NOT_FOUND");
      expect(error.body.error.requestId).toBe("req-404");
      for (const bad of ["has spaces", "x".repeat(129), "semi;colon", ""]) {
        const res = await call("GET", `/products/${MISSING_ID}`, { headers: { "X-Request-ID": bad } });
        expect(res.body.error.requestId).toMatch(UUID);
      }
      const a = await call("GET", "/nothing");
      const b = await call("GET", "/nothing");
      expect(a.body.error.requestId).not.toBe(b.body.error.requestId);
    });
  });

  describe("hostile input", () => {
    it("a NUL character, which PostgreSQL cannot store, is a 400 in a body or a filter", async () => {
      expectError(await post("/products", { sku: `nul-${uid()}`, name: "A\u0000B", price: 1 }), 400, "VALIDATION_BODY");
      expect((await call("GET", "/products?name=a%00b")).status).toBe(400);
    });

    it("never answers 5xx", async () => {
      const product = await createProduct();
      const json = { "content-type": "application/json" };
      const attempts: [string, string, CallOptions?][] = [
        ["POST", "/products", { json: { sku: `nul-${uid()}`, name: "A\u0000B", price: 1 } }],
        ["GET", "/products?name=a%00b"],
        ["GET", "/products?sku=%00"],
        ["PATCH", `/products/${product.id}`, { json: { description: "x\u0000y" } }],
        ["POST", "/products", { json: { sku: `big-${uid()}`, name: "Big", price: 1, description: "d".repeat(200_000) } }],
        ["POST", "/products", { raw: '{"sku":"x1x","name":"Inf","price":1e400}', headers: json }],
        ["POST", "/products", { raw: "[".repeat(5000) + "]".repeat(5000), headers: json }],
        ["POST", "/products", { raw: '{"__proto__":{"admin":true},"sku":"proto","name":"Proto","price":1}', headers: json }],
        ["POST", "/products", { raw: "\u00ff\u00fe{", headers: json }],
        ["GET", "/products?price=1e400"],
        ["GET", "/products?stock=-99999999999999"],
        ["GET", "/products?offset=999999999999999"],
        ["GET", "/products?createdAt=2020-02-30T00:00:00Z"],
        ["GET", "/products?createdAt=9999-12-31T23:59:59Z"],
        ["GET", `/products?sort=${"-price,".repeat(60)}name`],
        ["GET", `/products?sort=${"x".repeat(600)}`],
        ["GET", `/products?name=${"n".repeat(2000)}`],
        ["GET", "/products?limit=1&limit=2"],
        ["GET", "/products/%ZZ"],
        ["GET", `/products/${"f".repeat(5000)}`],
        ["GET", "/products/00000000-0000-0000-0000-000000000000"],
        ["DELETE", "/products"],
        ["PUT", "/products", { json: {} }],
        ["POST", "/reviews", { json: { productId: product.id, rating: 2 ** 40, authorEmail: "a@example.com" } }],
        ["POST", "/reviews", { json: { productId: product.id, rating: 3, authorEmail: `${"a".repeat(250)}@example.com` } }],
        ["POST", "/categories", { json: { name: "Ünïcødé 🎉", slug: `u-${uid()}` } }],
        ["OPTIONS", "/products"],
        ["HEAD", "/products"],
      ];
      for (const [method, path, options] of attempts) {
        const res = await call(method, path, options);
        expect([200, 201, 204, 400, 404, 405, 409, 413, 422], `${method} ${path.slice(0, 80)} → ${res.status}`).toContain(res.status);
      }
      // The one valid request among them left its row intact; nothing was written by the rest.
      expect((await call("GET", `/products/${product.id}`)).body).toEqual(product);
      expect((await call("GET", "/products?sku=proto")).body.data).toEqual([]);
    });

    it("logged no server errors", () => {
      expect(server!.stderr.join("")).not.toMatch(/error/i);
    });
  });
});
