import { describe, expect, it } from "vitest";
import { compileText } from "../index.js";
import type { Diagnostic } from "../diagnostics.js";

const entity = `entities:\n  Note:\n    fields:\n      id: uuid!\n      title: string!\n    crud: true\n`;
const jwt = `auth:\n  providers:\n    - {type: jwt, secret: "\${JWT_SECRET}"}\n  roles:\n    admin: {permissions: ["*"]}\n    editor: {permissions: ["notes:*"]}\n`;

/** The single error a config gives, with its code, message and position. */
function onlyError(text: string): Diagnostic {
  const r = compileText(text);
  expect(r.ok).toBe(false);
  const errors = r.diagnostics.filter((d) => d.severity === "error");
  expect(errors, JSON.stringify(errors)).toHaveLength(1);
  return errors[0]!;
}

const at = (line: number, col: number) => expect.objectContaining({ line, col });

describe("auth diagnostics", () => {
  it("a secret written into the config is an error at its line:col", () => {
    const d = onlyError(`auth:\n  providers:\n    - type: jwt\n      secret: hunter2\n${entity}`);
    expect(d).toMatchObject({ code: "secret-in-config", message: "auth.providers[0].secret is written into the config", hint: "read it from the environment: `secret: ${JWT_SECRET}`", location: at(4, 15) });
    expect(onlyError(`auth:\n  providers:\n    - {type: api-key, keys: "abc123"}\n${entity}`)).toMatchObject({ code: "secret-in-config", message: "auth.providers[0].keys is written into the config", location: at(3, 29) });
    expect(onlyError(`auth:\n  providers:\n    - type: basic\n      identifier: \${ADMIN_USER}\n      password: s3cret\n${entity}`)).toMatchObject({ code: "secret-in-config", location: at(5, 17) });
  });

  it("an unknown role in a requirement names the role, with a suggestion", () => {
    const d = onlyError(`${jwt}${entity}endpoints:\n  - path: /report\n    method: GET\n    auth: {roles: [admn]}\n    response: Note[]\n`);
    expect(d).toMatchObject({ code: "unknown-role", message: 'this rule names role "admn", which auth.roles does not declare', hint: 'did you mean "admin"?', location: at(16, 20) });
    const crud = onlyError(`${jwt}entities:\n  Note:\n    fields:\n      id: uuid!\n    crud:\n      write:\n        auth:\n          roles: [editor, owner]\n`);
    expect(crud).toMatchObject({ code: "unknown-role", location: at(14, 27) });
    const provider = onlyError(`auth:\n  providers:\n    - {type: api-key, keys: "\${K}", roles: [robot]}\n${entity}`);
    expect(provider).toMatchObject({ code: "unknown-role", message: 'auth.providers[0] grants role "robot", which auth.roles does not declare', location: at(3, 45) });
  });

  it("a policy naming an undeclared role is reported once, at the policy", () => {
    const text = `${jwt}entities:\n  Post:\n    fields:\n      id: uuid!\n      title: string!\noperations:\n  listPosts: Post[]\n  createPost: Post\npolicies:\n  staff:\n    auth: {roles: [staf]}\napis:\n  rest:\n    basePath: /v1\n    defaultPolicy: staff\n    operations: [listPosts, createPost]\n`;
    expect(onlyError(text)).toMatchObject({ code: "unknown-role", message: 'policy staff names role "staf", which auth.roles does not declare', location: at(17, 20) });
  });

  it("an auth requirement without an auth: section is a warning, and the route answers 401 (never silently public)", () => {
    const warningOf = (yaml: string) => {
      const r = compileText(yaml);
      expect(r.ok).toBe(true);
      return { warning: r.diagnostics.find((d) => d.code === "auth-not-configured"), files: r.files! };
    };
    const ep = warningOf(`${entity}endpoints:\n  - path: /notes/mine\n    method: GET\n    auth: {required: true}\n    response: Note[]\n`);
    expect(ep.warning).toMatchObject({ severity: "warning", message: "GET /notes/mine requires authentication, but the config has no `auth:` section: no caller can sign in, so it answers 401 to every request", location: at(10, 5) });
    expect(ep.files.find((f) => f.path === "src/endpoints/get-notes-mine.ts")!.content).toContain('get("/notes/mine", requireAuth(), async (c)');
    const crud = warningOf(`entities:\n  Note:\n    fields:\n      id: uuid!\n    crud:\n      DELETE:\n        auth: {roles: [admin]}\n`);
    expect(crud.warning).toMatchObject({ severity: "warning", message: expect.stringMatching(/^Note CRUD \(DELETE\) requires authentication/), location: at(7, 9) });
    expect(crud.files.find((f) => f.path === "src/routes/note.ts")!.content).toMatch(/\.delete\("\/:id", requireAuth\(\{ roles: \["admin"\] \}\)/);
    const policy = warningOf(`entities:\n  Post:\n    fields:\n      id: uuid!\n      title: string!\noperations:\n  listPosts: Post[]\npolicies:\n  members:\n    auth: true\napis:\n  rest:\n    defaultPolicy: members\n    operations: [listPosts]\n`);
    expect(policy.warning).toMatchObject({ severity: "warning", message: expect.stringMatching(/^policy members requires authentication/), location: at(10, 5) });
    // Public rules need no auth: section and no warning.
    const open = compileText(`${entity}endpoints:\n  - path: /notes/all\n    method: GET\n    auth: false\n    response: Note[]\n`);
    expect(open.ok).toBe(true);
    expect(open.diagnostics.filter((d) => d.code === "auth-not-configured")).toEqual([]);
  });

  it("bad provider options: unknown type, missing key, wrong algorithm, http JWKS, planned modes, unknown option", () => {
    const unknownType = onlyError(`auth:\n  providers:\n    - type: oauth-gitlab2\n${entity}`);
    expect(unknownType).toMatchObject({ code: "bad-plugin-option", message: "auth.providers.0.type: unknown provider type; this version compiles jwt, api-key, basic, oauth-google, oauth-github", location: at(3, 13) });
    expect(onlyError(`auth:\n  providers:\n    - type: oauth-gitlab\n${entity}`)).toMatchObject({ code: "auth-provider-not-compiled", location: at(3, 13) });
    expect(onlyError(`auth:\n  providers:\n    - {type: jwt, algorithm: HS256}\n${entity}`)).toMatchObject({ code: "bad-plugin-option", message: "auth.providers[0] (jwt) needs a key: `secret` (HS256), `publicKey` or `jwksUrl`" });
    expect(onlyError(`auth:\n  providers:\n    - {type: jwt, secret: "\${S}", publicKey: "\${P}"}\n${entity}`)).toMatchObject({ code: "bad-plugin-option", message: "auth.providers[0] (jwt) gives secret and publicKey; give exactly one", location: at(3, 35) });
    expect(onlyError(`auth:\n  providers:\n    - {type: jwt, publicKey: "\${P}", algorithm: HS256}\n${entity}`)).toMatchObject({ code: "bad-plugin-option", message: "auth.providers[0]: HS256 needs a shared `secret`, not a public key", location: at(3, 49) });
    expect(onlyError(`auth:\n  providers:\n    - {type: jwt, secret: "\${S}", algorithm: RS256}\n${entity}`)).toMatchObject({ code: "bad-plugin-option", message: "auth.providers[0]: a secret verifies HS256/HS384/HS512 only, not RS256" });
    expect(onlyError(`auth:\n  providers:\n    - {type: jwt, jwksUrl: "http://idp.example/jwks.json"}\n${entity}`)).toMatchObject({ code: "bad-plugin-option", message: "auth.providers[0].jwksUrl must be an https:// URL", location: at(3, 28) });
    expect(onlyError(`auth:\n  providers:\n    - {type: jwt, secret: "\${S}", algorithm: HS257}\n${entity}`)).toMatchObject({ code: "bad-plugin-option", location: at(3, 46) });
    expect(onlyError(`auth:\n  providers:\n    - {type: api-key}\n${entity}`)).toMatchObject({ code: "bad-plugin-option", message: "auth.providers[0] (api-key) needs the accepted keys: `keys: ${API_KEY_HASHES}` (SHA-256 digests) or `entity: ApiKey`" });
    expect(onlyError(`auth:\n  providers:\n    - {type: basic, mode: database}\n${entity}`)).toMatchObject({ code: "bad-plugin-option", message: expect.stringContaining("needs the user entity"), location: at(3, 27) });
    const typo = onlyError(`auth:\n  providers:\n    - {type: jwt, secret: "\${S}", clockSkw: 5}\n${entity}`);
    expect(typo).toMatchObject({ code: "unknown-key", hint: 'did you mean "clockSkew"?', location: at(3, 35) });
    const r = compileText(`auth:\n  providers:\n    - type: oauth-gitlab\n  rolez: {}\n${entity}`);
    expect(r.diagnostics.find((d) => d.code === "unknown-key")).toMatchObject({ hint: 'did you mean "roles"?', location: at(4, 3) });
  });

  it("rules: unknown keys, custom check handlers, contradictions and unknown providers are errors", () => {
    const route = (rule: string) => `${jwt}${entity}endpoints:\n  - path: /r\n    method: GET\n    auth: ${rule}\n    response: Note[]\n`;
    expect(onlyError(route("{rolez: [admin]}"))).toMatchObject({ code: "unknown-key", hint: 'did you mean "roles"?', location: at(16, 12) });
    expect(onlyError(route("{handler: ./auth/check.ts}"))).toMatchObject({ code: "auth-check-not-compiled", location: at(16, 12) });
    expect(onlyError(route("{required: false, roles: [admin]}"))).toMatchObject({ code: "bad-auth-rule", location: at(16, 22) });
    expect(onlyError(route("{provider: jwtt}"))).toMatchObject({ code: "unknown-provider", hint: 'did you mean "jwt"?', location: at(16, 22) });
    const policy = `${jwt}entities:\n  Post:\n    fields:\n      id: uuid!\noperations:\n  listPosts: Post[]\npolicies:\n  own:\n    auth: {required: true, check: ./policies/own.ts}\napis:\n  rest:\n    defaultPolicy: own\n    operations: [listPosts]\n`;
    expect(onlyError(policy)).toMatchObject({ code: "auth-check-not-compiled", location: at(15, 28) });
  });

  it("with providers, routes without a rule are protected by default, bulk inserts included", () => {
    const r = compileText(`${jwt}entities:\n  Note:\n    fields:\n      id: uuid!\n      title: string!\n    crud:\n      bulk: true\n      GET: {auth: false}\n      PATCH: {auth: {permissions: ["notes:write"]}}\n`);
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const routes = r.files!.find((f) => f.path === "src/routes/note.ts")!.content;
    expect(routes).toContain('noteRoutes.get("/", async (c) => {');
    expect(routes).toContain('noteRoutes.get("/:id", async (c) => {');
    expect(routes).toContain('noteRoutes.post("/", requireAuth(), async (c) => {');
    expect(routes).toContain('noteRoutes.post("/bulk", requireAuth(), async (c) => {');
    expect(routes).toContain('noteRoutes.put("/:id", requireAuth(), async (c) => {');
    expect(routes).toContain('noteRoutes.patch("/:id", requireAuth({ permissions: ["notes:write"] }), async (c) => {');
    expect(routes).toContain('noteRoutes.delete("/:id", requireAuth(), async (c) => {');
    const pkg = JSON.parse(r.files!.find((f) => f.path === "package.json")!.content) as { dependencies: Record<string, string> };
    expect(pkg.dependencies.jose).toMatch(/^\^6\./);
  });

  it("without JWT the app does not depend on jose; without auth: no route has a check", () => {
    const keys = compileText(`auth:\n  providers:\n    - {type: api-key, keys: "\${K}"}\n${entity}`);
    expect(JSON.parse(keys.files!.find((f) => f.path === "package.json")!.content).dependencies.jose).toBeUndefined();
    expect(keys.files!.some((f) => f.path === "src/lib/auth-jwt.ts")).toBe(false);
    const none = compileText(entity);
    expect(none.files!.some((f) => f.content.includes("requireAuth") || f.path.includes("auth"))).toBe(false);
  });

  it("the most specific CRUD key wins: method over group over crud.auth, including enabled: {…}", () => {
    const r = compileText(`${jwt}entities:\n  Note:\n    fields:\n      id: uuid!\n    crud:\n      auth: {roles: [admin]}\n      enabled:\n        read: {auth: false}\n      update: {auth: {roles: [editor]}}\n      PUT: {auth: {permissions: ["notes:replace"]}}\n`);
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const routes = r.files!.find((f) => f.path === "src/routes/note.ts")!.content;
    expect(routes).toContain('noteRoutes.get("/", async (c) => {');
    expect(routes).toContain('noteRoutes.post("/", requireAuth({ roles: ["admin"] }), async (c) => {');
    expect(routes).toContain('noteRoutes.patch("/:id", requireAuth({ roles: ["editor"] }), async (c) => {');
    expect(routes).toContain('noteRoutes.put("/:id", requireAuth({ permissions: ["notes:replace"] }), async (c) => {');
    expect(routes).toContain('noteRoutes.delete("/:id", requireAuth({ roles: ["admin"] }), async (c) => {');
  });

  describe("users, tokens, policies and field rules", () => {
    const users = (password = "text? sensitive", email = "email! unique") => `entities:\n  User:\n    fields:\n      id: uuid!\n      email: ${email}\n      passwordHash: ${password}\n`;
    const issuing = (extra = "") => `auth:\n  providers:\n    - {type: jwt, secret: "\${JWT_SECRET}"}\n  user: {entity: User}\n  endpoints: true\n${extra}`;

    it("auth.endpoints need a signing secret, a user entity, a sensitive password field and a unique sign-in field", () => {
      expect(compileText(`${issuing()}${users()}`).ok).toBe(true);
      expect(onlyError(`auth:\n  providers:\n    - {type: jwt, jwksUrl: "https://idp.example/jwks"}\n  user: {entity: User}\n  endpoints: true\n${users()}`)).toMatchObject({ code: "auth-no-signing-key", location: at(5, 3) });
      expect(onlyError(`auth:\n  providers:\n    - {type: jwt, secret: "\${S}"}\n  endpoints: true\n${users()}`)).toMatchObject({ code: "auth-no-user-entity", location: at(4, 3) });
      expect(onlyError(`${issuing()}${users("text?")}`)).toMatchObject({ code: "auth-password-exposed", hint: "declare it `passwordHash: string? sensitive` (never returned, never logged)" });
      expect(onlyError(`${issuing()}${users(undefined, "email!")}`)).toMatchObject({ code: "auth-user-field", message: "the sign-in field User.email is not unique, so two users could share it" });
      expect(onlyError(`auth:\n  providers:\n    - {type: jwt, secret: "\${S}"}\n  user: {entity: Usr}\n  endpoints: true\n${users()}`)).toMatchObject({ code: "unknown-entity", hint: 'did you mean "User"?', location: at(4, 18) });
      expect(onlyError(`${issuing("  defaultRole: membr\n  roles:\n    member: {permissions: []}\n")}${users()}`)).toMatchObject({ code: "unknown-role", location: at(6, 16) });
      // A default role the roles enum cannot hold would make every registration fail.
      expect(onlyError(`${issuing("  defaultRole: guest\n  roles:\n    guest: {permissions: []}\n")}${users()}      role: enum(admin, staff) = staff\n`)).toMatchObject({ code: "auth-user-field", message: 'auth.defaultRole "guest" is not a value of User.role (admin, staff), so no new user could be stored', location: at(6, 16) });
    });

    it("OAuth: the client secret comes from the environment, users need an optional password, URLs are https", () => {
      const oauth = (provider: string, password = "text? sensitive") => `auth:\n  providers:\n    - {type: jwt, secret: "\${S}"}\n    - ${provider}\n  user: {entity: User}\n${users(password)}`;
      expect(compileText(oauth(`{type: oauth-google, clientId: "\${ID}", clientSecret: "\${SECRET}"}`)).ok).toBe(true);
      expect(onlyError(oauth(`{type: oauth-google, clientId: abc, clientSecret: hunter2}`))).toMatchObject({ code: "secret-in-config", location: at(4, 57) });
      expect(onlyError(oauth(`{type: oauth-github, clientId: abc, clientSecret: "\${S}"}`, "text! sensitive"))).toMatchObject({ code: "auth-user-field", message: "users who sign in with oauth-github have no password, but User.passwordHash is required" });
      expect(onlyError(oauth(`{type: oauth-google, clientId: abc, clientSecret: "\${S}", tokenUrl: "http://idp.example/token"}`))).toMatchObject({ code: "bad-plugin-option", message: "auth.providers[1].tokenUrl must be an https:// URL (http:// only on localhost)" });
    });

    it("API keys in an entity: digest field checked, keys and entity exclusive", () => {
      const keys = (provider: string, key = "string(64)! unique sensitive") => `auth:\n  providers:\n    - ${provider}\nentities:\n  ApiKey:\n    fields:\n      id: uuid!\n      keyHash: ${key}\n`;
      expect(compileText(keys(`{type: api-key, entity: ApiKey}`)).ok).toBe(true);
      expect(onlyError(keys(`{type: api-key, entity: ApiKey, keyField: keyHsh}`))).toMatchObject({ code: "unknown-field", hint: 'did you mean "keyHash"?', location: at(3, 49) });
      expect(onlyError(keys(`{type: api-key, entity: ApiKey}`, "string(64)! sensitive"))).toMatchObject({ code: "bad-plugin-option", message: expect.stringContaining("is not unique") });
      expect(onlyError(keys(`{type: api-key, entity: ApiKey, keys: "\${K}"}`))).toMatchObject({ code: "bad-plugin-option", message: "auth.providers[0] (api-key) gives both keys and entity; give one" });
    });

    it("policies: where names fields of the entity, needs a signed-in caller, and reaches only generated queries", () => {
      const base = `${jwt}policies:\n  owner:\n    auth: {required: true}\n    where: {authorId: auth.user.id}\nentities:\n  Post:\n    fields:\n      id: uuid!\n      authorId: uuid!\n    crud:\n      policy: owner\n`;
      const ok = compileText(base);
      expect(ok.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      const routes = ok.files!.find((f) => f.path === "src/routes/post.ts")!.content;
      expect(routes).toContain('eq(posts.authorId, sql.placeholder("caller.id"))');
      expect(routes).toContain('const callerId = callerValue(c, "id", "uuid");');
      expect(onlyError(base.replace("authorId: auth.user.id", "ownerId: auth.user.id"))).toMatchObject({ code: "unknown-field", message: "policy owner filters on ownerId, but Post (Post CRUD) has no such field", location: at(10, 13) }); // at the field name, not its value
      expect(onlyError(base.replace("auth: {required: true}", "auth: false"))).toMatchObject({ code: "bad-policy", location: at(9, 11) });
      expect(onlyError(base.replace("auth.user.id", "auth.id"))).toMatchObject({ code: "bad-policy", message: 'policy owner.where.authorId: "auth.id" is not a caller value' });
      expect(onlyError(base.replace("policy: owner", "policy: ownr"))).toMatchObject({ code: "unknown-policy", hint: 'did you mean "owner"?', location: at(17, 15) });
      expect(onlyError(base.replace("policy: owner", "policy: owner\n      auth: true"))).toMatchObject({ code: "bad-auth-rule" });
      const handler = `${jwt}policies:\n  owner:\n    auth: {required: true}\n    where: {authorId: auth.user.id}\nentities:\n  Post:\n    fields:\n      id: uuid!\n      authorId: uuid!\noperations:\n  publishPost: {input: {id: uuid!}, output: Post, handler: handlers/publish.ts}\napis:\n  rest:\n    operations: [{operation: publishPost, policy: owner}]\n`;
      expect(compileText(handler).diagnostics.find((d) => d.code === "policy-where-not-applied")).toMatchObject({ severity: "error" });
      // crudOverrides replace the SQL the policy lives in, whatever their handler kind.
      const override = (handler: string) => `${base}    crudOverrides:\n      GET_LIST:\n        handler: ${handler}\n`;
      for (const handler of ["handlers/list.ts", "{type: query, entity: Post}"]) {
        expect(onlyError(override(handler))).toMatchObject({ code: "policy-where-not-applied", message: expect.stringContaining("crudOverrides handler of its list route"), location: at(20, 18) });
      }
    });

    it("writableBy: roles must be declared, and a readonly field cannot have it", () => {
      const field = (rule: string) => `${jwt}entities:\n  Post:\n    fields:\n      id: uuid!\n      featured: {type: boolean, ${rule}}\n    crud: true\n`;
      expect(compileText(field("writableBy: [admin]")).ok).toBe(true);
      expect(onlyError(field("writableBy: [admn]"))).toMatchObject({ code: "unknown-role", hint: 'did you mean "admin"?' });
      expect(onlyError(field("readonly: true, writableBy: [admin]"))).toMatchObject({ code: "bad-field-rule" });
      expect(onlyError(`entities:\n  Post:\n    fields:\n      id: uuid!\n      featured: {type: boolean, writableBy: [admin]}\n`)).toMatchObject({ code: "auth-not-configured" });
    });
  });
});
