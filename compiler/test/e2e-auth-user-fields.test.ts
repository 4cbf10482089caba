/**
 * The fields that sign a user in are not ordinary CRUD fields (PostgreSQL, over HTTP): a user who
 * may PATCH their own profile cannot set their password hash (which would bypass change-password)
 * or their roles (privilege escalation) through it; the e-mail sign-in name is stored lowercased,
 * as register and login compare it.
 */
import { describe, expect, it } from "vitest";
import { call, jwtAuthSection, serveConfig } from "./harness.js";

const CONFIG = `name: profiles
version: 1.0.0
${jwtAuthSection({ admin: ["*"], member: ["notes:*"] })}  user: { entity: Member }
  defaultRole: member
  endpoints: true
policies:
  me: { auth: { required: true }, where: { id: auth.user.id } }
entities:
  Member:
    fields:
      id: uuid!
      email: email! unique
      name: string?
      passwordHash: text? sensitive
      roles: string[]?
    crud: { enabled: [GET, PATCH], policy: me }
`;

type Json = Record<string, unknown>;
const code = (body: unknown) => (body as { error?: { code?: string; details?: { field: string; rule: string }[] } }).error;

describe("auth user fields over CRUD", () => {
  const served = serveConfig("auth_user_fields", CONFIG, { JWT_SECRET: "profiles-secret-that-is-long-enough-0123456789" });
  const api = (method: string, path: string, json?: unknown, token?: string) => call(served.server.base, method, path, json, token ? { authorization: `Bearer ${token}` } : {});

  it("a member cannot set their password hash or roles through PATCH; the e-mail is stored lowercased", async () => {
    const reg = await api("POST", "/auth/register", { email: "Carol@Example.com", password: "carol-password-1" });
    expect(reg.status, reg.text).toBe(201);
    const { user, accessToken } = reg.body as { user: Json; accessToken: string };
    expect(user.email).toBe("carol@example.com");

    for (const body of [{ roles: ["admin"] }, { passwordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA" }]) {
      const refused = await api("PATCH", `/members/${user.id}`, body, accessToken);
      expect(refused.status, refused.text).toBe(400);
      expect(code(refused.body)).toMatchObject({ code: "VALIDATION_BODY", details: [{ field: Object.keys(body)[0], rule: "unknown_field" }] });
    }
    const [row] = await served.db.sql<{ roles: string[]; password_hash: string }[]>`select roles, password_hash from members where id = ${user.id as string}`;
    expect(row!.roles).toEqual(["member"]);
    expect(row!.password_hash.startsWith("$argon2id$")).toBe(true);

    const renamed = await api("PATCH", `/members/${user.id}`, { email: "Carol.New@Example.com", name: "Carol" }, accessToken);
    expect(renamed.status, renamed.text).toBe(200);
    expect((renamed.body as Json).email).toBe("carol.new@example.com");
    expect((await api("POST", "/auth/login", { email: "CAROL.NEW@example.com", password: "carol-password-1" })).status).toBe(200);
  });
});
