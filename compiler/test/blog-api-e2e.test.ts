/**
 * Dialect B end to end: fixtures/blog-api (the original YAMA blog, with `operations:`,
 * `policies:`, two `apis.rest` configs and DTO outputs) is compiled with its two handlers, run
 * on a fresh PostgreSQL database, and checked over HTTP: projections, search, filters, nested
 * routes, custom operations and both APIs' base paths.
 */
import { randomBytes } from "node:crypto";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, createDatabase, jwtAuthSection, prepareProject, removeProject, type Reply, type RunningServer, startServer } from "./harness.js";

const MISSING_ID = "7b0c4a52-2b8e-4d47-9d0a-5f8a1e0c9b11";
const SUMMARY_KEYS = ["authorName", "excerpt", "id", "published", "title"];
const DETAIL_KEYS = ["author", "content", "createdAt", "excerpt", "id", "published", "publishedAt", "title", "updatedAt"];
const AUTHOR_KEYS = ["bio", "createdAt", "email", "id", "name", "updatedAt"];
const COMMENT_KEYS = ["authorEmail", "authorName", "content", "createdAt", "id", "postId", "updatedAt"];

type Json = Record<string, unknown>;
const keys = (value: unknown) => Object.keys(value as Json).sort();

describe("blog-api (operations, policies, apis) over HTTP on PostgreSQL", () => {
  let dir = "";
  let db: Awaited<ReturnType<typeof createDatabase>> | undefined;
  let server: RunningServer | undefined;
  /** The policies need a signed-in caller: requests carry an admin's token unless `token` is "". */
  const secret = randomBytes(32).toString("hex");
  let adminToken = "";

  /** One request; a 5xx fails the test on the spot. */
  async function api(method: string, path: string, json?: unknown, token = adminToken): Promise<Reply> {
    const res = await call(server!.base, method, path, json, token ? { authorization: `Bearer ${token}` } : {});
    expect(res.status, `${method} ${path} → ${res.status} ${res.text}`).toBeLessThan(500);
    return res;
  }
  const v1 = (method: string, path: string, json?: unknown) => api(method, `/api/v1${path}`, json);
  const admin = (method: string, path: string, json?: unknown) => api(method, `/api/admin${path}`, json);
  function expectError(res: Reply, status: number, code: string): void {
    expect(res.status, res.text).toBe(status);
    expect((res.body as { error: { code: string } }).error.code).toBe(code);
  }

  // Data shared by the tests: two authors, three posts, comments on two of them.
  let ann: Json;
  let bob: Json;
  let first: Json;
  let second: Json;
  let third: Json;

  beforeAll(async () => {
    // The blog config's policies need a signed-in caller: the test adds a JWT provider to its copy.
    dir = await prepareProject("blog-api", jwtAuthSection({ admin: ["*"], author: ["posts:*", "comments:*"] }));
    db = await createDatabase("yamac_blog");
    server = await startServer(dir, { DATABASE_URL: db.url, JWT_SECRET: secret });
    adminToken = await new SignJWT({ sub: "admin-1", roles: ["admin"] }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("1h").sign(new TextEncoder().encode(secret));

    const author = async (name: string, email: string) => {
      const res = await v1("POST", "/authors", { name, email, bio: `${name} writes.` });
      expect(res.status, res.text).toBe(201);
      return res.body as Json;
    };
    ann = await author("Ann Archer", "ann@example.com");
    bob = await author("Bob Baker", "bob@example.com");
    const post = async (fields: Json) => {
      const res = await v1("POST", "/posts", fields);
      expect(res.status, res.text).toBe(201);
      return res.body as Json;
    };
    first = await post({ title: "Hello PostgreSQL", content: "Indexes and joins.", excerpt: "Joins", authorId: ann.id });
    second = await post({ title: "Second thoughts", content: "More about postgresql tuning.", authorId: ann.id });
    third = await post({ title: "Bob's 100% guide", content: "Gardening.", authorId: bob.id });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    removeProject(dir);
  });

  describe("create and projections", () => {
    it("createAuthor and createPost answer 201 with the entity's row", () => {
      expect(keys(ann)).toEqual(AUTHOR_KEYS);
      expect(ann).toMatchObject({ name: "Ann Archer", email: "ann@example.com" });
      expect(first).toMatchObject({ title: "Hello PostgreSQL", published: false, publishedAt: null, authorId: ann.id });
    });

    it("createPost validates its body: required fields, unknown fields, bad references", async () => {
      const missing = await v1("POST", "/posts", { content: "no title", extra: 1 });
      expectError(missing, 400, "VALIDATION_BODY");
      const fields = (missing.body as { error: { details: { field: string }[] } }).error.details.map((d) => d.field);
      expect(fields).toEqual(expect.arrayContaining(["title", "authorId", "extra"]));
      expectError(await v1("POST", "/posts", { title: "x", content: "y", authorId: MISSING_ID }), 422, "VALIDATION_REFERENCE");
    });

    it("listPosts sends exactly PostSummary's fields, authorName read through a join", async () => {
      const res = await v1("GET", "/posts");
      expect(res.status).toBe(200);
      const rows = res.body as Json[];
      expect(rows).toHaveLength(3);
      for (const row of rows) expect(keys(row)).toEqual(SUMMARY_KEYS);
      const byId = new Map(rows.map((r) => [r.id, r]));
      expect(byId.get(first.id)).toEqual({ id: first.id, title: "Hello PostgreSQL", excerpt: "Joins", published: false, authorName: "Ann Archer" });
      expect(byId.get(third.id)).toMatchObject({ authorName: "Bob Baker", excerpt: null });
    });

    it("getPost sends PostDetail with its author loaded; 404 for an unknown id, 400 for a malformed one", async () => {
      const res = await v1("GET", `/posts/${first.id}`);
      expect(res.status).toBe(200);
      const body = res.body as Json;
      expect(keys(body)).toEqual(DETAIL_KEYS);
      expect(keys(body.author)).toEqual(AUTHOR_KEYS);
      expect(body.author).toMatchObject({ id: ann.id, name: "Ann Archer" });
      expect(body.content).toBe("Indexes and joins.");
      expectError(await v1("GET", `/posts/${MISSING_ID}`), 404, "NOT_FOUND");
      expectError(await v1("GET", "/posts/not-a-uuid"), 400, "VALIDATION_PARAMS");
    });

    it("getAuthor sends AuthorWithPosts: the author's posts as PostSummary, nobody else's", async () => {
      const res = await v1("GET", `/authors/${ann.id}`);
      expect(res.status).toBe(200);
      const body = res.body as { posts: Json[] } & Json;
      expect(keys(body)).toEqual(["bio", "email", "id", "name", "posts"]);
      expect(body.posts.map((p) => p.id).sort()).toEqual([first.id, second.id].sort());
      for (const p of body.posts) expect(keys(p)).toEqual(SUMMARY_KEYS);
      const bobs = (await v1("GET", `/authors/${bob.id}`)).body as { posts: Json[] };
      expect(bobs.posts.map((p) => p.id)).toEqual([third.id]);
    });

    it("listAuthorPosts is nested under its author and filtered by it; 404 for an unknown author", async () => {
      const res = await v1("GET", `/authors/${bob.id}/posts`);
      expect(res.status).toBe(200);
      expect((res.body as Json[]).map((p) => p.id)).toEqual([third.id]);
      expect(keys((res.body as Json[])[0])).toEqual(SUMMARY_KEYS);
      expectError(await v1("GET", `/authors/${MISSING_ID}/posts`), 404, "NOT_FOUND");
    });

    it("listAuthors pages with limit and offset, validated", async () => {
      const page = await v1("GET", "/authors?limit=1&offset=1");
      expect(page.status).toBe(200);
      expect(page.body as Json[]).toHaveLength(1);
      expectError(await v1("GET", "/authors?limit=0"), 400, "VALIDATION_QUERY");
      expectError(await v1("GET", "/authors?limit=101"), 400, "VALIDATION_QUERY");
      expectError(await v1("GET", "/authors?page=2"), 400, "VALIDATION_QUERY");
    });
  });

  describe("searchPosts", () => {
    it("matches q in title or content, case-insensitively", async () => {
      const res = await v1("GET", "/posts/search?q=postgresql");
      expect(res.status).toBe(200);
      const rows = res.body as Json[];
      expect(rows.map((r) => r.id).sort()).toEqual([first.id, second.id].sort());
      for (const row of rows) expect(keys(row)).toEqual(SUMMARY_KEYS);
    });

    it("applies limit and offset (defaults 20 and 0) and the published filter", async () => {
      const all = (await v1("GET", "/posts/search?q=e")).body as Json[];
      expect(all.length).toBe(3);
      const one = (await v1("GET", "/posts/search?q=e&limit=1")).body as Json[];
      const next = (await v1("GET", "/posts/search?q=e&limit=1&offset=1")).body as Json[];
      expect(one).toHaveLength(1);
      expect(next).toHaveLength(1);
      expect(one[0]!.id).not.toBe(next[0]!.id);
      expect(((await v1("GET", "/posts/search?q=e&offset=3")).body as Json[])).toEqual([]);
      expect(((await v1("GET", "/posts/search?q=e&published=true")).body as Json[])).toEqual([]);
      expect(((await v1("GET", "/posts/search?q=e&published=false")).body as Json[]).length).toBe(3);
    });

    it("treats % and _ in q literally", async () => {
      expect(((await v1("GET", "/posts/search?q=100%25")).body as Json[]).map((r) => r.id)).toEqual([third.id]);
      expect(((await v1("GET", "/posts/search?q=%25%25")).body as Json[])).toEqual([]);
    });

    it("validates and coerces its inputs: q is required, limit an integer, published a boolean", async () => {
      expectError(await v1("GET", "/posts/search"), 400, "VALIDATION_QUERY");
      expectError(await v1("GET", "/posts/search?q=a&limit=2.5"), 400, "VALIDATION_QUERY");
      expectError(await v1("GET", "/posts/search?q=a&limit=abc"), 400, "VALIDATION_QUERY");
      expectError(await v1("GET", "/posts/search?q=a&published=maybe"), 400, "VALIDATION_QUERY");
      expectError(await v1("GET", "/posts/search?q=a&sort=title"), 400, "VALIDATION_QUERY");
    });
  });

  describe("custom operations and filters", () => {
    it("publishPost (POST /posts/:id/publish) publishes a draft; listPublishedPosts shows only published posts", async () => {
      expect((await v1("GET", "/published-posts")).body).toEqual([]);
      const res = await v1("POST", `/posts/${first.id}/publish`);
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ id: first.id, published: true });
      expect(typeof (res.body as Json).publishedAt).toBe("string");
      const published = (await v1("GET", "/published-posts")).body as Json[];
      expect(published.map((p) => p.id)).toEqual([first.id]);
      expect(keys(published[0])).toEqual(SUMMARY_KEYS);
      expect(published[0]).toMatchObject({ published: true, authorName: "Ann Archer" });
    });

    it("publishPost answers 400 for a published post, 404 for an unknown one, 400 for a malformed id", async () => {
      const again = await v1("POST", `/posts/${first.id}/publish`);
      expect(again.status).toBe(400);
      expect(again.body).toMatchObject({ error: "Bad request" });
      const missing = await v1("POST", `/posts/${MISSING_ID}/publish`);
      expect(missing.status).toBe(404);
      expect(missing.body).toMatchObject({ error: "Not found" });
      expectError(await v1("POST", "/posts/nope/publish"), 400, "VALIDATION_PARAMS");
    });

    it("publishPost's body holds no inputs (id is in the path): anything but {} is a 400 VALIDATION_BODY before the handler runs", async () => {
      for (const path of [`/posts/${second.id}/publish`, `/posts/${MISSING_ID}/publish`]) {
        const unknown = await admin("POST", path, { foo: 1 });
        expectError(unknown, 400, "VALIDATION_BODY");
        expect((unknown.body as { error: { details: unknown[] } }).error.details).toEqual([{ field: "foo", message: "is not an allowed field", rule: "unknown_field" }]);
        expectError(await admin("POST", path, [1, 2]), 400, "VALIDATION_BODY");
      }
      // The post was not touched.
      expect(((await v1("GET", `/posts/${second.id}`)).body as Json).published).toBe(false);
      // An empty object reaches the handler, which answers 404 for an unknown post.
      expect((await admin("POST", `/posts/${MISSING_ID}/publish`, {})).status).toBe(404);
    });

    it("unpublishPost takes a post back to draft; 404 for an unknown id", async () => {
      await v1("POST", `/posts/${second.id}/publish`);
      const res = await v1("POST", `/posts/${second.id}/unpublish`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: second.id, published: false, publishedAt: null });
      expect(((await v1("GET", "/published-posts")).body as Json[]).map((p) => p.id)).toEqual([first.id]);
      expect((await v1("POST", `/posts/${second.id}/unpublish`)).status).toBe(400);
      expect((await v1("POST", `/posts/${MISSING_ID}/unpublish`)).status).toBe(404);
    });

    it("updatePost (PUT /posts/:id) changes the given fields and bumps updatedAt; 404 for an unknown id", async () => {
      const res = await v1("PUT", `/posts/${third.id}`, { excerpt: "Soil" });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ id: third.id, excerpt: "Soil", title: "Bob's 100% guide" });
      expect(new Date((res.body as Json).updatedAt as string).getTime()).toBeGreaterThan(new Date(third.updatedAt as string).getTime());
      expectError(await v1("PUT", `/posts/${MISSING_ID}`, { excerpt: "x" }), 404, "NOT_FOUND");
      expectError(await v1("PUT", `/posts/${third.id}`, { views: 1 }), 400, "VALIDATION_BODY");
    });
  });

  describe("comments nested under posts", () => {
    let c1: Json;
    let c2: Json;
    let other: Json;

    beforeAll(async () => {
      const comment = async (post: Json, fields: Json) => {
        const res = await v1("POST", `/posts/${post.id}/comments`, fields);
        expect(res.status, res.text).toBe(201);
        return res.body as Json;
      };
      c1 = await comment(first, { content: "Great", authorName: "Cy", authorEmail: "cy@example.com" });
      c2 = await comment(first, { content: "Agreed", authorName: "Di", authorEmail: "di@example.com" });
      other = await comment(third, { content: "Nice garden", authorName: "Cy", authorEmail: "cy@example.com" });
    });

    it("createComment sets postId from the path", () => {
      expect(keys(c1)).toEqual(COMMENT_KEYS);
      expect(c1).toMatchObject({ postId: first.id, content: "Great" });
      expect(other).toMatchObject({ postId: third.id });
    });

    it("createComment validates its input and answers 404 for an unknown post", async () => {
      const bad = await v1("POST", `/posts/${first.id}/comments`, { content: "x", authorName: "E", postId: third.id });
      expectError(bad, 400, "VALIDATION_BODY");
      const fields = (bad.body as { error: { details: { field: string }[] } }).error.details.map((d) => d.field);
      expect(fields).toEqual(expect.arrayContaining(["authorEmail", "postId"]));
      expectError(await v1("POST", `/posts/${MISSING_ID}/comments`, { content: "x", authorName: "E", authorEmail: "e@example.com" }), 404, "NOT_FOUND");
      expectError(await v1("POST", `/posts/${first.id}/comments`, { content: "dup", authorName: "Cy", authorEmail: "cy@example.com" }), 409, "CONFLICT");
    });

    it("listComments lists one post's comments only; 404 for an unknown post", async () => {
      const res = await v1("GET", `/posts/${first.id}/comments`);
      expect(res.status).toBe(200);
      expect((res.body as Json[]).map((c) => c.id).sort()).toEqual([c1.id, c2.id].sort());
      expect(((await v1("GET", `/posts/${third.id}/comments`)).body as Json[]).map((c) => c.id)).toEqual([other.id]);
      expect((await v1("GET", `/posts/${second.id}/comments`)).body).toEqual([]);
      expectError(await v1("GET", `/posts/${MISSING_ID}/comments`), 404, "NOT_FOUND");
    });

    it("getComment finds a comment only under its own post", async () => {
      const res = await v1("GET", `/posts/${first.id}/comments/${c1.id}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(c1);
      expectError(await v1("GET", `/posts/${third.id}/comments/${c1.id}`), 404, "NOT_FOUND");
      expectError(await v1("GET", `/posts/${MISSING_ID}/comments/${c1.id}`), 404, "NOT_FOUND");
    });

    it("deleteComment is only on the admin API, and deletes only under the right post", async () => {
      expectError(await v1("DELETE", `/posts/${first.id}/comments/${c2.id}`), 404, "NOT_FOUND");
      expectError(await admin("DELETE", `/posts/${third.id}/comments/${c2.id}`), 404, "NOT_FOUND");
      const res = await admin("DELETE", `/posts/${first.id}/comments/${c2.id}`);
      expect(res.status).toBe(204);
      expect(res.text).toBe("");
      expectError(await v1("GET", `/posts/${first.id}/comments/${c2.id}`), 404, "NOT_FOUND");
    });
  });

  describe("two APIs", () => {
    it("the admin API serves every operation under /api/admin with the same behaviour", async () => {
      const pub = (await v1("GET", "/posts")).body as Json[];
      const adm = (await admin("GET", "/posts")).body as Json[];
      expect(adm).toEqual(pub);
      expect(keys((await admin("GET", `/posts/${first.id}`)).body)).toEqual(DETAIL_KEYS);
      expect(((await admin("GET", "/posts/search?q=garden")).body as Json[]).map((p) => p.id)).toEqual([third.id]);
      expect(((await admin("GET", `/posts/${first.id}/comments`)).body as Json[]).length).toBe(1);
    });

    it("operations the public API does not list have no public route (updateAuthor, deletePost)", async () => {
      expectError(await v1("PUT", `/authors/${bob.id}`, { bio: "x" }), 404, "NOT_FOUND");
      expectError(await v1("DELETE", `/posts/${third.id}`), 404, "NOT_FOUND");
      const res = await admin("PUT", `/authors/${bob.id}`, { bio: "Gardens." });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: bob.id, bio: "Gardens." });
    });

    it("deletePost (admin) really deletes: 204, then 404, the row and its comments are gone", async () => {
      const res = await admin("DELETE", `/posts/${third.id}`);
      expect(res.status).toBe(204);
      expect(res.text).toBe("");
      expectError(await v1("GET", `/posts/${third.id}`), 404, "NOT_FOUND");
      expectError(await admin("DELETE", `/posts/${third.id}`), 404, "NOT_FOUND");
      const [posts] = await db!.sql`select count(*)::int as n from posts where id = ${third.id as string}`;
      expect(posts!.n).toBe(0);
      const [comments] = await db!.sql`select count(*)::int as n from comments where post_id = ${third.id as string}`;
      expect(comments!.n).toBe(0);
      expect(((await v1("GET", "/posts")).body as Json[]).map((p) => p.id)).not.toContain(third.id);
    });
  });

  describe("policies", () => {
    const token = (roles: string[]) => new SignJWT({ sub: "u-1", roles }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("1h").sign(new TextEncoder().encode(secret));

    it("public operations need no token; author and admin policies answer 401 without one and 403 without the role", async () => {
      expect((await api("GET", "/api/v1/posts", undefined, "")).status).toBe(200);
      const body = { title: "By policy", content: "x", authorId: ann.id };
      expectError(await api("POST", "/api/v1/posts", body, ""), 401, "AUTH_REQUIRED");
      expectError(await api("POST", "/api/v1/posts", body, await token(["reader"])), 403, "AUTHZ_INSUFFICIENT_ROLE");
      expect((await api("POST", "/api/v1/posts", body, await token(["author"]))).status).toBe(201);
      expectError(await api("GET", "/api/admin/posts", undefined, ""), 401, "AUTH_REQUIRED");
      expectError(await api("GET", "/api/admin/posts", undefined, await token(["author"])), 403, "AUTHZ_INSUFFICIENT_ROLE");
      expectError(await api("GET", "/api/admin/posts", undefined, "not.a.token"), 401, "AUTH_INVALID_TOKEN");
    });
  });

  it("logged no server errors", () => {
    expect(server!.stderr.join("")).toBe("");
  });
});
