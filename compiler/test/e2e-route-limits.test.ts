/**
 * A rate limit of one endpoint counts that endpoint's requests only (PostgreSQL, over HTTP): the
 * limit of GET /items/:id sits in that route, so GET /items/search, which its pattern also
 * matches, is neither counted nor limited by it.
 */
import { describe, expect, it } from "vitest";
import { call, serveConfig } from "./harness.js";

const CONFIG = `name: limits
version: 1.0.0
schemas:
  Item:
    database: items
    fields:
      id: uuid!
      name: string!
operations:
  getItem: Item
  searchItems: { input: { q: string? }, output: "Item[]" }
  createItem: Item
policies:
  anyone: { auth: false }
apis:
  rest:
    basePath: /api
    defaultPolicy: anyone
    operations: [all]
rateLimits:
  operations:
    getItem: { window: 1m, max: 1 }
`;

describe("a per-endpoint rate limit", () => {
  const served = serveConfig("route_limits", CONFIG);

  it("limits its own route and no other route its path pattern matches", async () => {
    const id = ((await call(served.server.base, "POST", "/api/items", { name: "one" })).body as { id: string }).id;
    for (let i = 0; i < 3; i++) {
      const search = await call(served.server.base, "GET", "/api/items/search?q=o");
      expect(search.status, search.text).toBe(200);
      expect(search.headers.get("x-ratelimit-limit")).toBeNull();
    }
    const first = await call(served.server.base, "GET", `/api/items/${id}`);
    expect(first.status).toBe(200);
    expect(first.headers.get("x-ratelimit-limit")).toBe("1");
    expect((await call(served.server.base, "GET", `/api/items/${id}`)).status).toBe(429);
  });
});
