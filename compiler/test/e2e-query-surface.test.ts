/**
 * The CRUD query surface of the shop fixture over HTTP on PostgreSQL: ?include= without N+1,
 * ?fields=, cursor pages under concurrent inserts, bulk create, ETag / If-None-Match /
 * If-Match, and a handler typed against the wrong context failing tsc.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, createDatabase, prepareProject, removeProject, ROOT, type RunningServer, startServer } from "./harness.js";

type Json = Record<string, unknown>;

/**
 * A TCP proxy to PostgreSQL that reports every Bind message the client sends: one per
 * statement execution, prepared or not (the PostgreSQL wire protocol's extended query flow).
 */
async function countingProxy(onBind: () => void): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(5432, "127.0.0.1");
    sockets.add(client).add(upstream);
    let buffer = Buffer.alloc(0);
    let started = false;
    client.on("data", (chunk) => {
      upstream.write(chunk);
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (!started) {
          if (buffer.length < 4) break;
          const len = buffer.readInt32BE(0);
          if (buffer.length < len) break;
          buffer = buffer.subarray(len);
          started = true;
          continue;
        }
        if (buffer.length < 5) break;
        const len = buffer.readInt32BE(1);
        if (buffer.length < len + 1) break;
        if (buffer[0] === 0x42) onBind();
        buffer = buffer.subarray(len + 1);
      }
    });
    upstream.on("data", (chunk) => client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe("CRUD query surface on PostgreSQL", () => {
  let dir = "";
  let db: Awaited<ReturnType<typeof createDatabase>> | undefined;
  let server: RunningServer | undefined;
  let proxy: Awaited<ReturnType<typeof countingProxy>> | undefined;
  const api = (method: string, path: string, json?: unknown, headers?: Record<string, string>) => call(server!.base, method, path, json, headers);

  beforeAll(async () => {
    dir = await prepareProject("shop");
    db = await createDatabase("yamac_surface");
    proxy = await countingProxy(() => executed++);
    server = await startServer(dir, { DATABASE_URL: db.url.replace(":5432/", `:${proxy.port}/`) });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await proxy?.close();
    await db?.drop();
    removeProject(dir);
  });

  /** Statements the app executes, counted on the wire by the proxy below (one Bind per execution). */
  let executed = 0;

  it("?include= attaches belongsTo, hasMany and many-to-many relations with one query per relation", async () => {
    const category = (await api("POST", "/categories", { name: "Hand tools", slug: "hand-tools" })).body as Json;
    const products: Json[] = [];
    for (let i = 0; i < 10; i++) {
      products.push((await api("POST", "/products", { sku: `INC-${i}`, name: `Include ${i}`, price: 1 + i, categoryId: category.id })).body as Json);
    }
    for (const p of products) for (let r = 1; r <= 2; r++) await api("POST", "/reviews", { productId: p.id, rating: r, authorEmail: `r${r}@example.com` });
    const tag = (await api("POST", "/tags", { name: "incl" })).body as Json;
    await db!.sql`insert into product_tags (product_id, tag_id) values (${products[0]!.id as string}, ${tag.id as string})`;

    const one = await api("GET", `/products/${products[0]!.id}?include=category,reviews,tags`);
    expect(one.status).toBe(200);
    const body = one.body as Json;
    expect(body.category).toMatchObject({ id: category.id, name: "Hand tools" });
    expect((body.reviews as Json[]).map((r) => r.rating).sort()).toEqual([1, 2]);
    expect(body.tags).toEqual([expect.objectContaining({ id: tag.id, name: "incl" })]);

    // N+1 check: the statements a request executes do not grow with the page size.
    const statements = async (path: string) => {
      executed = 0;
      const res = await api("GET", path);
      expect(res.status).toBe(200);
      return { n: executed, body: res.body as { data: { reviews: unknown[]; tags: unknown[] }[] } };
    };
    const plain = await statements(`/products?categoryId=${category.id}&limit=10`);
    const pageOf1 = await statements(`/products?categoryId=${category.id}&limit=1&include=reviews,tags,category`);
    const pageOf10 = await statements(`/products?categoryId=${category.id}&limit=10&include=reviews,tags,category`);
    expect(pageOf10.body.data).toHaveLength(10);
    expect(pageOf10.body.data.every((p) => p.reviews.length === 2)).toBe(true);
    expect(pageOf1.n).toBe(plain.n + 3);
    expect(pageOf10.n).toBe(pageOf1.n);

    const bad = await api("GET", "/products?include=owner");
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: "VALIDATION_QUERY", details: [expect.objectContaining({ field: "include" })] } });
  }, 60_000);

  it("?fields= returns only the named properties (and requested relations)", async () => {
    const list = await api("GET", "/products?fields=name,price&limit=3");
    expect(list.status).toBe(200);
    for (const p of (list.body as { data: Json[] }).data) expect(Object.keys(p).sort()).toEqual(["name", "price"]);
    const withRel = await api("GET", "/products?fields=name&include=category&limit=1");
    expect(Object.keys((withRel.body as { data: Json[] }).data[0]!).sort()).toEqual(["category", "name"]);
    expect((await api("GET", "/products?fields=name,secret")).status).toBe(400);
    // An empty list would answer with empty objects.
    expect((await api("GET", "/products?fields=")).body).toMatchObject({ error: { code: "VALIDATION_QUERY", details: [{ field: "fields", rule: "required" }] } });
  });

  it("cursor pages over 1,000 rows while rows are inserted: none lost, none repeated, strictly ordered", async () => {
    const product = (await api("POST", "/products", { sku: "CUR-1", name: "Cursor", price: 1 })).body as Json;
    await db!.sql`insert into reviews (product_id, rating, author_email) select ${product.id as string}, 1 + (g % 5), 'bulk' || g || '@example.com' from generate_series(1, 1000) g`;
    const existing = new Set((await db!.sql<{ id: string }[]>`select id from reviews where product_id = ${product.id as string}`).map((r) => r.id));
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await api("GET", `/reviews?productId=${product.id}&limit=50${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      const page = res.body as { data: { id: string }[]; pagination: { nextCursor: string | null; hasNext: boolean } };
      seen.push(...page.data.map((r) => r.id));
      cursor = page.pagination.nextCursor;
      expect(page.pagination.hasNext).toBe(cursor !== null);
      // New rows arrive between pages.
      await api("POST", "/reviews", { productId: product.id, rating: 5, authorEmail: `late${pages}@example.com` });
      pages++;
    } while (cursor !== null && pages < 100);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of existing) expect(seen).toContain(id);
    expect([...seen].sort()).toEqual(seen);

    for (const tampered of ["garbage!!", Buffer.from("[1,2,3]").toString("base64url"), Buffer.from('["not-a-uuid"]').toString("base64url")]) {
      const res = await api("GET", `/reviews?cursor=${tampered}`);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: { code: "VALIDATION_QUERY" } });
    }
  }, 60_000);

  it("bulk create inserts all rows or none", async () => {
    const ok = await api("POST", "/tags/bulk", [{ name: "bulk-a" }, { name: "bulk-b" }]);
    expect(ok.status).toBe(201);
    expect((ok.body as { data: Json[] }).data.map((t) => t.name)).toEqual(["bulk-a", "bulk-b"]);
    const count = async () => Number((await db!.sql<{ n: string }[]>`select count(*)::text as n from tags`)[0]!.n);
    const before = await count();
    expect((await api("POST", "/tags/bulk", [{ name: "bulk-c" }, { name: "bulk-a" }])).status).toBe(409);
    expect((await api("POST", "/tags/bulk", [{ name: "bulk-d" }, { name: "" }])).status).toBe(400);
    expect((await api("POST", "/tags/bulk", [])).status).toBe(400);
    expect((await api("POST", "/tags/bulk", { name: "not-an-array" })).status).toBe(400);
    expect((await api("POST", "/tags/bulk", Array.from({ length: 1001 }, (_, i) => ({ name: `t${i}` })))).status).toBe(400);
    expect(await count()).toBe(before);
  });

  it("ETag: 304 on If-None-Match, 412 on a stale If-Match, success with the current one or *", async () => {
    const product = (await api("POST", "/products", { sku: "ETAG-1", name: "Etag", price: 3 })).body as Json;
    const first = await api("GET", `/products/${product.id}`);
    const tag = first.headers.get("etag")!;
    expect(tag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const cached = await api("GET", `/products/${product.id}`, undefined, { "if-none-match": tag });
    expect(cached.status).toBe(304);
    expect(cached.text).toBe("");
    expect((await api("GET", `/products/${product.id}`, undefined, { "if-none-match": `W/${tag}` })).status).toBe(304);
    // If-Match compares strongly: the weak form of the current tag does not match.
    expect((await api("PATCH", `/products/${product.id}`, { stock: 9 }, { "if-match": `W/${tag}` })).status).toBe(412);
    const stale = await api("PATCH", `/products/${product.id}`, { stock: 9 }, { "if-match": '"stale"' });
    expect(stale.status).toBe(412);
    expect(stale.body).toMatchObject({ error: { code: "PRECONDITION_FAILED" } });
    expect(((await api("GET", `/products/${product.id}`)).body as Json).stock).toBe(0);
    const patched = await api("PATCH", `/products/${product.id}`, { stock: 9 }, { "if-match": tag });
    expect(patched.status).toBe(200);
    const next = (await api("GET", `/products/${product.id}`)).headers.get("etag");
    expect(next).not.toBe(tag);
    // The write answers with the new tag: the next If-Match needs no read first.
    expect(patched.headers.get("etag")).toBe(next);
    expect((await api("DELETE", `/products/${product.id}`, undefined, { "if-match": tag })).status).toBe(412);
    expect((await api("PUT", `/products/${product.id}`, { sku: "ETAG-1", name: "Etag", price: 4 }, { "if-match": "*" })).status).toBe(200);
  });
});

describe("handlers are type-checked against their endpoint", () => {
  it("a handler reading an undeclared query field fails tsc naming the file and the property", async () => {
    const dir = await prepareProject("todo-api");
    try {
      const tsc = join(ROOT, "node_modules/.bin/tsc");
      execFileSync(tsc, ["--noEmit", "-p", dir], { encoding: "utf8", stdio: "pipe" });
      const file = join(dir, "handlers/getTodos.ts");
      writeFileSync(file, readFileSync(file, "utf8").replace("const { completed, limit, offset } = ctx.query;", "const { completed, limit, offset } = ctx.query;\n  void ctx.query.nope;"));
      let output = "";
      try {
        execFileSync(tsc, ["--noEmit", "-p", dir], { encoding: "utf8", stdio: "pipe" });
      } catch (err) {
        output = String((err as { stdout?: string }).stdout);
      }
      expect(output).toMatch(/handlers\/getTodos\.ts\(\d+,\d+\): error TS2339: Property 'nope' does not exist/);
    } finally {
      removeProject(dir);
    }
  }, 60_000);
});
