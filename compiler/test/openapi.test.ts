import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { compileText } from "../index.js";
import { expectedFiles, fixtureNames, snapshotFiles } from "./snapshot-lib.js";

describe("src/openapi.json", () => {
  it.each(fixtureNames())("%s: valid OpenAPI 3.1", async (name) => {
    const text = snapshotFiles(name).get("src/openapi.json");
    expect(text).toBeDefined();
    const validator = new Validator();
    const result = await validator.validate(JSON.parse(text!) as Parameters<Validator["validate"]>[0]);
    expect(result.errors ?? [], JSON.stringify(result.errors)).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("describes CRUD and endpoints with their parameters, bodies and the error envelope", () => {
    const doc = JSON.parse(snapshotFiles("endpoints").get("src/openapi.json")!) as { paths: Record<string, Record<string, { parameters?: { name: string }[]; requestBody?: unknown; responses: Record<string, unknown> }>> };
    const reprice = doc.paths["/api/v1/products/{id}/reprice"]!.post!;
    expect(reprice.parameters!.map((p) => p.name)).toEqual(["id"]);
    expect(reprice.requestBody).toMatchObject({ content: { "application/json": { schema: { $ref: "#/components/schemas/PriceChange" } } } });
    expect(Object.keys(reprice.responses)).toEqual(expect.arrayContaining(["201", "400", "404"]));
    const shop = JSON.parse(snapshotFiles("shop").get("src/openapi.json")!) as { paths: Record<string, Record<string, { parameters?: { name: string }[] }>> };
    expect(shop.paths["/products"]!.get!.parameters!.map((p) => p.name)).toEqual(expect.arrayContaining(["limit", "offset", "sort", "search", "include", "fields", "featured"]));
  });

  it("lists the routes the auth module serves: /auth endpoints and OAuth sign-in", () => {
    const doc = JSON.parse(snapshotFiles("auth-users").get("src/openapi.json")!) as { paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>> };
    const auth = Object.keys(doc.paths).filter((p) => p.startsWith("/auth/")).sort();
    expect(auth).toEqual(["/auth/change-password", "/auth/github", "/auth/github/callback", "/auth/google", "/auth/google/callback", "/auth/login", "/auth/logout", "/auth/me", "/auth/refresh", "/auth/register"]);
    expect(doc.paths["/auth/me"]!.get!.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths["/auth/login"]!.post!.security).toBeUndefined();
    expect(Object.keys(doc.paths["/auth/register"]!.post!.responses)).toEqual(expect.arrayContaining(["201", "400", "409"]));
  });

  describe("every status a route can answer", () => {
    type Doc = { paths: Record<string, Record<string, { requestBody?: { required?: boolean }; responses: Record<string, { $ref?: string; description?: string }> }>>; components: { responses: Record<string, unknown>; schemas: Record<string, { properties?: Record<string, unknown>; additionalProperties?: unknown }> } };
    const CONFIG = `
name: statuses
auth:
  providers:
    - type: jwt
      secret: \${JWT_SECRET}
  roles:
    admin: { permissions: ["*"] }
rateLimit: { maxRequests: 100, windowMs: 60000 }
schemas:
  Organization:
    database: organizations
    fields:
      name: string!
    crud: { enabled: true }
  Project:
    database: projects
    fields:
      name: string! unique
      featured: { type: boolean, default: false, writableBy: [admin] }
      organization: Organization! restrict
    crud: { enabled: true, bulk: true }
  Note:
    database: notes
    fields:
      text: string!
    crud: { enabled: true, auth: false }
endpoints:
  - path: /login-attempts
    method: POST
    auth: false
    rateLimit: { max: 5, window: 1m }
    handler: { type: expression, code: "({ ok: true })" }
`;
    function compile(config: string): Doc {
      const result = compileText(config);
      expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      return JSON.parse(result.files!.find((f) => f.path === "src/openapi.json")!.content) as Doc;
    }
    const statuses = (doc: Doc, path: string, method: string) => Object.keys(doc.paths[path]![method]!.responses);

    it("lists 403 for writableBy fields, 422 for foreign keys, 409 for a referenced delete, 412 for If-Match, 429 under a rate limit", async () => {
      const doc = compile(CONFIG);
      expect(statuses(doc, "/projects", "post")).toEqual(["201", "400", "401", "403", "409", "422", "429", "500"]);
      expect(doc.paths["/projects"]!.post!.responses["403"]!.description).toContain("AUTHZ_INSUFFICIENT_ROLE");
      expect(doc.paths["/projects"]!.post!.responses["422"]!.description).toBe("VALIDATION_REFERENCE");
      expect(statuses(doc, "/projects/bulk", "post")).toEqual(["201", "400", "401", "403", "409", "422", "429", "500"]);
      for (const method of ["put", "patch"]) expect(statuses(doc, "/projects/{id}", method)).toEqual(["200", "400", "401", "403", "404", "409", "412", "422", "429", "500"]);
      expect(statuses(doc, "/projects/{id}", "delete")).toEqual(["204", "400", "401", "404", "412", "429", "500"]);
      // Projects reference organizations with `restrict`: deleting an organization can be refused.
      expect(statuses(doc, "/organizations/{id}", "delete")).toEqual(["204", "400", "401", "404", "409", "412", "429", "500"]);
      expect(doc.paths["/organizations/{id}"]!.delete!.responses["409"]!.description).toBe("CONFLICT_REFERENCED");
      // No foreign key, no role-ruled field, public: none of 401, 403 or 422.
      expect(statuses(doc, "/notes", "post")).toEqual(["201", "400", "409", "429", "500"]);
      expect(statuses(doc, "/notes/{id}", "get")).toEqual(["200", "304", "400", "404", "429", "500"]);
      expect(doc.components.responses.TooManyRequests).toMatchObject({ headers: { "Retry-After": { schema: { type: "integer" } } } });
      expect(doc.components.schemas.Error!.properties!.error).toMatchObject({ properties: { retryAfter: { type: "integer" } } });
      const result = await new Validator().validate(doc as unknown as Parameters<Validator["validate"]>[0]);
      expect(result.errors ?? []).toEqual([]);
    });

    it("lists 429 only on the routes a limit applies to", () => {
      const doc = compile(CONFIG.replace("rateLimit: { maxRequests: 100, windowMs: 60000 }\n", ""));
      expect(statuses(doc, "/login-attempts", "post")).toEqual(["201", "400", "429", "500"]);
      expect(statuses(doc, "/notes", "post")).toEqual(["201", "400", "409", "500"]);
      const none = compile(CONFIG.replace(/^ *rateLimit: .*\n/gm, ""));
      expect(none.components.responses.TooManyRequests).toBeUndefined();
    });

    it("dialect B: operation routes list what their statements can answer; a custom operation's body is an optional empty object", async () => {
      const doc = JSON.parse(expectedFiles("blog-api").get("src/openapi.json")!) as Doc;
      // rateLimits.default limits every route.
      expect(statuses(doc, "/api/v1/posts", "post")).toEqual(["201", "400", "409", "422", "429", "500"]);
      expect(statuses(doc, "/api/admin/posts/{id}", "put")).toEqual(["200", "400", "404", "409", "422", "429", "500"]);
      expect(statuses(doc, "/api/v1/posts/{id}/publish", "post")).toEqual(["200", "400", "404", "429", "500"]);
      expect(doc.paths["/api/v1/posts/{id}/publish"]!.post!.requestBody!.required).toBe(false);
      expect(doc.components.schemas.PublishPostInput).toMatchObject({ type: "object", properties: {}, additionalProperties: false });
      const result = await new Validator().validate(doc as unknown as Parameters<Validator["validate"]>[0]);
      expect(result.errors ?? []).toEqual([]);
    });

    it("is the same document on every compile", () => {
      expect(compile(CONFIG)).toEqual(compile(CONFIG));
      expect(JSON.stringify(compile(CONFIG))).toBe(JSON.stringify(compile(CONFIG)));
    });
  });
});

describe("formats in the contract", () => {
  it("phone, slug and url carry the patterns their validators check (runtime-lib's phoneNumber included)", async () => {
    const { PHONE_PATTERN, SLUG_PATTERN, URL_PATTERN } = await import("../4-emit/column-types.js");
    const { fieldSchema } = await import("../4-emit/openapi.js");
    const field = (type: "phone" | "slug" | "url") => ({ name: "f", column: "f", type, array: false, notNull: true, primary: false, generated: false, unique: false, indexed: false, readonly: false, writeOnly: false, sensitive: false, autoUpdate: false, loc: { file: "yama.yaml", line: 1, col: 1 } });
    expect(fieldSchema(field("phone"))).toMatchObject({ type: "string", pattern: PHONE_PATTERN });
    expect(fieldSchema(field("slug"))).toMatchObject({ type: "string", pattern: SLUG_PATTERN });
    expect(fieldSchema(field("url"))).toMatchObject({ type: "string", format: "uri", pattern: URL_PATTERN });
    const { readFileSync } = await import("node:fs");
    expect(readFileSync(new URL("../../runtime-lib/validation.ts", import.meta.url), "utf8")).toContain(`regex(/${PHONE_PATTERN}/`);
    const { phoneNumber } = await import("../../runtime-lib/validation.js");
    for (const value of ["+44 20 7946 0958", "(555) 123-4567", "call me", "123"]) expect(phoneNumber().safeParse(value).success).toBe(new RegExp(PHONE_PATTERN).test(value));
  });
});
