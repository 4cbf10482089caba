/**
 * Declarative handlers on the embedded database: the handlers fixture served on PGlite, one
 * request per handler type (the full suite, with hostile input, runs on PostgreSQL in
 * handlers-e2e.test.ts).
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, prepareProject, removeProject, type RunningServer, startServer } from "./harness.js";

type Row = Record<string, unknown>;

describe("declarative handlers on PGlite", () => {
  let dir = "";
  let server: RunningServer | undefined;
  const api = (method: string, path: string, json?: unknown) => call(server!.base, method, path, json);
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    dir = await prepareProject("handlers");
    server = await startServer(dir, { YAMA_DATA_DIR: join(dir, ".data") });
    ids.category = ((await api("POST", "/categories", { name: "Kitchen" })).body as Row).id as string;
    for (const [sku, name, price, status] of [["MUG-1", "100% mug", 8, "active"], ["CUP-1", "a_b cup", 12, "draft"]] as const) {
      const res = await api("POST", "/products", { sku, name, price, status, stock: 2, categoryId: ids.category });
      expect(res.status, res.text).toBe(201);
      ids[sku] = (res.body as Row).id as string;
    }
    expect((await api("POST", "/reviews", { productId: ids["MUG-1"], rating: 4, body: "good" })).status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    removeProject(dir);
  });

  it("query: filters, a literal % in the search, paging envelope", async () => {
    const res = await api("GET", "/products/search?q=100%25&limit=5");
    expect(res.status).toBe(200);
    expect((res.body as { data: Row[] }).data.map((p) => p.sku)).toEqual(["MUG-1"]);
    expect(((await api("GET", "/products/search?q=a_b")).body as { data: Row[] }).data.map((p) => p.sku)).toEqual(["CUP-1"]);
  });

  it("relation: hasMany and belongsTo, 404 for an unknown parent", async () => {
    expect(((await api("GET", `/products/${ids["MUG-1"]}/reviews`)).body as { data: Row[] }).data.map((r) => r.rating)).toEqual([4]);
    expect((await api("GET", `/products/${ids["MUG-1"]}/category`)).body).toMatchObject({ id: ids.category });
    expect((await api("GET", "/products/7b0c4a52-2b8e-4d47-9d0a-5f8a1e0c9b11/reviews")).status).toBe(404);
  });

  it("aggregate: numbers, grouped rows", async () => {
    const stats = (await api("GET", "/products/stats")).body as Row;
    expect(stats).toMatchObject({ total: 2, avgPrice: 10, totalStock: 4, cheapest: 8 });
    const groups = (await api("GET", "/products/stats/by-status")).body as Row[];
    expect(groups.length).toBe(2);
  });

  it("sql: parameters bound, never spliced", async () => {
    const rows = (await api("GET", "/reports/expensive?minPrice=10")).body as Row[];
    expect(rows.map((r) => r.sku)).toEqual(["CUP-1"]);
    const injected = (await api("GET", "/reports/expensive?minPrice=0&name=x'%20OR%201=1--")).body as Row[];
    expect(injected).toEqual([]);
  });

  it("expression and file handlers", async () => {
    expect((await api("GET", `/products/${ids["MUG-1"]}/label`)).body).toMatchObject({ sku: "MUG-1" });
    expect((await api("GET", "/products/count?status=active")).body).toEqual({ count: 1 });
    expect((await api("GET", "/hello")).status).toBe(200);
  });
});
