/**
 * Auth backed by the app's own tables, end to end on PostgreSQL (fixtures/auth-users): the
 * generated /auth routes (register → login → me → refresh rotation → logout), API keys stored
 * as digests, basic auth against argon2id and bcrypt hashes, row ownership (user A never reads,
 * changes or deletes user B's rows, through lists, includes, counts, bulk or nested routes),
 * field rules, and OAuth sign-in with Google and GitHub against fake providers on 127.0.0.1
 * that check the PKCE verifier.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { bcrypt } from "hash-wasm";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, createDatabase, prepareProject, removeProject, type RunningServer, startServer } from "./harness.js";

const errorCode = (body: unknown) => (body as { error?: { code?: string } } | undefined)?.error?.code;
type Json = Record<string, unknown>;
interface Session { user: Json; accessToken: string; refreshToken: string }

/** A fake OAuth 2.0 provider: authorize (auto-consent), token (checks client, redirect URI and PKCE verifier), userinfo. */
class FakeProvider {
  server!: Server;
  base = "";
  /** The profile the next authorization signs in as. */
  next: { sub: string; email: string; name: string; verified: boolean } = { sub: "1", email: "x@example.com", name: "X", verified: true };
  readonly codes = new Map<string, { challenge: string; redirectUri: string; clientId: string; profile: FakeProvider["next"]; used: boolean }>();
  readonly tokens = new Map<string, FakeProvider["next"]>();
  verifierChecks = 0;
  verifierFailures = 0;

  constructor(readonly kind: "google" | "github", readonly clientId: string, readonly clientSecret: string) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.base);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === "/authorize") {
      const q = url.searchParams;
      if (q.get("client_id") !== this.clientId || q.get("response_type") !== "code" || q.get("code_challenge_method") !== "S256" || !q.get("code_challenge") || !q.get("state")) return json(400, { error: "invalid_request" });
      const code = randomBytes(16).toString("hex");
      this.codes.set(code, { challenge: q.get("code_challenge")!, redirectUri: q.get("redirect_uri")!, clientId: q.get("client_id")!, profile: { ...this.next }, used: false });
      const back = new URL(q.get("redirect_uri")!);
      back.searchParams.set("code", code);
      back.searchParams.set("state", q.get("state")!);
      res.writeHead(302, { location: back.href });
      return void res.end();
    }
    if (url.pathname === "/token" && req.method === "POST") {
      let text = "";
      for await (const chunk of req) text += chunk;
      const form = new URLSearchParams(text);
      const grant = this.codes.get(form.get("code") ?? "");
      if (!grant || grant.used || form.get("grant_type") !== "authorization_code") return json(400, { error: "invalid_grant" });
      if (form.get("client_id") !== this.clientId || form.get("client_secret") !== this.clientSecret) return json(401, { error: "invalid_client" });
      if (form.get("redirect_uri") !== grant.redirectUri) return json(400, { error: "invalid_grant", error_description: "redirect_uri" });
      this.verifierChecks++;
      const verifier = form.get("code_verifier") ?? "";
      if (createHash("sha256").update(verifier).digest("base64url") !== grant.challenge) {
        this.verifierFailures++;
        return json(400, { error: "invalid_grant", error_description: "PKCE verification failed" });
      }
      grant.used = true;
      const token = randomBytes(16).toString("hex");
      this.tokens.set(token, grant.profile);
      return json(200, { access_token: token, token_type: "Bearer", expires_in: 3600 });
    }
    const profile = this.tokens.get((req.headers.authorization ?? "").replace(/^Bearer /, ""));
    if (!profile) return json(401, { error: "invalid_token" });
    if (url.pathname === "/userinfo") return json(200, { sub: profile.sub, email: profile.email, email_verified: profile.verified, name: profile.name });
    if (url.pathname === "/user") return json(200, { id: Number(profile.sub), login: profile.name.toLowerCase(), name: profile.name, email: null });
    if (url.pathname === "/user/emails") return json(200, [{ email: "old@example.com", primary: false, verified: true }, { email: profile.email, primary: true, verified: profile.verified }]);
    json(404, { error: "not_found" });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe("auth backed by the app's tables (fixtures/auth-users)", () => {
  const SECRET = randomBytes(32).toString("hex");
  const google = new FakeProvider("google", "google-client", randomBytes(12).toString("hex"));
  const github = new FakeProvider("github", "github-client", randomBytes(12).toString("hex"));
  let dir = "";
  let db: Awaited<ReturnType<typeof createDatabase>> | undefined;
  let server: RunningServer | undefined;
  const api = (method: string, path: string, json?: unknown, headers: Record<string, string> = {}) => call(server!.base, method, path, json, headers);
  const bearer = (s: Session | string) => ({ authorization: `Bearer ${typeof s === "string" ? s : s.accessToken}` });
  const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` });
  /** A token the app would accept, signed here (for roles no endpoint grants, such as admin). */
  const signed = (sub: string, roles: string[]) => new SignJWT({ roles }).setProtectedHeader({ alg: "HS256" }).setSubject(sub).setIssuer("auth-users").setAudience("api").setIssuedAt().setExpirationTime("5m").sign(new TextEncoder().encode(SECRET));

  async function register(email: string, password = "correct horse battery"): Promise<Session> {
    const res = await api("POST", "/auth/register", { email, password, name: email.split("@")[0] });
    expect(res.status, res.text).toBe(201);
    return res.body as Session;
  }

  beforeAll(async () => {
    await Promise.all([google.start(), github.start()]);
    dir = await prepareProject("auth-users");
    db = await createDatabase("yamac_auth_users");
    server = await startServer(dir, {
      DATABASE_URL: db.url,
      JWT_SECRET: SECRET,
      GOOGLE_CLIENT_ID: google.clientId,
      GOOGLE_CLIENT_SECRET: google.clientSecret,
      GOOGLE_AUTHORIZE_URL: `${google.base}/authorize`,
      GOOGLE_TOKEN_URL: `${google.base}/token`,
      GOOGLE_USERINFO_URL: `${google.base}/userinfo`,
      GITHUB_CLIENT_ID: github.clientId,
      GITHUB_CLIENT_SECRET: github.clientSecret,
      GITHUB_AUTHORIZE_URL: `${github.base}/authorize`,
      GITHUB_TOKEN_URL: `${github.base}/token`,
      GITHUB_USER_URL: `${github.base}/user`,
      GITHUB_EMAILS_URL: `${github.base}/user/emails`,
    });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    removeProject(dir);
    await Promise.all([google.stop(), github.stop()]);
  });

  it("register → login → me → refresh (rotation) → logout → refresh fails", async () => {
    const alice = await register("Alice@Example.com");
    expect(alice.user).toMatchObject({ email: "alice@example.com", roles: ["member"] });
    expect(alice.user).not.toHaveProperty("passwordHash");
    const [row] = await db!.sql`SELECT password_hash FROM users WHERE email = 'alice@example.com'`;
    expect(String(row!.password_hash)).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    const [stored] = await db!.sql`SELECT count(*)::int AS n FROM auth_refresh_tokens WHERE token_hash = ${createHash("sha256").update(alice.refreshToken).digest("hex")}`;
    expect(stored!.n).toBe(1);

    expect((await api("POST", "/auth/register", { email: "alice@example.com", password: "another password" })).status).toBe(409);
    const weak = await api("POST", "/auth/register", { email: "weak@example.com", password: "short" });
    expect(weak.status).toBe(400);
    expect(errorCode(weak.body)).toBe("VALIDATION_BODY");
    expect((weak.body as { error: { details: { field: string }[] } }).error.details[0]!.field).toBe("password");
    const escalate = await api("POST", "/auth/register", { email: "mallory@example.com", password: "correct horse battery", roles: ["admin"] });
    expect(escalate.status).toBe(400);
    expect((await api("POST", "/auth/register", { email: "hash@example.com", passwordHash: "$argon2id$x", password: "correct horse battery" })).status).toBe(400);

    const wrong = await api("POST", "/auth/login", { email: "alice@example.com", password: "wrong password" });
    expect(wrong.status).toBe(401);
    expect(errorCode(wrong.body)).toBe("AUTH_INVALID_CREDENTIALS");
    expect((await api("POST", "/auth/login", { email: "nobody@example.com", password: "whatever" })).status).toBe(401);
    const login = await api("POST", "/auth/login", { email: "ALICE@example.com", password: "correct horse battery" });
    expect(login.status, login.text).toBe(200);
    const session = login.body as Session;
    expect(session.user.id).toBe(alice.user.id);

    const me = await api("GET", "/auth/me", undefined, bearer(session));
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: alice.user.id, email: "alice@example.com" });
    expect(me.body).not.toHaveProperty("passwordHash");
    expect((await api("GET", "/auth/me")).status).toBe(401);

    const refreshed = await api("POST", "/auth/refresh", { refreshToken: session.refreshToken });
    expect(refreshed.status).toBe(200);
    const next = refreshed.body as Session;
    expect(next.refreshToken).not.toBe(session.refreshToken);
    expect((await api("GET", "/auth/me", undefined, bearer(next))).status).toBe(200);
    // The used token is dead, and presenting it again ends the whole sign-in (its family).
    const replay = await api("POST", "/auth/refresh", { refreshToken: session.refreshToken });
    expect(replay.status).toBe(401);
    expect(errorCode(replay.body)).toBe("AUTH_INVALID_TOKEN");
    expect((await api("POST", "/auth/refresh", { refreshToken: next.refreshToken })).status).toBe(401);
    // The other sign-in (from register) is another family and still works.
    const other = await api("POST", "/auth/refresh", { refreshToken: alice.refreshToken });
    expect(other.status).toBe(200);

    const fresh = (await api("POST", "/auth/login", { email: "alice@example.com", password: "correct horse battery" })).body as Session;
    expect((await api("POST", "/auth/logout", { refreshToken: fresh.refreshToken }, bearer(fresh))).status).toBe(204);
    expect((await api("POST", "/auth/refresh", { refreshToken: fresh.refreshToken })).status).toBe(401);
    expect((await api("POST", "/auth/logout")).status).toBe(401);
    expect((await api("POST", "/auth/refresh", { refreshToken: "x".repeat(300) })).status).toBe(400);
  });

  it("change-password checks the current password, and signs the user out everywhere", async () => {
    const carol = await register("carol@example.com", "first password!");
    const wrong = await api("POST", "/auth/change-password", { currentPassword: "nope nope", newPassword: "second password!" }, bearer(carol));
    expect(wrong.status).toBe(401);
    const ok = await api("POST", "/auth/change-password", { currentPassword: "first password!", newPassword: "second password!" }, bearer(carol));
    expect(ok.status, ok.text).toBe(204);
    expect((await api("POST", "/auth/refresh", { refreshToken: carol.refreshToken })).status).toBe(401);
    expect((await api("POST", "/auth/login", { email: "carol@example.com", password: "first password!" })).status).toBe(401);
    expect((await api("POST", "/auth/login", { email: "carol@example.com", password: "second password!" })).status).toBe(200);
  });

  it("user A cannot read, change or delete user B's rows: get, list, count, include, bulk, nested", async () => {
    const a = await register("owner-a@example.com");
    const b = await register("owner-b@example.com");
    const created = await api("POST", "/posts", { title: "A's post", body: "secret", draftNotes: "draft" }, bearer(a));
    expect(created.status, created.text).toBe(201);
    const post = created.body as Json;
    expect(post.authorId).toBe(a.user.id);
    expect(post).not.toHaveProperty("draftNotes");
    // The owner column comes from the caller; a body may not name it.
    const forged = await api("POST", "/posts", { title: "forged", authorId: b.user.id }, bearer(a));
    expect(forged.status).toBe(400);

    expect((await api("GET", `/posts/${post.id}`, undefined, bearer(b))).status).toBe(404);
    expect((await api("PATCH", `/posts/${post.id}`, { title: "taken" }, bearer(b))).status).toBe(404);
    expect((await api("PUT", `/posts/${post.id}`, { title: "taken" }, bearer(b))).status).toBe(404);
    expect((await api("DELETE", `/posts/${post.id}`, undefined, bearer(b))).status).toBe(404);
    expect((await api("PATCH", `/posts/${post.id}`, {}, bearer(b))).status).toBe(404);
    expect((await api("PATCH", `/posts/${post.id}`, { authorId: b.user.id }, bearer(a))).status).toBe(400);
    const intact = await api("GET", `/posts/${post.id}`, undefined, bearer(a));
    expect(intact.status).toBe(200);
    expect(intact.body).toMatchObject({ title: "A's post", authorId: a.user.id });

    const bulk = await api("POST", "/posts/bulk", [{ title: "b1" }, { title: "b2" }], bearer(b));
    expect(bulk.status, bulk.text).toBe(201);
    expect((bulk.body as { data: Json[] }).data.map((p) => p.authorId)).toEqual([b.user.id, b.user.id]);
    expect((await api("POST", "/posts/bulk", [{ title: "b3", authorId: a.user.id }], bearer(b))).status).toBe(400);

    const listB = await api("GET", "/posts?count=true", undefined, bearer(b));
    const pageB = listB.body as { data: Json[]; pagination: { total: number } };
    expect(pageB.data.map((p) => p.title).sort()).toEqual(["b1", "b2"]);
    expect(pageB.pagination.total).toBe(2);
    // A filter naming A cannot widen B's view.
    expect(((await api("GET", `/posts?authorId=${a.user.id}`, undefined, bearer(b))).body as { data: Json[] }).data).toEqual([]);

    // Comments: B may not comment on A's post, which B cannot read (policy owner on posts): 422,
    // as for a post that does not exist, so B learns nothing about A's rows.
    const mine = await api("POST", "/comments", { text: "from A", postId: post.id }, bearer(a));
    expect(mine.status, mine.text).toBe(201);
    const refused = await api("POST", "/comments", { text: "from B", postId: post.id }, bearer(b));
    expect(refused.status, refused.text).toBe(422);
    expect(errorCode(refused.body)).toBe("VALIDATION_REFERENCE");
    // A comment of B's on A's post written outside the API: A still sees only A's comments, through include as well.
    await db!.sql`INSERT INTO comments (text, post_id, author_id) VALUES ('from B', ${post.id as string}, ${b.user.id as string})`;
    const withComments = await api("GET", `/posts/${post.id}?include=comments,author`, undefined, bearer(a));
    expect(withComments.status).toBe(200);
    const shaped = withComments.body as { comments: Json[]; author: Json };
    expect(shaped.comments.map((c) => c.text)).toEqual(["from A"]);
    expect(shaped.author).toMatchObject({ id: a.user.id });
    expect(shaped.author).not.toHaveProperty("passwordHash");
    const listed = await api("GET", "/posts?include=comments", undefined, bearer(a));
    expect((listed.body as { data: { comments: Json[] }[] }).data.flatMap((p) => p.comments.map((c) => c.text))).toEqual(["from A"]);
    expect(((await api("GET", "/comments", undefined, bearer(b))).body as { data: Json[] }).data.map((c) => c.text)).toEqual(["from B"]);
    expect((await api("DELETE", `/comments/${(mine.body as Json).id}`, undefined, bearer(b))).status).toBe(404);
    // The nested operation (policy owner in API `nested`) lists only the caller's comments, under a
    // parent the caller may read: A's post is a 404 for B, as GET /posts/:id is.
    const nested = await api("GET", `/posts/${post.id}/comments`, undefined, bearer(a));
    expect(nested.status, nested.text).toBe(200);
    expect((nested.body as Json[]).map((c) => c.text)).toEqual(["from A"]);
    expect((await api("GET", `/posts/${post.id}/comments`, undefined, bearer(b))).status).toBe(404);

    // Users: each sees only themself.
    expect(((await api("GET", "/users", undefined, bearer(a))).body as { data: Json[] }).data.map((u) => u.id)).toEqual([a.user.id]);
    expect((await api("GET", `/users/${b.user.id}`, undefined, bearer(a))).status).toBe(404);

    expect((await api("DELETE", `/posts/${post.id}`, undefined, bearer(a))).status).toBe(204);
    const [{ n }] = (await db!.sql`SELECT count(*)::int AS n FROM posts WHERE author_id = ${b.user.id as string}`) as unknown as [{ n: number }];
    expect(n).toBe(2);
  });

  it("field rules: writableBy is 403 for other roles, readonly fields are 400, writeOnly fields never come back", async () => {
    const dave = await register("dave@example.com");
    const denied = await api("POST", "/posts", { title: "featured?", featured: true }, bearer(dave));
    expect(denied.status).toBe(403);
    expect(errorCode(denied.body)).toBe("AUTHZ_INSUFFICIENT_ROLE");
    expect((denied.body as { error: { details: { field: string }[] } }).error.details[0]!.field).toBe("featured");
    const admin = await signed(String(dave.user.id), ["admin"]);
    const allowed = await api("POST", "/posts", { title: "featured!", featured: true, draftNotes: "n" }, bearer(admin));
    expect(allowed.status, allowed.text).toBe(201);
    expect(allowed.body).toMatchObject({ featured: true, authorId: dave.user.id });
    const id = (allowed.body as Json).id;
    const [row] = await db!.sql`SELECT draft_notes FROM posts WHERE id = ${id as string}`;
    expect(row!.draft_notes).toBe("n");
    expect((await api("PATCH", `/posts/${id}`, { featured: false }, bearer(dave))).status).toBe(403);
    // A PUT that leaves the field out keeps it (it does not fall back to its default).
    const replaced = await api("PUT", `/posts/${id}`, { title: "replaced" }, bearer(dave));
    expect(replaced.status, replaced.text).toBe(200);
    expect(replaced.body).toMatchObject({ title: "replaced", featured: true, body: null });
    expect((await api("POST", "/posts", { title: "t", createdAt: new Date().toISOString() }, bearer(dave))).status).toBe(400);
    expect((await api("POST", "/posts", { title: "t", id: crypto.randomUUID() }, bearer(dave))).status).toBe(400);
    for (const res of [await api("GET", `/posts/${id}`, undefined, bearer(dave)), await api("GET", "/posts?include=author", undefined, bearer(dave)), await api("PATCH", `/posts/${id}`, { title: "x" }, bearer(dave))]) {
      expect(res.status).toBe(200);
      expect(res.text).not.toContain("draftNotes");
      expect(res.text).not.toContain("passwordHash");
    }
  });

  it("API keys are looked up by their SHA-256 digest in the ApiKey entity; keys act for their user", async () => {
    const erin = await register("erin@example.com");
    await api("POST", "/posts", { title: "erin's" }, bearer(erin));
    const key = randomBytes(24).toString("base64url");
    const adminKey = randomBytes(24).toString("base64url");
    const digest = (k: string) => createHash("sha256").update(k).digest("hex");
    await db!.sql`INSERT INTO api_keys (label, key_hash, user_id, scopes) VALUES ('ci', ${digest(key)}, ${erin.user.id as string}, NULL), ('ops', ${digest(adminKey)}, ${erin.user.id as string}, ${["admin"]})`;
    const [stored] = await db!.sql`SELECT key_hash FROM api_keys WHERE label = 'ci'`;
    expect(stored!.key_hash).not.toContain(key);

    const list = await api("GET", "/posts", undefined, { "x-api-key": key });
    expect(list.status, list.text).toBe(200);
    expect((list.body as { data: Json[] }).data.map((p) => p.title)).toEqual(["erin's"]);
    const bad = await api("GET", "/posts", undefined, { "x-api-key": `${key}x` });
    expect(bad.status).toBe(401);
    expect(errorCode(bad.body)).toBe("AUTH_INVALID_TOKEN");
    expect((await api("POST", "/posts", { title: "by key", featured: true }, { "x-api-key": key })).status).toBe(403);
    const featured = await api("POST", "/posts", { title: "by admin key", featured: true }, { "x-api-key": adminKey });
    expect(featured.status, featured.text).toBe(201);
    expect(featured.body).toMatchObject({ authorId: erin.user.id });
  });

  it("basic auth checks argon2id and bcrypt hashes of the user entity", async () => {
    const frank = await register("frank@example.com", "frank's password");
    await api("POST", "/posts", { title: "frank's" }, bearer(frank));
    const ok = await api("GET", "/posts", undefined, basic("Frank@example.com", "frank's password"));
    expect(ok.status, ok.text).toBe(200);
    expect((ok.body as { data: Json[] }).data.map((p) => p.title)).toEqual(["frank's"]);
    const wrong = await api("GET", "/posts", undefined, basic("frank@example.com", "nope"));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toContain("Basic");
    expect((await api("GET", "/posts", undefined, basic("nobody@example.com", "nope"))).status).toBe(401);
    // A hash written by another system (bcrypt) still signs in, over basic and /auth/login.
    const legacy = await bcrypt({ password: "legacy pass", salt: randomBytes(16), costFactor: 8, outputType: "encoded" });
    await db!.sql`UPDATE users SET password_hash = ${legacy} WHERE email = 'frank@example.com'`;
    expect((await api("GET", "/posts", undefined, basic("frank@example.com", "legacy pass"))).status).toBe(200);
    expect((await api("POST", "/auth/login", { email: "frank@example.com", password: "legacy pass" })).status).toBe(200);
  });

  /** Runs the browser's part of an OAuth sign-in: the app's redirect, the provider's consent, the callback. */
  async function oauth(provider: "google" | "github", tamper?: (callback: URL, cookie: string) => { callback: URL; cookie: string }) {
    const start = await fetch(`${server!.base}/auth/${provider}`, { redirect: "manual" });
    expect(start.status).toBe(302);
    const authorize = new URL(start.headers.get("location")!);
    const cookie = (start.headers.get("set-cookie") ?? "").split(";")[0]!;
    expect(cookie).toMatch(new RegExp(`^oauth_${provider}=`));
    expect(start.headers.get("set-cookie")).toMatch(/HttpOnly/i);
    expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
    const consent = await fetch(authorize, { redirect: "manual" });
    expect(consent.status).toBe(302);
    let callback = new URL(consent.headers.get("location")!);
    let jar = cookie;
    if (tamper) ({ callback, cookie: jar } = tamper(callback, cookie));
    return call(server!.base, "GET", `${callback.pathname}${callback.search}`, undefined, { cookie: jar });
  }

  it("OAuth with Google: PKCE and state, a new user on first sign-in, the same user afterwards", async () => {
    google.next = { sub: "g-123", email: "grace@example.com", name: "Grace", verified: true };
    const first = await oauth("google");
    expect(first.status, first.text).toBe(200);
    const session = first.body as Session;
    expect(session.user).toMatchObject({ email: "grace@example.com", name: "Grace", roles: ["member"] });
    expect(google.verifierChecks).toBeGreaterThan(0);
    expect((await api("GET", "/auth/me", undefined, bearer(session))).body).toMatchObject({ email: "grace@example.com" });
    const again = await oauth("google");
    expect((again.body as Session).user.id).toBe(session.user.id);
    // Refresh tokens from OAuth sign-ins rotate like the others.
    expect((await api("POST", "/auth/refresh", { refreshToken: session.refreshToken })).status).toBe(200);
    // A Google user has no password: basic auth and login cannot sign in as them.
    expect((await api("POST", "/auth/login", { email: "grace@example.com", password: "" })).status).toBe(400);
    expect((await api("POST", "/auth/login", { email: "grace@example.com", password: "anything" })).status).toBe(401);
  });

  it("OAuth: a state that does not match the cookie is 400, and the provider refuses a wrong PKCE verifier", async () => {
    google.next = { sub: "g-999", email: "heidi@example.com", name: "Heidi", verified: true };
    const mismatch = await oauth("google", (callback, cookie) => {
      callback.searchParams.set("state", "forged-state");
      return { callback, cookie };
    });
    expect(mismatch.status).toBe(400);
    expect(errorCode(mismatch.body)).toBe("OAUTH_STATE_MISMATCH");
    const noCookie = await oauth("google", (callback) => ({ callback, cookie: "" }));
    expect(noCookie.status).toBe(400);
    expect(errorCode(noCookie.body)).toBe("OAUTH_STATE_MISMATCH");

    // A code obtained in one sign-in, presented with another sign-in's state and cookie (its verifier): the provider refuses.
    const stolen = await fetch(`${server!.base}/auth/google`, { redirect: "manual" });
    const stolenCode = new URL((await fetch(new URL(stolen.headers.get("location")!), { redirect: "manual" })).headers.get("location")!).searchParams.get("code")!;
    const failuresBefore = google.verifierFailures;
    const swapped = await oauth("google", (callback, cookie) => {
      callback.searchParams.set("code", stolenCode);
      return { callback, cookie };
    });
    expect(swapped.status).toBe(400);
    expect(errorCode(swapped.body)).toBe("OAUTH_CODE_REJECTED");
    expect(google.verifierFailures).toBe(failuresBefore + 1);
    const [{ n }] = (await db!.sql`SELECT count(*)::int AS n FROM users WHERE email = 'heidi@example.com'`) as unknown as [{ n: number }];
    expect(n).toBe(0);
  });

  it("OAuth with GitHub links to the existing user with the same verified address", async () => {
    const ivan = await register("ivan@example.com");
    github.next = { sub: "4242", email: "ivan@example.com", name: "Ivan", verified: true };
    const res = await oauth("github");
    expect(res.status, res.text).toBe(200);
    expect((res.body as Session).user.id).toBe(ivan.user.id);
    const [identity] = await db!.sql`SELECT provider, subject FROM auth_identities WHERE user_id = ${ivan.user.id as string}`;
    expect(identity).toMatchObject({ provider: "github", subject: "4242" });
    // An unverified address is not linked: it would let anyone claim an account.
    github.next = { sub: "5151", email: "ivan@example.com", name: "Impostor", verified: false };
    const impostor = await oauth("github");
    expect(impostor.status).toBe(400);
    expect(errorCode(impostor.body)).toBe("OAUTH_NO_EMAIL");
  });
});
