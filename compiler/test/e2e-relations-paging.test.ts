/**
 * Two relation and paging edge cases over HTTP on PostgreSQL: a self many-to-many pair through
 * one junction table (following / followers) reads the junction in opposite directions, and a
 * cursor over a timestamp does not skip rows written within the same millisecond.
 */
import { describe, expect, it } from "vitest";
import { call, serveConfig } from "./harness.js";

const CONFIG = `name: edges
version: 1.0.0
entities:
  Person:
    fields:
      handle: string! primary
      following: Person[] through:follows
      followers: Person[] through:follows
    crud: true
  Post:
    fields:
      id: uuid!
      title: string!
      createdAt: timestamp
    crud:
      pagination: { type: cursor, limit: 2, cursorField: createdAt, direction: desc }
endpoints:
  - path: /people/:handle/followers
    method: GET
    params: { handle: string! }
    handler: { type: relation, entity: Person, relation: followers, parentId: params.handle }
    response: Person[]
`;

type Json = Record<string, unknown>;

describe("relation and paging edge cases on PostgreSQL", () => {
  const served = serveConfig("edges", CONFIG);
  const api = (method: string, path: string, json?: unknown) => call(served.server.base, method, path, json);

  it("following and followers through one junction table read it in opposite directions", async () => {
    for (const handle of ["alice", "bob", "carol"]) expect((await api("POST", "/people", { handle })).status).toBe(201);
    // alice follows bob and carol; bob follows alice. The first relation declared owns person_id.
    await served.db.sql`insert into follows (person_id, related_person_id) values ('alice', 'bob'), ('alice', 'carol'), ('bob', 'alice')`;

    const handles = (rows: unknown) => (rows as Json[]).map((p) => p.handle).sort();
    const alice = (await api("GET", "/people/alice?include=following,followers")).body as Json;
    expect(handles(alice.following)).toEqual(["bob", "carol"]);
    expect(handles(alice.followers)).toEqual(["bob"]);
    const carol = (await api("GET", "/people/carol?include=following,followers")).body as Json;
    expect(handles(carol.following)).toEqual([]);
    expect(handles(carol.followers)).toEqual(["alice"]);

    const list = (await api("GET", "/people?include=followers")).body as { data: Json[] };
    expect(Object.fromEntries(list.data.map((p) => [p.handle, handles(p.followers)]))).toEqual({ alice: ["bob"], bob: ["alice"], carol: ["alice"] });

    const followers = await api("GET", "/people/alice/followers");
    expect(followers.status).toBe(200);
    expect(handles(followers.body)).toEqual(["bob"]);
    expect(handles((await api("GET", "/people/bob/followers")).body)).toEqual(["alice"]);
  });

  it("a timestamp cursor pages through rows written within one millisecond, none skipped or repeated", async () => {
    // Six rows whose times differ only in microseconds (as rows inserted in one burst do).
    for (let i = 1; i <= 6; i++) {
      // (Cast from text: a parameter typed timestamptz would go through a JavaScript Date, in milliseconds.)
      await served.db.sql`insert into posts (title, created_at) values (${`p${i}`}, ${`2026-01-01T00:00:00.500${i}Z`}::text::timestamptz)`;
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    for (; pages < 10; pages++) {
      const res = await api("GET", `/posts?limit=2${cursor === undefined ? "" : `&cursor=${encodeURIComponent(cursor)}`}`);
      expect(res.status).toBe(200);
      const body = res.body as { data: Json[]; pagination: { hasNext: boolean; nextCursor?: string | null } };
      seen.push(...body.data.map((p) => p.title as string));
      if (!body.pagination.hasNext) break;
      cursor = body.pagination.nextCursor ?? undefined;
    }
    expect(pages).toBe(2);
    expect(seen).toHaveLength(6);
    expect(new Set(seen).size).toBe(6);
  });
});
