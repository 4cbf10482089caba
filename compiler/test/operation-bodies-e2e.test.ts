/**
 * Dialect B: what a custom operation's handler receives, over HTTP. Its body holds the declared
 * inputs the path does not take, validated like CRUD bodies (unknown fields and non-objects are
 * a 400 VALIDATION_BODY with details); with no body inputs (none declared, or all in the path)
 * the body may only be left out or be `{}`. GET operations with a handler take their inputs from
 * the query. A ValidationError a handler throws on a GET says VALIDATION_FAILED, not VALIDATION_BODY.
 * An update operation with a handler file takes any subset of the entity's fields, as without one.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, createDatabase, prepareProjectFrom, removeProject, ROOT, type Reply, type RunningServer, startServer } from "./harness.js";

const CONFIG = `
name: operation-bodies
schemas:
  Post:
    database: posts
    fields:
      title: string!
      archived: boolean = false
operations:
  createPost: Post
  archivePost: { input: { id: uuid!, reason: "string(1..50)!", notify: boolean? }, output: Post, handler: src/handlers/archivePost.ts }
  pinPost: { input: { id: uuid!, note: string? }, output: Post, handler: src/handlers/pinPost.ts }
  publishPost: { input: { id: uuid! }, output: Post, handler: src/handlers/publishPost.ts }
  sendDigest: { handler: src/handlers/sendDigest.ts }
  listDrafts: { input: { q: string?, limit: integer = 10 }, output: "Post[]", handler: src/handlers/listDrafts.ts }
  updatePost: { output: Post, handler: src/handlers/updatePost.ts }
apis:
  rest:
    basePath: /api
    defaultPolicy: public
    operations: [all]
policies:
  public: { auth: false }
`;

/** Each handler answers what it received, so the test sees the validated, typed inputs. */
const HANDLERS: Record<string, string> = {
  "archivePost.ts": `import type { ArchivePostContext } from "../endpoints/archive-post.js";
export async function archivePost(ctx: ArchivePostContext) {
  const reason: string = ctx.body.reason;
  const notify: boolean | undefined = ctx.body.notify;
  ctx.status(200);
  return { id: ctx.params.id, reason, notify: notify ?? null } as never;
}
`,
  "pinPost.ts": `import type { PinPostContext } from "../endpoints/pin-post.js";
export async function pinPost(ctx: PinPostContext) {
  const note: string | undefined = ctx.body.note;
  return { id: ctx.params.id, note: note ?? null } as never;
}
`,
  "publishPost.ts": `import type { PublishPostContext } from "../endpoints/publish-post.js";
export async function publishPost(ctx: PublishPostContext) {
  return { id: ctx.params.id, body: ctx.body } as never;
}
`,
  "sendDigest.ts": `import type { SendDigestContext } from "../endpoints/send-digest.js";
export async function sendDigest(ctx: SendDigestContext) {
  return { body: ctx.body };
}
`,
  "updatePost.ts": `import type { UpdatePostContext } from "../endpoints/update-post.js";
export async function updatePost(ctx: UpdatePostContext) {
  const title: string | undefined = ctx.body.title;
  return { id: ctx.params.id, title: title ?? null, archived: ctx.body.archived ?? null } as never;
}
`,
  "listDrafts.ts": `import type { ListDraftsContext } from "../endpoints/list-drafts.js";
import { ValidationError } from "../lib/errors.js";
export async function listDrafts(ctx: ListDraftsContext) {
  if (ctx.query.q === "bad") throw new ValidationError("q may not be bad", [{ field: "q", message: "is bad", rule: "custom" }]);
  return [{ q: ctx.query.q ?? null, limit: ctx.query.limit, body: ctx.body ?? null }] as never;
}
`,
};

const ID = "7b0c4a52-2b8e-4d47-9d0a-5f8a1e0c9b11";
type Envelope = { error: { code: string; details?: { field: string; rule: string }[] } };

describe("custom operations validate their bodies (dialect B, over HTTP)", () => {
  let dir = "";
  let db: Awaited<ReturnType<typeof createDatabase>> | undefined;
  let server: RunningServer | undefined;

  beforeAll(async () => {
    mkdirSync(join(ROOT, ".yama"), { recursive: true });
    const source = mkdtempSync(join(ROOT, ".yama", "operation-bodies-source-"));
    try {
      writeFileSync(join(source, "yama.yaml"), CONFIG);
      mkdirSync(join(source, "src", "handlers"), { recursive: true });
      for (const [name, text] of Object.entries(HANDLERS)) writeFileSync(join(source, "src", "handlers", name), text);
      dir = await prepareProjectFrom(relative(ROOT, source));
    } finally {
      removeProject(source);
    }
    db = await createDatabase("yamac_operation_bodies");
    server = await startServer(dir, { DATABASE_URL: db.url });
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    removeProject(dir);
  });

  /** One request with a JSON body; a 5xx fails the test on the spot. */
  async function api(method: string, path: string, json?: unknown): Promise<Reply> {
    const res = await call(server!.base, method, `/api${path}`, json);
    expect(res.status, `${method} ${path} → ${res.status} ${res.text}`).toBeLessThan(500);
    return res;
  }
  /** A POST whose body is `text` as is (empty, or not an object). */
  async function send(path: string, text: string): Promise<Reply> {
    const res = await fetch(`${server!.base}/api${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: text });
    const body = await res.text();
    expect(res.status, body).toBeLessThan(500);
    return { status: res.status, headers: res.headers, text: body, body: body === "" ? undefined : (JSON.parse(body) as unknown) };
  }
  function expectBodyError(res: Reply, fields: string[]): void {
    expect(res.status, res.text).toBe(400);
    const { error } = res.body as Envelope;
    expect(error.code).toBe("VALIDATION_BODY");
    expect((error.details ?? []).map((d) => d.field).sort()).toEqual(fields);
  }

  it("inputs all in the path: unknown fields and non-objects are a 400; no body or {} reaches the handler", async () => {
    const unknown = await api("POST", `/posts/${ID}/publish`, { foo: 1 });
    expectBodyError(unknown, ["foo"]);
    expect((unknown.body as Envelope).error.details![0]!.rule).toBe("unknown_field");
    expectBodyError(await api("POST", `/posts/${ID}/publish`, [1, 2]), [""]);
    expectBodyError(await send(`/posts/${ID}/publish`, "3"), [""]);
    expect((await send(`/posts/${ID}/publish`, "{oops")).status).toBe(400);
    const empty = await send(`/posts/${ID}/publish`, "");
    expect(empty.status, empty.text).toBe(200);
    expect(empty.body).toEqual({ id: ID, body: {} });
    expect((await api("POST", `/posts/${ID}/publish`, {})).body).toEqual({ id: ID, body: {} });
    expect((await api("POST", "/posts/not-a-uuid/publish", {})).status).toBe(400);
  });

  it("some inputs in the body: required, typed and strict; the handler gets them typed", async () => {
    const ok = await api("POST", `/posts/${ID}/archive`, { reason: "spam", notify: true });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body).toEqual({ id: ID, reason: "spam", notify: true });
    expectBodyError(await api("POST", `/posts/${ID}/archive`, {}), ["reason"]);
    expectBodyError(await api("POST", `/posts/${ID}/archive`, { reason: "", notify: "yes", id: ID }), ["id", "notify", "reason"]);
    const missing = await send(`/posts/${ID}/archive`, "");
    expect(missing.status).toBe(400);
    expect((missing.body as Envelope).error.code).toBe("VALIDATION_BODY");
  });

  it("only optional inputs in the body: the body may be left out", async () => {
    expect((await send(`/posts/${ID}/pin`, "")).body).toEqual({ id: ID, note: null });
    expect((await api("POST", `/posts/${ID}/pin`, { note: "top" })).body).toEqual({ id: ID, note: "top" });
    expectBodyError(await api("POST", `/posts/${ID}/pin`, { note: 5, extra: true }), ["extra", "note"]);
  });

  it("no input declared: the body may only be empty or {}", async () => {
    expect((await send("/send-digest", "")).body).toEqual({ body: {} });
    expect((await api("POST", "/send-digest", {})).body).toEqual({ body: {} });
    expectBodyError(await api("POST", "/send-digest", { to: "everyone" }), ["to"]);
    expectBodyError(await api("POST", "/send-digest", ["x"]), [""]);
  });

  it("an update operation with a handler file takes any subset of the entity's fields", async () => {
    expect((await api("PUT", `/posts/${ID}`, { archived: true })).body).toEqual({ id: ID, title: null, archived: true });
    expect((await api("PUT", `/posts/${ID}`, {})).body).toEqual({ id: ID, title: null, archived: null });
    expectBodyError(await api("PUT", `/posts/${ID}`, { title: 3, colour: "red" }), ["colour", "title"]);
  });

  it("GET operations take their inputs from the query, validated; a handler's ValidationError is VALIDATION_FAILED", async () => {
    expect((await api("GET", "/drafts?q=x&limit=3")).body).toEqual([{ q: "x", limit: 3, body: null }]);
    expect((await api("GET", "/drafts")).body).toEqual([{ q: null, limit: 10, body: null }]);
    const unknown = await api("GET", "/drafts?colour=red");
    expect(unknown.status).toBe(400);
    expect((unknown.body as Envelope).error.code).toBe("VALIDATION_QUERY");
    const refused = await api("GET", "/drafts?q=bad");
    expect(refused.status, refused.text).toBe(400);
    expect((refused.body as Envelope).error).toMatchObject({ code: "VALIDATION_FAILED", details: [{ field: "q", rule: "custom" }] });
  });
});
