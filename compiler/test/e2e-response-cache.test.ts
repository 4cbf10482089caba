/**
 * `cache:` over HTTP on PostgreSQL, with the store in memory and in Redis: a cached GET answers
 * from the store (X-Cache: HIT) until its time to live ends or an operation in its `invalidateOn`
 * succeeds; a key template decides which requests share an entry; errors are never cached; a
 * route under a row policy keeps entries per caller.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { call, serveConfig } from "./harness.js";

const config = (provider: "memory" | "redis") => `name: cached
version: 1.0.0
auth:
  providers:
    - { type: jwt, secret: "\${JWT_SECRET}" }
policies:
  anyone: { auth: false }
  owner: { auth: { required: true }, where: { ownerId: auth.user.id } }
schemas:
  Item:
    database: items
    fields:
      id: uuid!
      name: string!
  Memo:
    database: memos
    fields:
      id: uuid!
      text: string!
      ownerId: uuid!
operations:
  listItems: Item[]
  getItem: Item
  createItem: Item
  updateItem: Item
  listMemos: Memo[]
  createMemo: { input: { text: string! }, output: Memo }
apis:
  rest:
    basePath: /api
    defaultPolicy: anyone
    operations:
      - listItems
      - getItem
      - createItem
      - updateItem
      - listMemos: owner
      - createMemo: owner
cache:
  provider: ${provider}
${provider === "redis" ? "  redisUrl: ${REDIS_URL}\n" : ""}  default: { ttl: 5m }
  operations:
    listItems: { invalidateOn: [createItem, updateItem] }
    getItem: { ttl: 60, key: "item:{id}", invalidateOn: [updateItem] }
    listMemos: { ttl: 1m, invalidateOn: [createMemo] }
`;

type Json = Record<string, unknown>;

for (const provider of ["memory", "redis"] as const) {
  describe(`response cache (${provider})`, () => {
    const SECRET = randomBytes(32).toString("hex");
    const served = serveConfig(`cache_${provider}`, config(provider), { JWT_SECRET: SECRET });
    const api = (method: string, path: string, json?: unknown, headers: Record<string, string> = {}) => call(served.server.base, method, `/api${path}`, json, headers);
    const bearer = async (sub: string) => ({ authorization: `Bearer ${await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject(sub).setIssuedAt().setExpirationTime("10m").sign(new TextEncoder().encode(SECRET))}` });
    const names = (body: unknown) => (body as Json[]).map((r) => r.name ?? r.text).sort();

    it("serves a GET from the cache until an operation in invalidateOn succeeds", async () => {
      const created = await api("POST", "/items", { name: "first" });
      expect(created.status, created.text).toBe(201);
      const miss = await api("GET", "/items");
      expect(miss.headers.get("x-cache")).toBe("MISS");
      expect(names(miss.body)).toEqual(["first"]);

      // A row written outside the API is not seen while the entry lives.
      await served.db.sql`INSERT INTO items (id, name) VALUES (${randomUUID()}, 'outside')`;
      const hit = await api("GET", "/items");
      expect(hit.headers.get("x-cache")).toBe("HIT");
      expect(hit.text).toBe(miss.text);

      // A failed create changes nothing and keeps the entry; a successful one drops it.
      expect((await api("POST", "/items", { nope: 1 })).status).toBe(400);
      expect((await api("GET", "/items")).headers.get("x-cache")).toBe("HIT");
      expect((await api("POST", "/items", { name: "second" })).status).toBe(201);
      const fresh = await api("GET", "/items");
      expect(fresh.headers.get("x-cache")).toBe("MISS");
      expect(names(fresh.body)).toEqual(["first", "outside", "second"]);
    });

    it("a key template shares entries between requests it does not tell apart; errors are not cached", async () => {
      const id = ((await api("POST", "/items", { name: "keyed" })).body as Json).id as string;
      expect((await api("GET", `/items/${id}`)).headers.get("x-cache")).toBe("MISS");
      expect((await api("GET", `/items/${id}`)).headers.get("x-cache")).toBe("HIT");
      expect((await api("PUT", `/items/${id}`, { name: "renamed" })).status).toBe(200);
      const after = await api("GET", `/items/${id}`);
      expect(after.headers.get("x-cache")).toBe("MISS");
      expect((after.body as Json).name).toBe("renamed");

      const missing = `/items/${randomUUID()}`;
      for (let i = 0; i < 2; i++) {
        const res = await api("GET", missing);
        expect(res.status).toBe(404);
        expect(res.headers.get("x-cache")).toBeNull();
      }
      expect((await api("GET", "/items?colour=red")).status).toBe(400);
    });

    it("a route under a row policy keeps entries per caller", async () => {
      const ann = await bearer(randomUUID());
      const bob = await bearer(randomUUID());
      expect((await api("POST", "/memos", { text: "ann's" }, ann)).status).toBe(201);
      expect(names((await api("GET", "/memos", undefined, ann)).body)).toEqual(["ann's"]);
      const bobs = await api("GET", "/memos", undefined, bob);
      expect(bobs.headers.get("x-cache")).toBe("MISS");
      expect(bobs.body).toEqual([]);
      expect((await api("GET", "/memos", undefined, ann)).headers.get("x-cache")).toBe("HIT");
      expect((await api("GET", "/memos")).status).toBe(401);
    });
  });
}
