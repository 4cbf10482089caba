/**
 * Dialect B configs that must not compile (or must warn): bad operations, policies, APIs and
 * DTOs. Each case names the diagnostic code, a fragment of its message and the line:col its
 * caret points at.
 */
import { describe, expect, it } from "vitest";
import { compileText } from "../index.js";

/** Lines 1–18: two entities and a DTO; `operations:` starts on line 19, its entries on line 20. */
const BASE = [
  "schemas:",
  "  Author:",
  "    database: authors",
  "    fields:",
  "      id: uuid!",
  "      name: string!",
  "  Post:",
  "    database: posts",
  "    fields:",
  "      id: uuid!",
  "      title: string!",
  "      published: boolean = false",
  "      author: Author! cascade",
  "  PostSummary:",
  "    source: Post",
  "    fields:",
  "      id: uuid!",
  "      title: string!",
];

/** A config: BASE, then `operations:` with `ops` (line 20 on), then `rest`. */
const config = (ops: string[], rest: string[] = []) => [...BASE, "operations:", ...ops, ...rest].join("\n") + "\n";

/** An API exposing every operation, for cases about operations themselves. */
const ALL = ["apis:", "  rest:", "    v1:", "      basePath: /api", "      operations: [all]"];

interface Case {
  name: string;
  yaml: string;
  code: string;
  message: string | RegExp;
  line: number;
  col: number;
  hint?: string | RegExp;
  severity?: "error" | "warning";
}

const cases: Case[] = [
  // Operations
  {
    name: "an operation whose name names no entity",
    yaml: config(["  listPots: ~"], ALL),
    code: "unknown-entity", message: 'cannot tell which entity listPots works on: "Pots"', line: 20, col: 3, hint: 'did you mean "listPosts"?',
  },
  {
    name: "an output naming an unknown schema",
    yaml: config(["  listPosts: PostSumary[]"], ALL),
    code: "unknown-type", message: 'unknown type "PostSumary"', line: 20, col: 14, hint: 'did you mean "PostSummary"?',
  },
  {
    name: "a parent that is not an entity",
    yaml: config(["  listComments:", "    parent: Pots", "    output: Post[]"], ALL),
    code: "unknown-entity", message: "parent of listComments is Pots", line: 21, col: 13, hint: 'did you mean "Post"?',
  },
  {
    name: "a misspelt key of an operation",
    yaml: config(["  getPost:", "    ouput: PostSummary"], ALL),
    code: "unknown-key", message: 'unknown key "ouput" in operation getPost', line: 21, col: 5, hint: 'did you mean "output"?',
  },
  {
    name: "a custom operation without a handler",
    yaml: config(["  archivePost:", "    input:", "      id: uuid!"], ALL),
    code: "no-handler", message: "archivePost is a custom operation", line: 20, col: 3, hint: "handler: src/handlers/archivePost.ts",
  },
  {
    name: "a list operation with a single output",
    yaml: config(["  listPosts: PostSummary"], ALL),
    code: "bad-operation-output", message: "listPosts returns a list: write PostSummary[]", line: 20, col: 14,
  },
  {
    name: "an output of another entity",
    yaml: config(["  getPost: Author"], ALL),
    code: "bad-operation-output", message: "getPost works on Post, but its output Author is another entity", line: 20, col: 12,
  },
  {
    name: "a filter on an unknown field",
    yaml: config(["  listPublishedPosts:", "    output: PostSummary[]", "    filter:", "      publishd: true"], ALL),
    code: "unknown-field", message: "filter of listPublishedPosts names publishd", line: 23, col: 7, hint: 'did you mean "published"?',
  },
  {
    name: "a filter value of the wrong type",
    yaml: config(["  listPublishedPosts:", "    output: PostSummary[]", "    filter:", "      published: yes"], ALL),
    code: "bad-filter", message: 'filter published: "yes" does not fit Post.published (boolean)', line: 23, col: 18,
  },
  {
    name: "a create input that is not a field of the entity",
    yaml: config(["  createPost:", "    input:", "      titel: string!", "      authorId: uuid!"], ALL),
    code: "bad-operation-input", message: "createPost: input titel is not a field of Post", line: 22, col: 7, hint: 'did you mean "title"?',
  },
  {
    name: "a create input that leaves out a required field",
    yaml: config(["  createPost:", "    input:", "      title: string!"], ALL),
    code: "bad-operation-input", message: "its input does not give the required field authorId", line: 21, col: 5,
  },
  {
    name: "a create input whose type differs from the field's",
    yaml: config(["  createPost:", "    input:", "      title: integer!", "      authorId: uuid!"], ALL),
    code: "bad-operation-input", message: "input title is integer, but Post.title is string", line: 22, col: 7, hint: "declare it as string",
  },
  {
    name: "a search input filtering by a field of another type",
    yaml: config(["  searchPosts:", "    input:", "      q: string!", "      published: string?", "    output: PostSummary[]"], ALL),
    code: "bad-operation-input", message: "input published is string, but Post.published is boolean", line: 23, col: 7,
  },
  {
    name: "a path override without the parameter the operation needs",
    yaml: config(["  getPost:", "    output: PostSummary", "    path: /p/{slug}"], ALL),
    code: "bad-operation-path", message: "has parameters (slug) but the operation needs (id)", line: 22, col: 11, hint: "/posts/{id}",
  },
  {
    name: "a child without a belongsTo to its parent",
    yaml: config(["  listAuthors:", "    parent: Post"], ALL),
    code: "bad-parent", message: "Author has no belongsTo relation to Post", line: 21, col: 13,
  },
  {
    name: "two operations on the same route",
    yaml: config(["  listPosts: PostSummary[]", "  listAllPosts:", "    output: Post[]", "    path: /posts"], ALL),
    code: "duplicate-route", message: "GET /api/posts (listAllPosts in API v1) is also listPosts in API v1", line: 21, col: 3,
  },
  // Policies and APIs
  {
    name: "an unknown policy after `- op:`",
    yaml: config(["  createPost: Post"], ["policies:", "  author:", "    auth: true", "apis:", "  rest:", "    v1:", "      operations:", "        - createPost: authr"]),
    code: "unknown-policy", message: "createPost in API v1 uses policy authr", line: 28, col: 23, hint: 'did you mean "author"?',
  },
  {
    name: "an unknown default policy",
    yaml: config(["  listPosts: PostSummary[]"], ["policies:", "  public:", "    auth: false", "apis:", "  rest:", "    v1:", "      defaultPolicy: pubic", "      operations: [listPosts]"]),
    code: "unknown-policy", message: "API v1 uses policy pubic", line: 27, col: 22, hint: 'did you mean "public"?',
  },
  {
    name: "an API listing an undeclared operation",
    yaml: config(["  listPosts: PostSummary[]"], ["apis:", "  rest:", "    v1:", "      operations:", "        - lstPosts"]),
    code: "unknown-operation", message: "API v1 exposes lstPosts, which is not declared", line: 25, col: 11, hint: 'did you mean "listPosts"?',
  },
  {
    name: "an API excluding an undeclared operation",
    yaml: config(["  listPosts: PostSummary[]", "  deletePost: ~"], ["apis:", "  rest:", "    v1:", "      include: all", "      exclude: [deletPost]"]),
    code: "unknown-operation", message: "exposes deletPost", line: 26, col: 17, hint: 'did you mean "deletePost"?',
  },
  {
    name: "an operation both listed and excluded",
    yaml: config(["  listPosts: PostSummary[]"], ["apis:", "  rest:", "    v1:", "      operations: [listPosts]", "      exclude: [listPosts]"]),
    code: "excluded-operation", message: "API v1 lists listPosts and also excludes it", line: 25, col: 17,
  },
  {
    name: "a misspelt key of an API",
    yaml: config(["  listPosts: PostSummary[]"], ["apis:", "  rest:", "    v1:", "      defaultPolicies: x", "      operations: [listPosts]"]),
    code: "unknown-key", message: 'unknown key "defaultPolicies" in API v1', line: 24, col: 7, hint: 'did you mean "defaultPolicy"?',
  },
  {
    name: "a misspelt key in a policy's auth",
    yaml: config(["  listPosts: PostSummary[]"], ["policies:", "  admin:", "    auth:", "      role: [admin]", "apis:", "  rest:", "    v1:", "      operations: [listPosts]"]),
    code: "unknown-key", message: 'unknown key "role" in policy admin.auth', line: 24, col: 7, hint: 'did you mean "roles"?',
  },
  {
    name: "a policy without auth",
    yaml: config(["  listPosts: PostSummary[]"], ["policies:", "  admin:", "    roles: [admin]"]),
    code: "unknown-key", message: 'unknown key "roles" in policy admin', line: 23, col: 5,
  },
  // DTOs
  {
    name: "a DTO field its source does not have",
    yaml: [...BASE.slice(0, 17), "      titl: string!"].join("\n") + "\n",
    code: "unknown-field", message: "PostSummary.titl is not a field of Post", line: 18, col: 13, hint: 'did you mean "title"?',
  },
  {
    name: "a computed path through an unknown relation",
    yaml: [...BASE, "      authorName: string!", "    computed:", '      authorName: "{{writer.name}}"'].join("\n") + "\n",
    code: "bad-computed", message: 'Post has no relation "writer"', line: 21, col: 19, hint: "relations here: author",
  },
  {
    name: "a computed value of another type than declared",
    yaml: [...BASE, "      authorName: integer!", "    computed:", '      authorName: "{{author.name}}"'].join("\n") + "\n",
    code: "bad-projection-type", message: "PostSummary.authorName is number, but the value of {{author.name}} is string", line: 21, col: 19,
  },
  {
    name: "a computed value that is not one path",
    yaml: [...BASE, "      label: string!", "    computed:", '      label: "{{title}} by {{author.name}}"'].join("\n") + "\n",
    code: "bad-computed", message: "must be one path in braces", line: 21, col: 14,
  },
  {
    name: "DTOs nesting each other",
    yaml: [
      ...BASE.slice(0, 13), "  PostView:", "    source: Post", "    fields:", "      author: AuthorView!",
      "  AuthorView:", "    source: Author", "    fields:", "      posts: PostView[]",
    ].join("\n") + "\n",
    code: "circular-projection", message: "nests PostView, which nests AuthorView again", line: 21, col: 14,
  },
  {
    name: "a list output whose DTO has no source",
    yaml: [...BASE.slice(0, 13), "  Stats:", "    fields:", "      total: integer!", "operations:", "  listPosts: Stats[]", ...ALL].join("\n") + "\n",
    code: "no-handler", message: "its output Stats has no `source:`", line: 18, col: 14,
  },
  {
    name: "a policy that needs a signed-in caller, in a config without auth: (its routes answer 401)",
    yaml: config(["  listPosts: PostSummary[]"], ["policies:", "  members:", "    auth: true", "apis:", "  rest:", "    v1:", "      defaultPolicy: members", "      operations: [listPosts]"]),
    code: "auth-not-configured", message: "policy members requires authentication and routes use it (GET /posts, …), but the config has no `auth:` section: no caller can sign in", line: 23, col: 5, severity: "warning",
  },
  // Warnings
  {
    name: "an operation no API exposes",
    yaml: config(["  listPosts: PostSummary[]", "  deletePost: ~"], ["apis:", "  rest:", "    v1:", "      operations: [listPosts]"]),
    code: "unexposed-operation", message: "operation deletePost is not exposed by any API", line: 21, col: 3, severity: "warning",
  },
  {
    name: "an input a list cannot use",
    yaml: config(["  listPosts:", "    input:", "      color: string?", "    output: PostSummary[]"], ALL),
    code: "unused-input", message: "listPosts: input color is validated but not used", line: 22, col: 7, severity: "warning",
  },
];

describe("operations, policies and apis diagnostics", () => {
  it.each(cases)("$name", (c) => {
    const result = compileText(c.yaml);
    const found = result.diagnostics.find((d) => d.code === c.code && (typeof c.message === "string" ? d.message.includes(c.message) : c.message.test(d.message)));
    expect(found, `no ${c.code} diagnostic matching ${String(c.message)} in:\n${result.diagnostics.map((d) => `${d.location.line}:${d.location.col} ${d.severity} [${d.code}] ${d.message}`).join("\n")}`).toBeDefined();
    expect(found!.severity).toBe(c.severity ?? "error");
    expect(`${found!.location.line}:${found!.location.col}`).toBe(`${c.line}:${c.col}`);
    if (c.hint !== undefined) expect(found!.hint ?? "").toMatch(typeof c.hint === "string" ? new RegExp(c.hint.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")) : c.hint);
    if ((c.severity ?? "error") === "error") expect(result.ok).toBe(false);
  });

  it("compiles the blog-api shapes: every operation resolved, policies resolved per API", () => {
    const yaml = config(
      ["  listPosts: PostSummary[]", "  getPost: PostSummary", "  createPost: Post", "  deletePost: ~", "  publishPost:", "    input:", "      id: uuid!", "    output: Post", "    handler: src/handlers/publishPost.ts"],
      ["auth:", "  providers: [{type: jwt, secret: \"${JWT_SECRET}\"}]", "  roles: {admin: {permissions: [\"*\"]}}", "policies:", "  public: {auth: false}", "  admin: {auth: {required: true, roles: [admin]}}", "apis:", "  rest:", "    public:", "      basePath: /api/v1", "      defaultPolicy: public", "      operations:", "        - listPosts", "        - getPost", "        - publishPost: admin", "        - {operation: createPost, policy: admin, path: /posts/new}", "    admin:", "      basePath: /api/admin", "      defaultPolicy: admin", "      operations: [all]", "      paths:", "        getPost: /p/{id}"],
    );
    const result = compileText(yaml);
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const routes = result.ir!.endpoints.map((e) => `${e.name} ${e.method} ${e.path} ${e.auth?.policy ?? "-"}`).sort();
    expect(routes).toEqual([
      "adminCreatePost POST /api/admin/posts admin",
      "adminGetPost GET /api/admin/p/:id admin",
      "adminListPosts GET /api/admin/posts admin",
      "adminPublishPost POST /api/admin/posts/:id/publish admin",
      "createPost POST /api/v1/posts/new admin",
      "deletePost DELETE /api/admin/posts/:id admin",
      "getPost GET /api/v1/posts/:id public",
      "listPosts GET /api/v1/posts public",
      "publishPost POST /api/v1/posts/:id/publish admin",
    ]);
    const publish = result.ir!.endpoints.find((e) => e.name === "publishPost")!;
    expect(publish.auth).toEqual({ required: true, roles: ["admin"], permissions: [], policy: "admin" });
    expect(publish.operation).toEqual({ name: "publishPost", api: "public" });
    expect(result.diagnostics.some((d) => /`(operations|policies):` is not compiled/.test(d.message))).toBe(false);
  });
});

describe("a create under a row policy", () => {
  const policies = ["policies:", "  mine:", "    auth: { required: true }", "    where: { authorId: auth.user.id }", "  open:", "    auth: false"];
  const api = (policy: string) => ["apis:", "  rest:", "    basePath: /api", "    operations:", `      - createPost: ${policy}`];
  const ops = ["  createPost:", "    input: { title: string! }", "    output: Post"];

  it("may leave out the required columns its policy sets (authorId from the caller)", () => {
    const r = compileText(config(ops, [...policies, ...api("mine")]));
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const route = r.files!.find((f) => f.path === "src/endpoints/create-post.ts")!.content;
    expect(route).toContain("authorId: callerId");
  });

  it("exposed under a policy that does not set it, the missing column is an error", () => {
    const errors = compileText(config(ops, [...policies, ...api("open")])).diagnostics.filter((d) => d.severity === "error");
    expect(errors).toEqual([expect.objectContaining({ code: "bad-operation-input", message: "createPost cannot create a Post: its input does not give the required field authorId" })]);
  });
});

describe("cache options", () => {
  const ops = ["  listPosts: Post[]", "  getPost: Post", "  createPost: Post"];
  const cached = (lines: string[]) => compileText(config(ops, [...ALL, "cache:", ...lines])).diagnostics.filter((d) => d.severity === "error");

  it("names exposed GET operations, inputs the route has and a ttl", () => {
    expect(cached(["  default: { ttl: 5m }", "  operations:", "    listPosts: { invalidateOn: [createPost] }", "    getPost: { ttl: 30, key: \"post:{id}\" }"])).toEqual([]);
    expect(cached(["  operations:", "    listPost: { ttl: 1m }"])).toEqual([expect.objectContaining({ code: "unknown-operation", hint: 'did you mean "listPosts"?' })]);
    expect(cached(["  operations:", "    createPost: { ttl: 1m }"])).toEqual([expect.objectContaining({ code: "bad-plugin-option", message: "cache.operations.createPost: createPost is served by POST; only GET answers are cached" })]);
    expect(cached(["  operations:", "    getPost: { ttl: 1m, key: \"post:{slug}\" }"])).toEqual([expect.objectContaining({ code: "bad-plugin-option", hint: "use one of {id}" })]);
    expect(cached(["  operations:", "    getPost: { invalidateOn: [createPosts] }"]).map((d) => d.code)).toEqual(["bad-plugin-option", "unknown-operation"]);
  });
});

describe("an input redeclaring an entity field", () => {
  it("is validated with the column's constraints: the stricter bound of each, the column's integer size and format", () => {
    const yaml = [
      "schemas:",
      "  Member:",
      "    database: members",
      "    fields:",
      "      id: uuid!",
      "      handle: string(3..20)!",
      "      age: int(13..120)?",
      "      level: int16?",
      "      email: email?",
      "      bio: string(0..50)?",
      "operations:",
      "  createMember:",
      "    input: { handle: string!, age: int?, level: int?, email: string?, bio: string(0..10)? }",
      "    output: Member",
      "apis:",
      "  rest:",
      "    basePath: /api",
      "    operations: [all]",
    ].join("\n") + "\n";
    const r = compileText(yaml);
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const schemas = r.files!.find((f) => f.path === "src/schemas.ts")!.content;
    const body = schemas.slice(schemas.indexOf("export const createMemberInputSchema"));
    expect(body).toMatch(/handle: z\.string\(\)\.min\(3\)\.max\(20\),/);
    expect(body).toMatch(/age: z\.int32\(\)\.min\(13\)\.max\(120\)/);
    expect(body).toMatch(/level: z\.int\(\)\.min\(-32768\)\.max\(32767\)/);
    expect(body).toMatch(/email: z\.email\(\)/);
    expect(body).toMatch(/bio: z\.string\(\)(\.min\(0\))?\.max\(10\)/);
  });
});

describe("irregular plurals", () => {
  it("listPeople, findPeople, createPerson and getPerson share /people; the table keeps the regular name", () => {
    const yaml = [
      "schemas:",
      "  Person: { database: true, fields: { id: uuid!, name: string! } }",
      "operations:",
      "  listPeople: Person[]",
      "  findPeople: { input: { name: string? }, output: \"Person[]\" }",
      "  createPerson: Person",
      "  getPerson: Person",
      "apis: { rest: { basePath: /store, operations: [all] } }",
    ].join("\n") + "\n";
    const r = compileText(yaml);
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const routes = r.ir!.endpoints.map((e) => `${e.method} ${e.path}`).sort();
    expect(routes).toEqual(["GET /store/people", "GET /store/people/:id", "GET /store/people/search", "POST /store/people"].sort());
    expect(r.ir!.entities[0]!.table).toBe("persons");
    // The regular plural names the entity too (one route: listPeople and listPersons would clash).
    const regular = compileText(yaml.replace("  listPeople: Person[]\n", "  listPersons: Person[]\n"));
    expect(regular.ir!.endpoints.find((e) => e.name === "listPersons")!.path).toBe("/store/people");
  });
});

describe("a custom operation's handler file", () => {
  it("without the expected export is one error, not also no-handler", () => {
    const host = { readFile: (path: string) => (path === "src/handlers/sendDigest.ts" ? "export const other = 1;\n" : undefined) };
    const r = compileText(config(["  sendDigest: { handler: src/handlers/sendDigest.ts }"], ALL), "yama.yaml", host);
    expect(r.diagnostics.filter((d) => d.severity === "error").map((d) => d.code)).toEqual(["bad-handler"]);
  });
});
