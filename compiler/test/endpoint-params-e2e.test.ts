/**
 * Endpoint path and query parameters end to end: smart defaults bind every path parameter (a
 * filter on the field it names, or the primary key), declared parameters are validated as
 * declared, and `email`, `url`, `phone` and `slug` are checked the same way in path parameters,
 * query strings and bodies. Plus the diagnostics for path parameters a smart default cannot use.
 */
import { describe, expect, it } from "vitest";
import { compileText } from "../index.js";
import { call, serveConfig } from "./harness.js";

const CONFIG = `name: endpoint-params
version: 1.0.0

entities:
  Author:
    fields:
      id: uuid!
      name: string!
      email: email! unique
    crud: true
  Post:
    fields:
      id: uuid!
      title: string!
      author: Author!
    crud: true
  Note:
    fields:
      id: uuid!
      title: string!
      folder: string?
    crud: true
  Contact:
    fields:
      id: uuid!
      name: string!
      phone: phone?
      site: url?
    crud: true
  Task:
    fields:
      id: uuid!
      title: string!
  Comment:
    fields:
      id: uuid!
      body: string!
      writer: Author!
    crud: true

endpoints:
  - path: /folders/:folder/notes
    method: GET
    response: Note[]
  - path: /folders/:folder/notes/:id
    method: GET
    response: Note
  - path: /folders/:folder/notes/:id
    method: DELETE
    response: Note
  - path: /posts/by-author/:authorId
    method: GET
    params:
      authorId: uuid!
    response: Post[]
  - path: /authors/:author/posts
    method: GET
    response: Post[]
  - path: /authors/:authorId/comments
    method: GET
    response: Comment[]
  - path: /authors/by-email/:email
    method: GET
    params:
      email: email!
    response: Author
  - path: /authors/lookup
    method: GET
    query:
      email: email!
    handler:
      type: query
      entity: Author
      filters: [{field: email, param: query.email}]
    response: Author
  - path: /tasks/overdue
    method: GET
    query:
      contact: email
      ref: url
      tel: phone
      tag: slug
    response: Task[]
`;

interface Row {
  id: string;
  [field: string]: unknown;
}

describe("endpoint parameters over HTTP", () => {
  const served = serveConfig("endpoint-params", CONFIG);
  const api = (method: string, path: string, json?: unknown) => call(served.server.base, method, path, json);
  const create = async (path: string, json: unknown): Promise<Row> => {
    const res = await api("POST", path, json);
    expect(res.status).toBe(201);
    return res.body as Row;
  };


  it("filters a smart-default list by the field a path parameter names", async () => {
    const work = await create("/notes", { title: "plan", folder: "work" });
    await create("/notes", { title: "shopping", folder: "home" });
    await create("/notes", { title: "loose" });
    const res = await api("GET", "/folders/work/notes");
    expect(res.status).toBe(200);
    expect((res.body as Row[]).map((n) => n.id)).toEqual([work.id]);
    expect((await api("GET", "/folders/nowhere/notes")).body).toEqual([]);
  });

  it("scopes a smart-default get and delete by the path parameters besides the key", async () => {
    const note = await create("/notes", { title: "scoped", folder: "inbox" });
    expect((await api("GET", `/folders/inbox/notes/${note.id}`)).body).toMatchObject({ id: note.id, folder: "inbox" });
    const elsewhere = await api("GET", `/folders/archive/notes/${note.id}`);
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.body).toMatchObject({ error: { code: "NOT_FOUND" } });
    expect((await api("DELETE", `/folders/archive/notes/${note.id}`)).status).toBe(404);
    expect((await api("GET", `/notes/${note.id}`)).status).toBe(200);
    expect((await api("DELETE", `/folders/inbox/notes/${note.id}`)).status).toBe(204);
    expect((await api("GET", `/notes/${note.id}`)).status).toBe(404);
    expect((await api("GET", "/folders/inbox/notes/not-a-uuid")).status).toBe(400);
  });

  it("filters by a relation's foreign key, named as the key or as the relation", async () => {
    const ann = await create("/authors", { name: "Ann", email: "ann@example.com" });
    const bob = await create("/authors", { name: "Bob", email: "bob@example.com" });
    const first = await create("/posts", { title: "Ann's", authorId: ann.id });
    await create("/posts", { title: "Bob's", authorId: bob.id });
    for (const path of [`/posts/by-author/${ann.id}`, `/authors/${ann.id}/posts`]) {
      const res = await api("GET", path);
      expect(res.status).toBe(200);
      expect((res.body as Row[]).map((p) => p.id)).toEqual([first.id]);
    }
  });

  it("a nested resource path names the parent entity: /authors/:authorId/comments filters by the one relation to Author", async () => {
    const eve = await create("/authors", { name: "Eve", email: "eve@example.com" });
    const dee = await create("/authors", { name: "Dee", email: "dee@example.com" });
    const mine = await create("/comments", { body: "first", writerId: eve.id });
    await create("/comments", { body: "second", writerId: dee.id });
    const res = await api("GET", `/authors/${eve.id}/comments`);
    expect(res.status).toBe(200);
    expect((res.body as Row[]).map((c) => c.id)).toEqual([mine.id]);
    expect((await api("GET", "/authors/not-a-uuid/comments")).status).toBe(400);
  });

  it("validates declared path parameters: a malformed uuid is a 400 VALIDATION_PARAMS", async () => {
    for (const path of ["/posts/by-author/not-a-uuid", "/authors/not-a-uuid/posts"]) {
      const res = await api("GET", path);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: { code: "VALIDATION_PARAMS", details: [expect.objectContaining({ field: expect.stringMatching(/^author(Id)?$/) })] } });
    }
  });

  it("looks a row up by a unique field in the path, checking the parameter's format", async () => {
    const cy = await create("/authors", { name: "Cy", email: "cy@example.com" });
    expect((await api("GET", "/authors/by-email/cy@example.com")).body).toMatchObject({ id: cy.id });
    expect((await api("GET", "/authors/by-email/nobody@example.com")).status).toBe(404);
    const bad = await api("GET", "/authors/by-email/not-an-email");
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: "VALIDATION_PARAMS", details: [expect.objectContaining({ field: "email" })] } });
  });

  it("checks email, url, phone and slug query parameters: 400 VALIDATION_QUERY", async () => {
    expect((await api("GET", "/tasks/overdue?contact=a@example.com&ref=https%3A%2F%2Fexample.com&tel=%2B1%20555%20123%204567&tag=q3-plan")).status).toBe(200);
    for (const query of ["contact=not-an-email", "ref=not%20a%20url", "tel=call%20me", "tag=Not%20A%20Slug"]) {
      const res = await api("GET", `/tasks/overdue?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body).toMatchObject({ error: { code: "VALIDATION_QUERY", details: [expect.objectContaining({ field: query.split("=")[0] })] } });
    }
    const lookup = await api("GET", "/authors/lookup?email=not-an-email");
    expect(lookup.status).toBe(400);
    expect(lookup.body).toMatchObject({ error: { code: "VALIDATION_QUERY" } });
    expect((await api("GET", "/authors/lookup?email=nobody@example.com")).status).toBe(404);
  });

  it("a query parameter given twice is a 400 naming it, on CRUD lists, gets and endpoints alike", async () => {
    const note = await create("/notes", { title: "twice", folder: "q" });
    for (const path of ["/notes?limit=1&limit=2", `/notes/${note.id}?fields=id&fields=title`, "/tasks/overdue?tag=a&contact=x@example.com&tag=b"]) {
      const res = await api("GET", path);
      expect(res.status, path).toBe(400);
      expect(res.body).toMatchObject({ error: { code: "VALIDATION_QUERY", details: [{ field: expect.stringMatching(/^(limit|fields|tag)$/), rule: "repeated" }] } });
    }
    // Empty pairs are not repeats.
    expect((await api("GET", "/notes?limit=1&&offset=0&")).status).toBe(200);
  });

  it("checks phone numbers in CRUD bodies and filters", async () => {
    const bad = await api("POST", "/contacts", { name: "Dee", phone: "call me" });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: "VALIDATION_BODY", details: [expect.objectContaining({ field: "phone" })] } });
    expect((await api("POST", "/contacts", { name: "Dee", phone: "123" })).status).toBe(400);
    const dee = await create("/contacts", { name: "Dee", phone: "+44 20 7946 0958", site: "https://example.com" });
    await create("/contacts", { name: "Eve", phone: "(555) 123-4567" });
    expect((await api("PATCH", `/contacts/${dee.id}`, { phone: "none" })).status).toBe(400);
    // url fields hold web addresses: a javascript: or data: URL rendered as a link would run script.
    for (const site of ["javascript:alert(1)", "data:text/html,hi", "ftp://example.com"]) expect((await api("PATCH", `/contacts/${dee.id}`, { site })).status, site).toBe(400);
    expect((await api("PATCH", `/contacts/${dee.id}`, { site: "not a url" })).status).toBe(400);
    const found = await api("GET", `/contacts?phone=${encodeURIComponent("+44 20 7946 0958")}`);
    expect((found.body as { data: Row[] }).data.map((c) => c.id)).toEqual([dee.id]);
    expect((await api("GET", "/contacts?phone=call%20me")).status).toBe(400);
  });
});

describe("smart-default path parameters that cannot be bound", () => {
  const base = ["entities:", "  Note:", "    fields: { id: uuid!, title: string!, folder: string?, secret: string? sensitive }", "endpoints:"];
  const compile = (...endpoint: string[]) => compileText([...base, ...endpoint].join("\n") + "\n");
  const errors = (...endpoint: string[]) => compile(...endpoint).diagnostics.filter((d) => d.severity === "error");

  it("a path parameter that names no field is an error at the parameter, with a did-you-mean", () => {
    const [d, ...rest] = errors("  - path: /folders/:foldr/notes", "    method: GET", "    response: Note[]");
    expect(rest).toEqual([]);
    expect(d).toMatchObject({ code: "unbound-path-param", location: { line: 5, col: 20, length: 6 } });
    expect(d!.message).toContain("path parameter :foldr of GET /folders/:foldr/notes names no field of Note");
    expect(d!.hint).toContain('did you mean ":folder"?');
  });

  it("the key of a get may have another name; any other unknown parameter is an error", () => {
    expect(errors("  - { path: /notes/:noteId, method: GET, response: Note }")).toEqual([]);
    const [d] = errors("  - { path: /users/:userId/notes/:noteId, method: GET, response: Note }");
    expect(d).toMatchObject({ code: "unbound-path-param", location: { line: 5, col: 20 } });
    expect(d!.message).toContain("it is not Note's primary key (:noteId is)");
  });

  it("a get whose parameters identify no single row, a create with path parameters, a sensitive field, a mismatched type", () => {
    expect(errors("  - { path: /folders/:folder/latest, method: GET, response: Note }")[0]).toMatchObject({ code: "unbound-path-param", message: expect.stringContaining("identify no single row") });
    expect(errors("  - { path: /folders/:folder/notes, method: POST, response: Note }")[0]).toMatchObject({ code: "unbound-path-param", message: expect.stringContaining("does not read path parameters") });
    expect(errors("  - path: /by-secret/:secret/notes", "    method: GET", "    response: Note[]")[0]).toMatchObject({ code: "unbound-path-param", message: expect.stringContaining("is sensitive") });
    expect(errors("  - path: /notes/:id", "    method: GET", "    params: { id: integer! }", "    response: Note")[0]).toMatchObject({ code: "param-type-mismatch", hint: expect.stringContaining("`id: uuid!`") });
  });
});
