/**
 * The hand-written baseline on PGlite: the point routes of server.ts (GET by id, the relation,
 * the aggregate, POST create) written directly against PGlite's query API (extended protocol,
 * parameters bound, no ORM), for comparing the emitted app on its embedded database.
 * PGLITE_DATA_DIR names a data directory that already holds the schema and the data.
 */
import { PGlite } from "@electric-sql/pglite";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { fail, productInput, UUID } from "./common.js";

const db = await PGlite.create(process.env.PGLITE_DATA_DIR!);
const app = new Hono();

const rows = async (text: string, params: unknown[]) => (await db.query<Record<string, unknown>>(text, params)).rows;

app.get("/products/:id", async (c) => {
  const id = c.req.param("id");
  if (!UUID.test(id)) return fail(400, "VALIDATION_PARAMS", "Invalid id");
  const [row] = await rows(`select id, name, description, price::float8 as price, featured, created_at as "createdAt" from products where id = $1`, [id]);
  return row ? c.json(row) : fail(404, "NOT_FOUND", "Product not found");
});

app.get("/products/:id/reviews", async (c) => {
  const id = c.req.param("id");
  if (!UUID.test(id)) return fail(400, "VALIDATION_PARAMS", "Invalid id");
  const found = await rows(`select id, product_id as "productId", rating, body, created_at as "createdAt" from reviews where product_id = $1 order by created_at desc, id asc`, [id]);
  if (found.length === 0 && (await rows(`select id from products where id = $1`, [id])).length === 0) return fail(404, "NOT_FOUND", "Product not found");
  return c.json(found);
});

app.get("/products/:id/stats", async (c) => {
  const id = c.req.param("id");
  if (!UUID.test(id)) return fail(400, "VALIDATION_PARAMS", "Invalid id");
  const [row] = await rows(`select count(*)::int as reviews, avg(rating)::float8 as "avgRating", coalesce(sum(rating), 0)::int as "sumRating" from reviews where product_id = $1`, [id]);
  return c.json(row);
});

app.post("/products", async (c) => {
  const p = await productInput(c);
  if (p instanceof Response) return p;
  const [row] = await rows(
    `insert into products (name, description, price, featured) values ($1, $2, $3, $4)
     returning id, name, description, price::float8 as price, featured, created_at as "createdAt"`,
    [p.name, p.description ?? null, p.price, p.featured ?? false],
  );
  return c.json(row, 201);
});

const port = Number(process.env.PORT ?? 3100);
const server = serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, () => console.log(`reference (PGlite) listening on http://localhost:${port}`));
process.once("SIGTERM", () => server.close(() => void db.close().then(() => process.exit(0))));
