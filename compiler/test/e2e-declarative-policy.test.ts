/**
 * Declarative handlers (query, aggregate, relation) read an entity under its row policy, as its
 * own CRUD list does: an endpoint cannot expose rows the entity's policy hides, whatever the
 * endpoint's own rule; and a foreign key may only name a row its writer may read (PostgreSQL,
 * over HTTP).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { compileText } from "../index.js";
import { call, serveConfig } from "./harness.js";

const CONFIG = `name: declarative-policy
version: 0.1.0
auth:
  providers:
    - { type: jwt, secret: "\${JWT_SECRET}" }
  roles:
    member: { permissions: [] }
policies:
  owner:
    auth: { required: true }
    where: { ownerId: auth.user.id }
entities:
  Notebook:
    fields: { id: uuid!, title: string!, notes: "Note[]" }
    crud: { read: { auth: false }, write: { auth: false } }
  Note:
    fields:
      id: uuid!
      title: string!
      ownerId: uuid!
      notebook: Notebook? setNull
    crud: { policy: owner }
  Pin:
    fields: { id: uuid!, note: Note! cascade }
    crud: { enabled: [POST] }
endpoints:
  - { path: /notebooks/:id/notes, method: GET, auth: false, params: { id: uuid! }, handler: { type: relation, entity: Notebook, relation: notes, parentId: params.id }, response: "Note[]" }
  - { path: /notes/:id/notebook, method: GET, auth: false, params: { id: uuid! }, handler: { type: relation, entity: Note, relation: notebook, parentId: params.id }, response: Notebook }
  - { path: /search/notes, method: GET, auth: false, query: { q: string }, handler: { type: query, entity: Note, filters: [{ field: title, operator: ilike, param: query.q }] }, response: "Note[]" }
  - { path: /stats/notes, method: GET, auth: false, handler: { type: aggregate, entity: Note, aggregates: [{ type: count, alias: n }] } }
`;

type Json = Record<string, unknown>;
const code = (body: unknown) => (body as { error?: { code?: string } } | undefined)?.error?.code;

describe("declarative handlers apply the entity's row policy", () => {
  const SECRET = randomBytes(32).toString("hex");
  const served = serveConfig("declarative_policy", CONFIG, { JWT_SECRET: SECRET });
  const CAROL = randomUUID();
  const DAVE = randomUUID();
  const bearer = async (sub: string) => ({
    authorization: `Bearer ${await new SignJWT({ roles: ["member"] }).setProtectedHeader({ alg: "HS256" }).setSubject(sub).setIssuedAt().setExpirationTime("10m").sign(new TextEncoder().encode(SECRET))}`,
  });
  const api = (path: string, headers: Record<string, string> = {}) => call(served.server.base, "GET", path, undefined, headers);
  let carol: Record<string, string> = {};
  let dave: Record<string, string> = {};
  let notebook = "";
  let carolsNote = "";

  beforeAll(async () => {
    carol = await bearer(CAROL);
    dave = await bearer(DAVE);
    notebook = ((await call(served.server.base, "POST", "/notebooks", { title: "Shared" })).body as Json).id as string;
    const carolNote = await call(served.server.base, "POST", "/notes", { title: "Carol diary", notebookId: notebook }, carol);
    expect(carolNote.status, carolNote.text).toBe(201);
    carolsNote = (carolNote.body as Json).id as string;
    expect((await call(served.server.base, "POST", "/notes", { title: "Dave diary", notebookId: notebook }, dave)).status).toBe(201);
  });

  const titles = (body: unknown) => (body as Json[]).map((n) => n.title);

  it("relation (hasMany): anonymous callers get 401, each caller only their own notes", async () => {
    const anonymous = await api(`/notebooks/${notebook}/notes`);
    expect(anonymous.status).toBe(401);
    expect(code(anonymous.body)).toBe("AUTH_REQUIRED");
    expect(titles((await api(`/notebooks/${notebook}/notes`, carol)).body)).toEqual(["Carol diary"]);
    expect(titles((await api(`/notebooks/${notebook}/notes`, dave)).body)).toEqual(["Dave diary"]);
  });

  it("relation (belongsTo) from a policy entity: another caller's note is a 404", async () => {
    const own = await api(`/notes/${carolsNote}/notebook`, carol);
    expect(own.status, own.text).toBe(200);
    expect((own.body as Json).title).toBe("Shared");
    expect((await api(`/notes/${carolsNote}/notebook`, dave)).status).toBe(404);
  });

  it("query and aggregate: only the caller's rows", async () => {
    expect((await api("/search/notes?q=diary")).status).toBe(401);
    expect(titles((await api("/search/notes?q=diary", dave)).body)).toEqual(["Dave diary"]);
    expect((await api("/stats/notes", carol)).body).toEqual({ n: 1 });
    expect((await api("/stats/notes")).status).toBe(401);
  });

  it("a foreign key may only name a row the caller may read under its entity's policy", async () => {
    const post = (token: Record<string, string>) => call(served.server.base, "POST", "/pins", { noteId: carolsNote }, token);
    const refused = await post(dave);
    expect(refused.status, refused.text).toBe(422);
    expect((refused.body as { error: Json }).error).toMatchObject({ code: "VALIDATION_REFERENCE", details: [{ field: "noteId", rule: "foreign_key" }] });
    expect((await post(carol)).status).toBe(201);
  });
});

describe("which references are checked against the target's policy", () => {
  it("a policy on the target's key (each user reads only themself) does not keep others from naming it", () => {
    const config = CONFIG.replace("entities:\n", "entities:\n  Member:\n    fields: { id: uuid!, name: string! }\n    crud: { policy: self }\n  Task:\n    fields: { id: uuid!, title: string!, assignee: Member? }\n    crud: true\n").replace("policies:\n", "policies:\n  self:\n    auth: { required: true }\n    where: { id: auth.user.id }\n");
    const r = compileText(config);
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const file = (path: string) => r.files!.find((f) => f.path === path)!.content;
    expect(file("src/routes/task.ts")).not.toContain("requireLive");
    expect(file("src/routes/pin.ts")).toContain("requireLive(visibleNote, [input.noteId], \"noteId\"");
  });
});
