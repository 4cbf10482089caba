/**
 * A foreign key may not name a soft-deleted row: the database's constraint still sees the row,
 * so every write path checks it (CRUD create, bulk, PUT, PATCH, dialect-B operations) and answers
 * 422 VALIDATION_REFERENCE naming the field, as it does for a row that never existed.
 */
import { describe, expect, it } from "vitest";
import { call, serveConfig } from "./harness.js";

const CONFIG = `name: library
version: 1.0.0
entities:
  Author:
    fields:
      id: uuid!
      name: string!
    softDelete: true
    crud: true
  Book:
    fields:
      id: uuid!
      title: string!
      author: Author!
      editor: Author?
    crud:
      bulk: true
  Review:
    fields:
      id: uuid!
      text: string!
      author: Author!
operations:
  createReview:
    input:
      text: string!
      authorId: uuid!
    output: Review
  updateReview: Review
apis:
  rest:
    basePath: /v2
    include: all
`;

type Json = Record<string, unknown>;

describe("references to soft-deleted rows", () => {
  const served = serveConfig("soft_references", CONFIG);
  const api = (method: string, path: string, json?: unknown) => call(served.server.base, method, path, json);
  const refused = (reply: { status: number; body: unknown }, field: string) => {
    expect(reply.status).toBe(422);
    const error = (reply.body as { error: { code: string; details: Json[] } }).error;
    expect(error.code).toBe("VALIDATION_REFERENCE");
    expect(error.details).toEqual([{ field, message: "referenced row not found", rule: "foreign_key" }]);
  };

  it("refuses a deleted author on every write path, and accepts a live one", async () => {
    const live = (await api("POST", "/authors", { name: "Ada" })).body as Json;
    const gone = (await api("POST", "/authors", { name: "Bo" })).body as Json;
    expect((await api("DELETE", `/authors/${gone.id}`)).status).toBe(204);

    refused(await api("POST", "/books", { title: "T", authorId: gone.id }), "authorId");
    refused(await api("POST", "/books", { title: "T", authorId: live.id, editorId: gone.id }), "editorId");
    refused(await api("POST", "/books/bulk", [{ title: "A", authorId: live.id }, { title: "B", authorId: gone.id }]), "authorId");
    const [{ n }] = await served.db.sql<{ n: number }[]>`select count(*)::int as n from books`;
    expect(n).toBe(0);

    const book = await api("POST", "/books", { title: "T", authorId: live.id, editorId: null });
    expect(book.status).toBe(201);
    const id = (book.body as Json).id;
    refused(await api("PATCH", `/books/${id}`, { editorId: gone.id }), "editorId");
    refused(await api("PUT", `/books/${id}`, { title: "T", authorId: gone.id }), "authorId");
    expect((await api("PATCH", `/books/${id}`, { editorId: live.id })).status).toBe(200);
    expect((await api("POST", "/books/bulk", [{ title: "A", authorId: live.id }, { title: "B", authorId: live.id }])).status).toBe(201);

    refused(await api("POST", "/v2/reviews", { text: "x", authorId: gone.id }), "authorId");
    const review = await api("POST", "/v2/reviews", { text: "x", authorId: live.id });
    expect(review.status).toBe(201);
    refused(await api("PUT", `/v2/reviews/${(review.body as Json).id}`, { authorId: gone.id }), "authorId");

    // A key with no row at all is refused by the database's foreign key, with the same code.
    const none = await api("POST", "/books", { title: "T", authorId: "00000000-0000-4000-8000-000000000000" });
    expect(none.status).toBe(422);
    expect((none.body as { error: { code: string } }).error.code).toBe("VALIDATION_REFERENCE");
  });
});
