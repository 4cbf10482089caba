/**
 * Computed fields (`computed:` of an entity): a template over the row's own columns is a
 * generated column, so every route returns it, keeps it current on update, can filter and sort
 * by it, and never accepts it in a body. Expressions that are not compiled warn and are left out.
 */
import { describe, expect, it } from "vitest";
import { compileText } from "../index.js";
import { call, serveConfig, typeErrors } from "./harness.js";

const CONFIG = `name: people
entities:
  Person:
    fields:
      id: uuid!
      firstName: string!
      lastName: string
      age: integer
    computed:
      fullName: "{{firstName}} {{lastName}}"
      label: "{firstName} ({age})"
    crud: { enabled: true, auth: false }
`;

describe("computed fields", () => {
  const app = serveConfig("computed", CONFIG);

  it("are computed by the database on insert and kept current on update; a missing value reads as empty", async () => {
    const created = await call(app.server.base, "POST", "/people", { firstName: "Ada", lastName: "Lovelace", age: 36 });
    expect(created.status, created.text).toBe(201);
    const ada = created.body as { id: string };
    expect(created.body).toMatchObject({ fullName: "Ada Lovelace", label: "Ada (36)" });
    const changed = await call(app.server.base, "PATCH", `/people/${ada.id}`, { lastName: null, age: 37 });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.body).toMatchObject({ fullName: "Ada ", label: "Ada (37)" });
    expect((await call(app.server.base, "GET", `/people/${ada.id}`)).body).toMatchObject({ fullName: "Ada ", label: "Ada (37)" });
  });

  it("can be filtered and sorted by, and are never accepted in a body", async () => {
    await call(app.server.base, "POST", "/people", { firstName: "Grace", lastName: "Hopper" });
    const found = await call(app.server.base, "GET", "/people?fullName=Grace%20Hopper");
    expect(found.status, found.text).toBe(200);
    expect((found.body as { data: { firstName: string }[] }).data.map((p) => p.firstName)).toEqual(["Grace"]);
    const sorted = await call(app.server.base, "GET", "/people?sort=-fullName");
    expect((sorted.body as { data: { fullName: string }[] }).data.map((p) => p.fullName)).toEqual(["Grace Hopper", "Ada "]);
    const refused = await call(app.server.base, "POST", "/people", { firstName: "X", fullName: "forged" });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: { code: "VALIDATION_BODY" } });
  });

  it("the project passes tsc --strict", () => {
    expect(typeErrors(app.dir)).toBe("");
  }, 60_000);
});

describe("computed field diagnostics", () => {
  const diagnostics = (computed: string) =>
    compileText(`name: x\nentities:\n  Person:\n    fields: { id: uuid!, name: string!, born: date, secret: { type: string, sensitive: true } }\n    computed:\n${computed}`).diagnostics.map((d) => ({ code: d.code, line: d.location.line, message: d.message }));

  it("warns for what it does not compile and leaves it out, at the line", () => {
    const found = diagnostics('      posts: "count(posts)"\n      who: "{{nam}}"\n      via: "{{author.name}}"\n      when: "{{born}}"\n      hush: "{{secret}}"\n      fixed: "just text"\n');
    expect(found.map((d) => [d.code, d.line])).toEqual([
      ["computed-not-compiled", 6],
      ["computed-not-compiled", 7],
      ["computed-not-compiled", 8],
      ["computed-not-compiled", 9],
      ["computed-not-compiled", 10],
      ["computed-not-compiled", 11],
    ]);
    expect(found[1]!.message).toContain('Person has no field "nam"');
  });

  it("a computed field with a declared field's name, or a name that is no identifier, is an error", () => {
    expect(diagnostics('      name: "{{name}}"\n').map((d) => d.code)).toEqual(["duplicate-name"]);
    expect(diagnostics('      "full name": "{{name}}"\n').map((d) => d.code)).toEqual(["bad-field-name"]);
  });
});
