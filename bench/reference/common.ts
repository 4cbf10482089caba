/** What both hand-written reference apps (server.ts on postgres.js, pglite.ts on PGlite) share. */
import type { Context } from "hono";
import { z } from "zod";

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const fail = (status: 400 | 404, code: string, message: string) => new Response(JSON.stringify({ error: { code, message } }), { status, headers: { "content-type": "application/json" } });

const createProduct = z.strictObject({
  name: z.string().min(1).max(200),
  description: z.string().nullable().optional(),
  price: z.number().min(-99999999.99).max(99999999.99),
  featured: z.boolean().nullable().optional(),
});

/** The validated body of POST /products, or the 400 to answer. */
export async function productInput(c: Context): Promise<z.output<typeof createProduct> | Response> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    return fail(400, "VALIDATION_BODY", "Malformed JSON");
  }
  const parsed = createProduct.safeParse(body);
  return parsed.success ? parsed.data : fail(400, "VALIDATION_BODY", "Invalid request body");
}
