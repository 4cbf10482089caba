/**
 * The hand-written baseline: Hono + postgres.js, written for speed the way an expert would
 * (every query prepared by postgres.js, no ORM, schemas built once), serving the same routes
 * with the same response shapes as the app compiled from bench/fixture/yama.yaml.
 */
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import postgres from "postgres";
import { fail, productInput, UUID } from "./common.js";

// At most one query pipelined behind the running one per connection: with postgres.js's default
// (100), under sustained load its pool spends a growing share of the CPU scanning its list of busy
// connections (bench/RESULTS.md). (`max_pipeline` is missing from its type declarations.)
const options: postgres.Options<Record<string, never>> & { max_pipeline: number } = { max: Number(process.env.DATABASE_POOL_MAX ?? 10), max_pipeline: 1, onnotice: () => {} };
const sql = postgres(process.env.DATABASE_URL!, options);
const app = new Hono();


const SORTS: Record<string, string> = {
  price: "price asc, id asc",
  "-price": "price desc, id asc",
  name: "name asc, id asc",
  "-name": "name desc, id asc",
  createdAt: "created_at asc, id asc",
  "-createdAt": "created_at desc, id asc",
};

app.get("/products", async (c) => {
  const q = c.req.query();
  const limit = q.limit === undefined ? 20 : Number(q.limit);
  const offset = q.offset === undefined ? 0 : Number(q.offset);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100 || !Number.isInteger(offset) || offset < 0) return fail(400, "VALIDATION_QUERY", "Invalid paging");
  const order = SORTS[q.sort ?? "id"] ?? (q.sort === undefined ? "id asc" : undefined);
  if (order === undefined) return fail(400, "VALIDATION_QUERY", "Invalid sort");
  const featured = q.featured === undefined ? undefined : q.featured === "true";
  const pattern = q.search === undefined ? undefined : `%${q.search.replace(/[\\%_]/g, "\\$&")}%`;
  const rows = await sql`
    select id, name, description, price::float8 as price, featured, created_at as "createdAt"
    from products
    where true
      ${pattern === undefined ? sql`` : sql`and name ilike ${pattern}`}
      ${featured === undefined ? sql`` : sql`and featured = ${featured}`}
    order by ${sql.unsafe(order)}
    limit ${limit + 1} offset ${offset}`;
  const hasNext = rows.length > limit;
  const data = hasNext ? rows.slice(0, limit) : rows;
  return c.json({ data, pagination: { type: "offset", limit, offset, hasNext, hasPrev: offset > 0 } });
});

app.get("/products/:id", async (c) => {
  const id = c.req.param("id");
  if (!UUID.test(id)) return fail(400, "VALIDATION_PARAMS", "Invalid id");
  const [row] = await sql`select id, name, description, price::float8 as price, featured, created_at as "createdAt" from products where id = ${id}`;
  return row ? c.json(row) : fail(404, "NOT_FOUND", "Product not found");
});

app.get("/products/:id/reviews", async (c) => {
  const id = c.req.param("id");
  if (!UUID.test(id)) return fail(400, "VALIDATION_PARAMS", "Invalid id");
  const rows = await sql`select id, product_id as "productId", rating, body, created_at as "createdAt" from reviews where product_id = ${id} order by created_at desc, id asc`;
  if (rows.length === 0) {
    const [parent] = await sql`select id from products where id = ${id}`;
    if (!parent) return fail(404, "NOT_FOUND", "Product not found");
  }
  return c.json(rows);
});

app.get("/products/:id/stats", async (c) => {
  const id = c.req.param("id");
  if (!UUID.test(id)) return fail(400, "VALIDATION_PARAMS", "Invalid id");
  const [row] = await sql`select count(*)::int as reviews, avg(rating)::float8 as "avgRating", coalesce(sum(rating), 0)::int as "sumRating" from reviews where product_id = ${id}`;
  return c.json(row);
});

app.post("/products", async (c) => {
  const p = await productInput(c);
  if (p instanceof Response) return p;
  const [row] = await sql`
    insert into products (name, description, price, featured)
    values (${p.name}, ${p.description ?? null}, ${p.price}, ${p.featured ?? false})
    returning id, name, description, price::float8 as price, featured, created_at as "createdAt"`;
  return c.json(row, 201);
});

const port = Number(process.env.PORT ?? 3100);
serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, () => console.log(`reference listening on http://localhost:${port}`));
