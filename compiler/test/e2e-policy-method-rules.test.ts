/**
 * A row policy given to every CRUD route (`crud.policy`) keeps applying to routes that have a
 * rule of their own (`DELETE: {auth: …}`, `update: {auth: …}`, `read: …`, `POST: …`, the same
 * keys under `enabled:`): the rule adds to the access check, the policy's `where:` stays in the
 * route's SQL. End to end on PostgreSQL, plus the compile-time side (rules in the IR, conflicts
 * reported).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { compileText } from "../index.js";
import { explainProject } from "../explain/index.js";
import type { AuthRequirementIR } from "../ir.js";
import { call, serveConfig } from "./harness.js";

const CONFIG = `name: policy-method-rules
version: 0.1.0

auth:
  providers:
    - { type: jwt, secret: "\${JWT_SECRET}" }
    - { type: basic, identifier: "\${ADMIN_USER}", password: "\${ADMIN_PASSWORD}", roles: [admin] }
  roles:
    admin: { permissions: ["*"] }
    member: { permissions: [] }

policies:
  owner:
    auth: { required: true }
    where: { ownerId: auth.user.id }

entities:
  Account:
    fields: { id: uuid!, email: email! unique }
  Project:
    fields: { id: uuid!, name: string!, owner: Account! cascade }
    crud:
      policy: owner
      DELETE: { auth: { roles: [admin] } }
  Task:
    fields:
      id: uuid!
      title: string!
      owner: Account! cascade
      priority: { type: integer, default: 0, writableBy: [admin] }
    crud:
      policy: owner
      read: { auth: { roles: [admin, member] } }
      POST: { auth: { roles: [admin, member] } }
      update: { auth: { roles: [admin, member] } }
      enabled:
        DELETE: { auth: { roles: [admin] } }
`;

type Json = Record<string, unknown>;
const errorCode = (body: unknown) => (body as { error?: { code?: string } } | undefined)?.error?.code;

describe("a method rule keeps the entity's row policy (PostgreSQL)", () => {
  const SECRET = randomBytes(32).toString("hex");
  const ROOT_USER = { user: "root", password: randomBytes(12).toString("hex") };
  const served = serveConfig("policy-method-rules", CONFIG, { JWT_SECRET: SECRET, ADMIN_USER: ROOT_USER.user, ADMIN_PASSWORD: ROOT_USER.password });
  const ALICE = randomUUID();
  const BOB = randomUUID();
  const CAROL = randomUUID();
  const bearer = async (sub: string, roles: string[]) => ({
    authorization: `Bearer ${await new SignJWT({ roles }).setProtectedHeader({ alg: "HS256" }).setSubject(sub).setIssuedAt().setExpirationTime("10m").sign(new TextEncoder().encode(SECRET))}`,
  });
  const basicRoot = { authorization: `Basic ${Buffer.from(`${ROOT_USER.user}:${ROOT_USER.password}`).toString("base64")}` };
  const api = (method: string, path: string, headers: Record<string, string>, json?: unknown) => call(served.server.base, method, path, json, headers);
  let alice: Record<string, string> = {};
  let bob: Record<string, string> = {};
  let carol: Record<string, string> = {};

  beforeAll(async () => {
    alice = await bearer(ALICE, ["member"]);
    bob = await bearer(BOB, ["member"]);
    carol = await bearer(CAROL, ["admin"]);
    await served.db.sql`INSERT INTO accounts (id, email) VALUES (${ALICE}, 'alice@example.com'), (${BOB}, 'bob@example.com'), (${CAROL}, 'carol@example.com')`;
  });

  const count = async (table: "projects" | "tasks", id: string) => Number((await served.db.sql<{ n: string }[]>`SELECT count(*)::text AS n FROM ${served.db.sql(table)} WHERE id = ${id}`)[0]!.n);

  it("DELETE with its own role rule: another user's row is 404 for an admin, 403 AUTHZ_POLICY for a basic identity; the row stays", async () => {
    const created = await api("POST", "/projects", alice, { name: "alice's" });
    expect(created.status).toBe(201);
    const id = (created.body as Json).id as string;
    expect((created.body as Json).ownerId).toBe(ALICE);

    const byRoot = await api("DELETE", `/projects/${id}`, basicRoot);
    expect(byRoot.status).toBe(403);
    expect(errorCode(byRoot.body)).toBe("AUTHZ_POLICY");
    const byAdmin = await api("DELETE", `/projects/${id}`, carol);
    expect(byAdmin.status).toBe(404);
    expect(errorCode(byAdmin.body)).toBe("NOT_FOUND");
    // The method's own rule still holds: the owner is a member, not an admin.
    const byOwner = await api("DELETE", `/projects/${id}`, alice);
    expect(byOwner.status).toBe(403);
    expect(errorCode(byOwner.body)).toBe("AUTHZ_INSUFFICIENT_ROLE");
    expect(await count("projects", id)).toBe(1);

    // An admin deletes the rows they own.
    const own = await api("POST", "/projects", carol, { name: "carol's" });
    expect(own.status).toBe(201);
    const ownId = (own.body as Json).id as string;
    expect((await api("DELETE", `/projects/${ownId}`, carol)).status).toBe(204);
    expect(await count("projects", ownId)).toBe(0);
  });

  it("the routes without a rule of their own keep the policy too", async () => {
    const created = await api("POST", "/projects", alice, { name: "kept" });
    const id = (created.body as Json).id as string;
    expect((await api("GET", `/projects/${id}`, carol)).status).toBe(404);
    expect((await api("PATCH", `/projects/${id}`, carol, { name: "taken" })).status).toBe(404);
    expect((await api("PUT", `/projects/${id}`, bob, { name: "taken" })).status).toBe(404);
    const list = await api("GET", "/projects", carol);
    expect(list.status).toBe(200);
    expect(((list.body as { data: Json[] }).data).map((r) => r.id)).not.toContain(id);
  });

  it("read, POST, update and enabled.DELETE rules: every route of Task stays within the caller's rows", async () => {
    const created = await api("POST", "/tasks", alice, { title: "alice's task" });
    expect(created.status).toBe(201);
    expect((created.body as Json).ownerId).toBe(ALICE);
    const id = (created.body as Json).id as string;
    // The policy's column comes from the caller, never from the body.
    const forged = await api("POST", "/tasks", bob, { title: "forged", ownerId: ALICE });
    expect(forged.status).toBe(400);

    for (const who of [bob, carol]) {
      expect((await api("GET", `/tasks/${id}`, who)).status).toBe(404);
      expect((await api("PUT", `/tasks/${id}`, who, { title: "x" })).status).toBe(404);
      expect((await api("PATCH", `/tasks/${id}`, who, { title: "x" })).status).toBe(404);
      const list = await api("GET", "/tasks?count=true", who);
      expect(list.status).toBe(200);
      expect(((list.body as { data: Json[] }).data).map((r) => r.id)).not.toContain(id);
    }
    expect((await api("DELETE", `/tasks/${id}`, carol)).status).toBe(404);
    for (const [method, body] of [["GET", undefined], ["PUT", { title: "x" }], ["PATCH", { title: "x" }], ["DELETE", undefined]] as const) {
      const r = await api(method, `/tasks/${id}`, basicRoot, body);
      expect(r.status, `${method} by a basic identity`).toBe(403);
      expect(errorCode(r.body)).toBe("AUTHZ_POLICY");
    }
    expect(errorCode((await api("GET", "/tasks", basicRoot)).body)).toBe("AUTHZ_POLICY");
    expect(errorCode((await api("POST", "/tasks", basicRoot, { title: "root's" })).body)).toBe("AUTHZ_POLICY");
    expect(await count("tasks", id)).toBe(1);

    // The owner reads and changes the row; deleting it needs the admin role of enabled.DELETE.
    expect((await api("GET", `/tasks/${id}`, alice)).status).toBe(200);
    expect((await api("PATCH", `/tasks/${id}`, alice, { title: "renamed" })).body).toMatchObject({ id, title: "renamed", ownerId: ALICE });
    expect(errorCode((await api("DELETE", `/tasks/${id}`, alice)).body)).toBe("AUTHZ_INSUFFICIENT_ROLE");
  });

  it("yamac explain shows the DELETE the server sends, policy condition included", async () => {
    const created = await api("POST", "/projects", alice, { name: "explained" });
    expect((await api("DELETE", `/projects/${(created.body as Json).id as string}`, carol)).status).toBe(404);
    const sent = (await served.db.sql<{ query: string }[]>`select query from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`).map((r) => r.query.trim());
    const shown = explainProject(compileText(CONFIG).ir!, "DELETE /projects/:id")[0]!.statements[0]!.sql;
    expect(shown).toContain(`"projects"."owner_id" = $2`);
    expect(sent).toContain(shown);
  });

  it("writableBy still applies next to the policy", async () => {
    const denied = await api("POST", "/tasks", alice, { title: "urgent", priority: 5 });
    expect(denied.status).toBe(403);
    expect(errorCode(denied.body)).toBe("AUTHZ_INSUFFICIENT_ROLE");
    const ok = await api("POST", "/tasks", carol, { title: "urgent", priority: 5 });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ priority: 5, ownerId: CAROL });
    const id = (ok.body as Json).id as string;
    expect((await api("DELETE", `/tasks/${id}`, carol)).status).toBe(204);
  });
});

describe("row policies and more specific CRUD keys, at compile time", () => {
  const base = `auth:
  providers: [{type: jwt, secret: "\${JWT_SECRET}"}]
  roles: {admin: {permissions: ["*"]}, member: {permissions: []}, editor: {permissions: []}}
policies:
  owner: {auth: {required: true}, where: {ownerId: auth.user.id}}
  members: {auth: {roles: [member, admin]}, where: {ownerId: auth.user.id}}
  admins: {auth: {roles: [admin]}}
entities:
  Post:
    fields: {id: uuid!, title: string!, ownerId: uuid!}
    crud:
`;
  const rules = (crud: string) => {
    const r = compileText(base + crud);
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    return r.ir!.entities.find((e) => e.name === "Post")!.crud!.auth!;
  };
  const errors = (crud: string) => compileText(base + crud).diagnostics.filter((d) => d.severity === "error");
  const owner = [{ field: "ownerId", value: { kind: "caller", claim: "id" } }];

  it("every key form keeps the row condition of crud.policy on its routes", () => {
    for (const key of ["DELETE", "delete", "write", "mutate", "enabled:\n        DELETE"]) {
      const auth = rules(`      policy: owner\n      ${key}: {auth: {roles: [admin]}}\n`);
      expect(auth.delete, key).toMatchObject({ required: true, roles: ["admin"], policy: "owner", where: owner });
      expect(auth.get).toMatchObject({ required: true, roles: [], where: owner });
    }
    const auth = rules("      policy: owner\n      read: {auth: {roles: [admin]}}\n      GET: {policy: admins}\n      create: {auth: true}\n      update: {auth: {permissions: [\"posts:write\"]}}\n");
    for (const op of ["list", "get", "create", "replace", "update", "delete"] as const) expect(auth[op]!.where, op).toMatchObject(owner);
    expect(auth.list).toMatchObject({ roles: ["admin"] });
    expect(auth.replace).toMatchObject({ permissions: ["posts:write"] });
  });

  it("a group's row policy applies under a more specific method key, and keeps its own roles", () => {
    const auth: Partial<Record<string, AuthRequirementIR>> = rules("      write: {policy: members}\n      DELETE: {auth: {roles: [admin]}}\n");
    expect(auth.delete).toMatchObject({ roles: ["admin"], where: owner });
    expect(auth.update).toMatchObject({ roles: ["member", "admin"], where: owner });
    expect(auth.get).toBeUndefined();
  });

  it("rules that cannot hold together with the policy are errors, not silent", () => {
    const pub = errors("      policy: owner\n      read: {auth: false}\n");
    expect(pub).toHaveLength(1);
    expect(pub[0]).toMatchObject({ code: "bad-auth-rule" });
    expect(pub[0]!.message).toContain("policy owner");
    expect(errors("      policy: members\n      DELETE: {auth: {roles: [editor]}}\n")).toMatchObject([{ code: "bad-auth-rule" }]);
  });
});
