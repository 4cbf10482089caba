/**
 * `?include=` under auth, end to end on PostgreSQL: a public entity's list and get-by-id include
 * a relation only for callers who may read the related entity (401 without credentials, 403
 * without its permission or role, exactly as the related entity's own GET answers); rows of a
 * related entity with a row policy are filtered by it; hidden fields stay out of included rows.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileText } from "../index.js";
import { call, createDatabase, prepareProjectFromText, removeProject, type RunningServer, startServer } from "./harness.js";

const CONFIG = `name: include-auth
version: 0.1.0

auth:
  providers:
    - type: jwt
      secret: \${JWT_SECRET}
  roles:
    admin: { permissions: ["*"] }
    member: { permissions: [] }
    accountant: { permissions: ["invoices:read"] }

policies:
  own:
    auth: { required: true }
    where: { ownerId: auth.user.id }

entities:
  Organization:
    fields:
      id: uuid!
      name: string!
      invoices: Invoice[]
      notes: Note[]
      projects: Project[]
    crud:
      read: { auth: false }
  Invoice:
    fields:
      id: uuid!
      number: string!
      org: Organization! cascade
      amount: decimal(12,2)!
      secretCode: string? sensitive
      memo: text? writeOnly
    crud:
      read: { auth: { permissions: ["invoices:read"] } }
  Note:
    fields:
      id: uuid!
      body: text!
      org: Organization! cascade
    crud:
      read: { auth: { roles: [admin, member] } }
  Project:
    fields:
      id: uuid!
      title: string!
      ownerId: uuid!
      org: Organization! cascade
    crud:
      read: { policy: own }
`;

type Json = Record<string, unknown>;
const errorCode = (body: unknown) => (body as { error?: { code?: string } } | undefined)?.error?.code;

describe("?include= applies the related entity's read rule", () => {
  const SECRET = randomBytes(32).toString("hex");
  const ALICE = randomUUID();
  const BOB = randomUUID();
  let dir = "";
  let db: Awaited<ReturnType<typeof createDatabase>> | undefined;
  let server: RunningServer | undefined;
  let orgId = "";
  const bearer = async (sub: string, roles: string[]) => ({
    authorization: `Bearer ${await new SignJWT({ roles }).setProtectedHeader({ alg: "HS256" }).setSubject(sub).setIssuedAt().setExpirationTime("10m").sign(new TextEncoder().encode(SECRET))}`,
  });
  const get = (path: string, headers: Record<string, string> = {}) => call(server!.base, "GET", path, undefined, headers);

  beforeAll(async () => {
    dir = await prepareProjectFromText("include-auth", CONFIG);
    db = await createDatabase("yamac_include_auth");
    server = await startServer(dir, { DATABASE_URL: db.url, JWT_SECRET: SECRET });
    const [org] = await db.sql<{ id: string }[]>`INSERT INTO organizations (name) VALUES ('Acme') RETURNING id`;
    orgId = org!.id;
    await db.sql`INSERT INTO invoices (number, org_id, amount, secret_code, memo) VALUES ('INV-1', ${orgId}, 12.5, 'hush', 'private memo')`;
    await db.sql`INSERT INTO notes (body, org_id) VALUES ('a note', ${orgId})`;
    await db.sql`INSERT INTO projects (title, owner_id, org_id) VALUES ('alice project', ${ALICE}, ${orgId}), ('bob project', ${BOB}, ${orgId})`;
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    removeProject(dir);
  });

  it("without credentials: the public routes answer, an include of a protected entity is 401 like its own GET", async () => {
    expect((await get("/organizations")).status).toBe(200);
    expect((await get(`/organizations/${orgId}`)).status).toBe(200);
    const own = await get("/invoices");
    expect(own.status).toBe(401);
    for (const path of ["/organizations?include=invoices", `/organizations/${orgId}?include=invoices`, "/organizations?include=notes", `/organizations/${orgId}?include=projects`, `/organizations/${randomUUID()}?include=invoices`]) {
      const res = await get(path);
      expect(res.status, path).toBe(401);
      expect(errorCode(res.body), path).toBe("AUTH_REQUIRED");
      expect(res.text, path).not.toContain("INV-1");
      expect(res.headers.get("www-authenticate"), path).toBe(own.headers.get("www-authenticate"));
    }
    const bad = await get("/organizations?include=invoices", { authorization: "Bearer not-a-token" });
    expect(bad.status).toBe(401);
    expect(errorCode(bad.body)).toBe("AUTH_INVALID_TOKEN");
  });

  it("signed in without the permission or role: 403 with the code the related entity's own GET gives", async () => {
    const member = await bearer(ALICE, ["member"]);
    const own = await get("/invoices", member);
    expect(own.status).toBe(403);
    for (const path of ["/organizations?include=invoices", `/organizations/${orgId}?include=invoices`]) {
      const res = await get(path, member);
      expect(res.status, path).toBe(403);
      expect(errorCode(res.body), path).toBe(errorCode(own.body));
      expect(errorCode(res.body), path).toBe("AUTHZ_INSUFFICIENT_PERMISSION");
    }
    const accountant = await bearer(ALICE, ["accountant"]);
    expect(errorCode((await get("/notes", accountant)).body)).toBe("AUTHZ_INSUFFICIENT_ROLE");
    const notes = await get(`/organizations/${orgId}?include=notes`, accountant);
    expect(notes.status).toBe(403);
    expect(errorCode(notes.body)).toBe("AUTHZ_INSUFFICIENT_ROLE");
    // One forbidden relation refuses the whole request.
    expect((await get("/organizations?include=notes,invoices", accountant)).status).toBe(403);
  });

  it("callers allowed to read the related entity get its rows, without hidden fields", async () => {
    const accountant = await bearer(ALICE, ["accountant"]);
    const one = await get(`/organizations/${orgId}?include=invoices`, accountant);
    expect(one.status, one.text).toBe(200);
    const invoices = (one.body as { invoices: Json[] }).invoices;
    expect(invoices.map((i) => i.number)).toEqual(["INV-1"]);
    expect(invoices[0]).not.toHaveProperty("secretCode");
    expect(invoices[0]).not.toHaveProperty("memo");
    const listed = await get("/organizations?include=invoices", accountant);
    expect(listed.status).toBe(200);
    expect(listed.text).not.toContain("hush");
    expect(listed.text).not.toContain("private memo");
    expect((listed.body as { data: { invoices: Json[] }[] }).data[0]!.invoices).toHaveLength(1);
    const member = await get(`/organizations/${orgId}?include=notes`, await bearer(BOB, ["member"]));
    expect(member.status).toBe(200);
    expect((member.body as { notes: Json[] }).notes.map((n) => n.body)).toEqual(["a note"]);
    const admin = await get("/organizations?include=invoices,notes", await bearer(BOB, ["admin"]));
    expect(admin.status).toBe(200);
  });

  it("rows of a related entity with a row policy are filtered as its own list filters them", async () => {
    for (const [sub, title] of [[ALICE, "alice project"], [BOB, "bob project"]] as const) {
      const headers = await bearer(sub, []);
      const own = await get("/projects", headers);
      expect((own.body as { data: Json[] }).data.map((p) => p.title)).toEqual([title]);
      const one = await get(`/organizations/${orgId}?include=projects`, headers);
      expect(one.status, one.text).toBe(200);
      expect((one.body as { projects: Json[] }).projects.map((p) => p.title)).toEqual([title]);
      const listed = await get("/organizations?include=projects", headers);
      expect((listed.body as { data: { projects: Json[] }[] }).data[0]!.projects.map((p) => p.title)).toEqual([title]);
    }
  });
});

describe("?include= checks are compiled only where a related entity has a rule", () => {
  const routes = (config: string) => compileText(config).files!.filter((f) => f.path.startsWith("src/routes/")).map((f) => f.content).join("\n");

  it("an app without auth gets no check", () => {
    const plain = CONFIG.slice(CONFIG.indexOf("entities:")).replace(/\n    crud:\n      read: \{[^\n]*\}/g, "\n    crud: true");
    const out = routes(`name: include-plain\n${plain}`);
    expect(out).toContain("loadIncludes");
    expect(out).not.toContain("authorize");
  });

  it("a relation whose entity the route's own rule already covers gets no check", () => {
    const out = routes(CONFIG);
    expect(out).toContain(`if (include.includes("invoices")) authorize(c, { permissions: ["invoices:read"] });`);
    // Invoice, Note and Project include their public Organization: nothing to check.
    expect(out.match(/function authorizeIncludes/g)).toHaveLength(1);
  });
});
