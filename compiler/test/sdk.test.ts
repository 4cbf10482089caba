/**
 * The generated client (src/sdk/) against running emitted apps, and its types: a wrong body does
 * not compile, the folder compiles for browsers (DOM, no Node types), and every body type agrees
 * with the zod schema the server validates that body with.
 *
 * The clients are imported from snapshots/: the snapshot test keeps them equal to a fresh compile.
 */
import { execFileSync } from "node:child_process";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SignJWT } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import { createClient as authClient } from "../../snapshots/auth/src/sdk/index.js";
import { createClient as usersClient } from "../../snapshots/auth-users/src/sdk/index.js";
import { ApiError, createClient as handlersClient, isApiError } from "../../snapshots/handlers/src/sdk/index.js";
import { materialize, ROOT, snapshotFiles } from "./snapshot-lib.js";
import { serveFixture } from "./harness.js";

/** The error a promise rejects with. */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected the call to fail");
}

describe("the client against fixtures/handlers (CRUD and declarative endpoints)", () => {
  const served = serveFixture("handlers");
  const api = () => handlersClient({ baseUrl: served.server.base });

  it("creates, reads, lists, updates, replaces and deletes through CRUD methods", async () => {
    const client = api();
    const category = await client.createCategory({ name: "Tools" });
    expect(category).toMatchObject({ name: "Tools", parentId: null });
    expect(await client.getCategory(category.id)).toEqual(category);
    const child = await client.createCategory({ name: "Hammers", parentId: category.id });
    const page = await client.listCategory({ limit: 1, sort: "name", count: true });
    expect(page.data.map((c) => c.name)).toEqual(["Hammers"]);
    expect(page.pagination).toEqual({ type: "offset", limit: 1, offset: 0, hasNext: true, hasPrev: false, total: 2 });
    const filtered = await client.listCategory({ parentId: category.id, include: "parent" });
    expect(filtered.data).toHaveLength(1);
    expect(filtered.data[0]!.parent).toMatchObject({ id: category.id, name: "Tools" });
    expect(await client.updateCategory(child.id, { name: "Mallets" })).toMatchObject({ id: child.id, name: "Mallets", parentId: category.id });
    expect(await client.replaceCategory(child.id, { name: "Mallets" })).toMatchObject({ name: "Mallets", parentId: null });
    expect(await client.deleteCategory(child.id)).toBeUndefined();
    const gone = await failure(client.getCategory(child.id));
    expect(gone).toBeInstanceOf(ApiError);
    expect(gone).toMatchObject({ status: 404, code: "NOT_FOUND", details: [] });
    expect(isApiError(gone, "NOT_FOUND")).toBe(true);
    expect((gone as ApiError).requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("calls endpoints with path parameters, bodies and queries, and reads their typed answers", async () => {
    const client = api();
    const category = await client.createCategory({ name: "Garden" });
    const product = await client.createProduct({ sku: "HOSE-1", name: "Hose", price: 19.5, stock: 3, status: "active", categoryId: category.id });
    expect(product).toMatchObject({ sku: "HOSE-1", price: 19.5, status: "active" });
    expect(product).not.toHaveProperty("cost");
    await client.createProduct({ sku: "RAKE-1", name: "Rake", price: 35, status: "draft" });
    const search = await client.getProductsSearch({ status: ["active", "draft"], minPrice: 10, sort: "-price", limit: 1 });
    expect(search.data.map((p) => p.sku)).toEqual(["RAKE-1"]);
    expect(search.pagination).toMatchObject({ limit: 1, offset: 0, hasNext: true });
    expect((await client.getProductsBySkuById("HOSE-1")).id).toBe(product.id);
    expect(await client.getProductsCategory(product.id)).toMatchObject({ id: category.id, name: "Garden" });
    const found = await client.postProductsFind({ name: "ose", statuses: ["active"] });
    expect(found.map((p) => p.sku)).toEqual(["HOSE-1"]);
    expect(await client.getProductsStats({ status: "active" })).toMatchObject({ total: 1, totalStock: 3 });
    expect(await client.postReportsBySku({ sku: "RAKE-1" })).toEqual([{ sku: "RAKE-1", name: "Rake" }]);
    const missing = await failure(client.getProductsBySkuById("NOPE-404"));
    expect(missing).toMatchObject({ status: 404, code: "NOT_FOUND" });
  });

  it("maps validation errors to ApiError with the envelope's details", async () => {
    const err = await failure(api().createProduct({ sku: "bad sku", name: "X", price: -1 }));
    expect(err).toBeInstanceOf(ApiError);
    const e = err as ApiError;
    expect(e.status).toBe(400);
    expect(e.code).toBe("VALIDATION_BODY");
    expect(e.details.map((d) => d.field).sort()).toEqual(["price", "sku"]);
    expect(e.body).toMatchObject({ error: { code: "VALIDATION_BODY" } });
  });

  it("uses the fetch it is given, and per-call headers and abort signals", async () => {
    const seen: { url: string; headers: Record<string, string> }[] = [];
    const client = handlersClient({
      baseUrl: `${served.server.base}/`,
      headers: () => ({ "x-request-id": "sdk-test-1" }),
      fetch: (url, init) => {
        seen.push({ url, headers: init.headers as Record<string, string> });
        return fetch(url, init);
      },
    });
    await client.listTag({ prefix: "a,b" }, { headers: { "x-trace": "1" } });
    expect(seen).toEqual([{ url: `${served.server.base}/tags?prefix=a%2Cb`, headers: { accept: "application/json", "x-request-id": "sdk-test-1", "x-trace": "1" } }]);
    const controller = new AbortController();
    controller.abort();
    await expect(client.hello({ signal: controller.signal })).rejects.toMatchObject({ name: "AbortError" });
  });
});

describe("the client against fixtures/auth (credentials)", () => {
  const secret = randomBytes(32).toString("hex");
  const apiKey = randomBytes(24).toString("base64url");
  const admin = { username: "admin", password: randomBytes(12).toString("hex") };
  const served = serveFixture("auth", {
    JWT_SECRET: secret,
    API_KEY_HASHES: createHash("sha256").update(apiKey).digest("hex"),
    ADMIN_USER: admin.username,
    ADMIN_PASSWORD: admin.password,
  });
  const sign = (claims: Record<string, unknown>) =>
    new SignJWT({ sub: "user-1", iss: "yamac-test", aud: "api", ...claims }).setProtectedHeader({ alg: "HS256" }).setIssuedAt().setExpirationTime("10m").sign(new TextEncoder().encode(secret));

  it("sends no credentials unless given, and the API answers AUTH_REQUIRED", async () => {
    const err = await failure(authClient({ baseUrl: served.server.base }).listNote());
    expect(err).toMatchObject({ status: 401, code: "AUTH_REQUIRED" });
    expect(await authClient({ baseUrl: served.server.base }).listPost()).toMatchObject({ data: [] });
  });

  it("injects a bearer token, asking the token function before every call", async () => {
    let calls = 0;
    const api = authClient({ baseUrl: served.server.base, token: async () => (calls++, sign({ roles: ["editor"] })) });
    const post = await api.createPost({ title: "Hello" });
    expect(post).toMatchObject({ title: "Hello", published: false });
    expect(await api.me()).toMatchObject({ id: "user-1", provider: "jwt", roles: ["editor"], canWritePosts: true });
    expect(calls).toBe(2);
    const reader = authClient({ baseUrl: served.server.base, token: await sign({ roles: ["reader"] }) });
    const denied = await failure(reader.deletePost(post.id));
    expect(denied).toMatchObject({ status: 403, code: "AUTHZ_INSUFFICIENT_PERMISSION" });
  });

  it("injects the API key in the header the config names, and basic credentials", async () => {
    const service = authClient({ baseUrl: served.server.base, apiKey });
    expect(await service.reports()).toEqual({ pong: true });
    expect(await service.me()).toMatchObject({ provider: "api-key", roles: ["service"] });
    const wrong = await failure(authClient({ baseUrl: served.server.base, apiKey: "not-the-key" }).reports());
    expect(wrong).toMatchObject({ status: 401, code: "AUTH_INVALID_TOKEN" });
    const root = authClient({ baseUrl: served.server.base, basic: admin });
    const created = await root.bulkCreatePost([{ title: "One" }, { title: "Two", published: true }]);
    expect(created.data.map((p) => p.title)).toEqual(["One", "Two"]);
    await root.deletePost(created.data[0]!.id);
    expect((await root.listPost({ published: true })).data.map((p) => p.title)).toEqual(["Two"]);
  });
});

describe("the client against fixtures/auth-users (the /auth routes)", () => {
  // OAuth is configured in this fixture but not exercised here: its endpoints point nowhere.
  const unused = "http://127.0.0.1:9";
  const served = serveFixture("auth-users", {
    JWT_SECRET: randomBytes(32).toString("hex"),
    ...Object.fromEntries(["GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET", "GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET"].map((k) => [k, "unused"])),
    ...Object.fromEntries(["GOOGLE_AUTHORIZE_URL", "GOOGLE_TOKEN_URL", "GOOGLE_USERINFO_URL", "GITHUB_AUTHORIZE_URL", "GITHUB_TOKEN_URL", "GITHUB_USER_URL", "GITHUB_EMAILS_URL"].map((k) => [k, unused])),
  });

  it("registers, signs in, reads the user, rotates the refresh token, changes the password and signs out", async () => {
    let token: string | undefined;
    const api = usersClient({ baseUrl: served.server.base, token: () => token });
    const registered = await api.authRegister({ email: "Ada@Example.com", name: "Ada", password: "correct horse battery" });
    expect(registered).toMatchObject({ user: { email: "ada@example.com", name: "Ada" }, tokenType: "Bearer" });
    expect(registered.user).not.toHaveProperty("passwordHash");
    expect(await failure(api.authRegister({ email: "ada@example.com", password: "another password" }))).toMatchObject({ status: 409, code: "CONFLICT" });
    expect(await failure(api.authLogin({ email: "ada@example.com", password: "wrong password" }))).toMatchObject({ status: 401, code: "AUTH_INVALID_CREDENTIALS" });

    const session = await api.authLogin({ email: "ada@example.com", password: "correct horse battery" });
    token = session.accessToken;
    expect(await api.authMe()).toMatchObject({ id: registered.user.id, email: "ada@example.com" });
    const rotated = await api.authRefresh({ refreshToken: session.refreshToken });
    expect(rotated.refreshToken).not.toBe(session.refreshToken);
    token = rotated.accessToken;

    await api.authChangePassword({ currentPassword: "correct horse battery", newPassword: "a new long password" });
    expect(await failure(api.authRefresh({ refreshToken: rotated.refreshToken }))).toMatchObject({ status: 401, code: "AUTH_INVALID_TOKEN" });
    const again = await api.authLogin({ email: "ada@example.com", password: "a new long password" });
    token = again.accessToken;
    await api.authLogout();
    expect(await failure(api.authRefresh({ refreshToken: again.refreshToken }))).toMatchObject({ status: 401, code: "AUTH_INVALID_TOKEN" });
  });
});

describe("the client's types", () => {
  const tsc = join(ROOT, "node_modules/.bin/tsc");
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  /** Runs tsc on `files` (written next to a copy of snapshots/<fixture>/src/sdk); its output, or "" when it passes. */
  function typecheck(fixture: string, files: Record<string, string>, options: string[]): string {
    const dir = join(ROOT, ".yama", `sdk-types-${randomUUID().slice(0, 8)}`);
    dirs.push(dir);
    materialize(fixture, dir);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    try {
      execFileSync(tsc, ["--ignoreConfig", "--noEmit", "--strict", "--target", "ES2022", "--module", "ESNext", "--moduleResolution", "Bundler", "--skipLibCheck", ...options, ...Object.keys(files).map((f) => join(dir, f))], { cwd: dir, encoding: "utf8", stdio: "pipe" });
      return "";
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      return `${e.stdout ?? ""}${e.stderr ?? ""}`;
    }
  }

  const wrongBodies = [
    ["title is a string", `api.createPost({ title: 42 });`],
    ["unknown field", `api.createPost({ title: "x", colour: "red" });`],
    ["title is required", `api.createPost({ published: true });`],
    ["PATCH bodies are checked too", `api.updatePost("id", { published: "yes" });`],
    ["bulk rows are checked", `api.bulkCreatePost([{ title: null }]);`],
    ["query parameters are typed", `api.listPost({ limit: "10" });`],
  ] as const;
  const usage = (expectErrors: boolean) => `import { createClient, type Post } from "./src/sdk/index.js";

const api = createClient({ baseUrl: "https://api.example.com", token: () => "token" });
export const created: Promise<Post> = api.createPost({ title: "ok", published: false });
${wrongBodies.map(([why, line]) => `${expectErrors ? `// @ts-expect-error ${why}\n` : ""}${line}`).join("\n")}
`;

  it("a wrong body does not compile (and with @ts-expect-error, the file does), for browsers: DOM, no Node types", () => {
    // The browser setting: DOM library, no @types/node; the SDK must compile there on its own.
    const browser = ["--lib", "ES2022,DOM", "--types", ""];
    expect(typecheck("auth", { "usage.ts": usage(true) }, browser)).toBe("");
    const errors = typecheck("auth", { "usage.ts": usage(false) }, browser);
    const lines = [...errors.matchAll(/usage\.ts\((\d+),\d+\): error (TS\d+)/g)].map((m) => Number(m[1]));
    // One error per wrong line (lines 5 to 10), nothing else.
    expect([...new Set(lines)], errors).toEqual(wrongBodies.map((_, i) => 5 + i));
    expect(errors).not.toMatch(/src\/sdk\//);
  }, 60_000);

  it("every body type accepts exactly what the server's zod schema for that body accepts", () => {
    let total = 0;
    const fixtures = ["all-types", "auth", "blog-api", "dialect-b", "endpoints", "handlers", "shop", "showcase-entities", "todo-api"];
    for (const fixture of fixtures) {
      const files = snapshotFiles(fixture);
      const sdkTypes = files.get("src/sdk/types.ts")!;
      const lines = [
        `import type { z } from "zod";`,
        `type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;`,
        // The check itself tells an optional field from a required one.
        `// @ts-expect-error a control: these differ`,
        `export const control: Same<{ a: string }, { a?: string }> = true;`,
      ];
      let checks = 0;
      // Entity bodies: <Entity>Create against the create schema of src/validation/<entity>.ts.
      for (const m of sdkTypes.matchAll(/^export interface ([A-Za-z0-9_]+)Create \{/gm)) {
        const entity = m[1]!;
        const module = [...files.keys()].find((p) => p.startsWith("src/validation/") && files.get(p)!.includes(`export type ${entity}CreateInput`));
        if (!module) continue;
        const schema = `${entity[0]!.toLowerCase()}${entity.slice(1)}CreateSchema`;
        lines.push(`import type { ${schema} } from "./${module.replace(/\.ts$/, ".js")}";`, `import type { ${entity}Create } from "./src/sdk/types.js";`, `export const check${checks++}: Same<${entity}Create, z.input<typeof ${schema}>> = true;`);
      }
      // Named and inline bodies: against the schema of src/schemas.ts.
      const schemas = files.get("src/schemas.ts") ?? "";
      for (const m of sdkTypes.matchAll(/^export interface ([A-Za-z0-9_]+) \{/gm)) {
        const name = m[1]!.replace(/Input$/, "");
        const schema = `${name[0]!.toLowerCase()}${name.slice(1)}Schema`;
        if ((!m[1]!.endsWith("Input") && !/Body_*$/.test(name)) || !schemas.includes(`export const ${schema} =`)) continue;
        lines.push(`import type { ${schema} } from "./src/schemas.js";`, `import type { ${m[1]} } from "./src/sdk/types.js";`, `export const check${checks++}: Same<${m[1]}, z.input<typeof ${schema}>> = true;`);
      }
      total += checks;
      if (checks === 0) continue;
      const errors = typecheck(fixture, { "agree.ts": lines.join("\n") + "\n" }, ["--types", "node"]);
      expect(errors, `${fixture}:\n${lines.join("\n")}`).toBe("");
    }
    expect(total).toBeGreaterThanOrEqual(25);
  }, 180_000);
});
