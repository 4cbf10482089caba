/**
 * Entity hooks (`hooks:` of an entity): every generated write runs them. CRUD routes (one row,
 * bulk, PATCH, DELETE), `ctx.entities` in a handler and dialect-B operations call the user's
 * functions in order; before-hooks change the data the statement writes, after-hooks see the
 * row, and an error a hook throws answers in the envelope without writing. Hook files are typed:
 * a wrong signature fails tsc. Bad phases and missing files are diagnostics at their line.
 */
import { describe, expect, it } from "vitest";
import { compileText } from "../index.js";
import { call, serveConfig, typeErrors, typeErrorsWith } from "./harness.js";

const CONFIG = `name: hooked
version: 1.0.0
entities:
  Post:
    fields:
      id: uuid!
      title: string!
      slug: string
    hooks:
      beforeSave: hooks/normalize.ts
      beforeCreate: ./hooks/slugify.ts
      beforeUpdate: hooks/reslug.ts
      afterSave: [hooks/audit.ts]
      beforeDelete: hooks/guard.ts
      afterDelete: hooks/audit-delete.ts
    crud: { enabled: true, auth: false, bulk: true }
  AuditEntry:
    fields:
      id: uuid!
      action: string!
      postId: string!
      detail: string
      caller: string
    crud: { enabled: true, auth: false }
endpoints:
  - path: /quick
    method: POST
    auth: false
    body: { fields: { title: string! } }
    handler: handlers/quick.ts
`;

const SLUG = `export function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}
`;

const FILES: Record<string, string> = {
  "hooks/slug.ts": SLUG,
  "hooks/normalize.ts": `import type { PostHooks } from "../src/hooks/post.js";
const normalize: PostHooks["beforeSave"] = (data) => {
  if (data.title !== undefined) data.title = data.title.trim();
};
export default normalize;
`,
  "hooks/slugify.ts": `import type { PostHooks } from "../src/hooks/post.js";
import { slug } from "./slug.js";
export default (async (data) => ({ slug: slug(data.title) })) satisfies PostHooks["beforeCreate"];
`,
  "hooks/reslug.ts": `import type { PostHooks } from "../src/hooks/post.js";
import { ValidationError } from "../src/lib/errors.js";
import { slug } from "./slug.js";
export const reslug: PostHooks["beforeUpdate"] = (changes) => {
  if (changes.title === "untitled") throw new ValidationError("a title cannot be untitled", [{ field: "title", message: "must not be empty", rule: "required" }]);
  return changes.title === undefined ? undefined : { slug: slug(changes.title) };
};
`,
  "hooks/audit.ts": `import type { PostHooks } from "../src/hooks/post.js";
import { db } from "../src/db/client.js";
import { auditEntries } from "../src/db/tables/audit-entry.js";
export const audit: PostHooks["afterSave"] = async (row, ctx) => {
  await db.insert(auditEntries).values({ action: ctx.operation, postId: row.id, detail: row.slug, caller: ctx.request?.req.header("x-user") ?? "none" });
};
`,
  "hooks/guard.ts": `import { eq } from "drizzle-orm";
import type { PostHooks } from "../src/hooks/post.js";
import { db } from "../src/db/client.js";
import { posts } from "../src/db/tables/post.js";
import { ConflictError } from "../src/lib/errors.js";
export default (async (id) => {
  const [post] = await db.select().from(posts).where(eq(posts.id, id));
  if (post?.title.startsWith("keep")) throw new ConflictError("this post is kept");
}) satisfies PostHooks["beforeDelete"];
`,
  "hooks/audit-delete.ts": `import type { PostHooks } from "../src/hooks/post.js";
import { db } from "../src/db/client.js";
import { auditEntries } from "../src/db/tables/audit-entry.js";
export default (async (id, ctx) => {
  await db.insert(auditEntries).values({ action: "delete", postId: id, caller: ctx.request?.req.header("x-user") ?? "none" });
}) satisfies PostHooks["afterDelete"];
`,
  "handlers/quick.ts": `import type { QuickContext } from "../src/endpoints/quick.js";
export default async function quick(ctx: QuickContext) {
  return ctx.entities.Post.create({ title: ctx.body.title }, ctx.raw);
}
`,
};

interface Audit {
  action: string;
  postId: string;
  detail: string | null;
  caller: string;
}

describe("entity hooks", () => {
  const app = serveConfig("hooks", CONFIG, {}, FILES);
  /** A post's audit entries, in the order of the writes (ids are random, so by action). */
  const audits = async (postId: string): Promise<Audit[]> => {
    const order = ["create", "update", "delete"];
    const { data } = (await call(app.server.base, "GET", `/audit-entries?postId=${postId}&limit=100`)).body as { data: Audit[] };
    return data.sort((a, b) => order.indexOf(a.action) - order.indexOf(b.action));
  };

  it("POST runs beforeSave, then beforeCreate, and afterSave with the stored row and the request", async () => {
    const res = await call(app.server.base, "POST", "/posts", { title: "  Hello, World  " }, { "x-user": "ann" });
    expect(res.status, res.text).toBe(201);
    const post = res.body as { id: string; title: string; slug: string };
    expect(post).toMatchObject({ title: "Hello, World", slug: "hello-world" });
    expect(await audits(post.id)).toEqual([expect.objectContaining({ action: "create", postId: post.id, detail: "hello-world", caller: "ann" })]);
  });

  it("PATCH runs beforeUpdate on the changes; a hook's ValidationError answers 400 and writes nothing", async () => {
    const created = (await call(app.server.base, "POST", "/posts", { title: "First" })).body as { id: string };
    const res = await call(app.server.base, "PATCH", `/posts/${created.id}`, { title: " Second Title " }, { "x-user": "bo" });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ title: "Second Title", slug: "second-title" });
    const refused = await call(app.server.base, "PATCH", `/posts/${created.id}`, { title: "untitled" });
    expect(refused.status, refused.text).toBe(400);
    expect(refused.body).toMatchObject({ error: { code: "VALIDATION_FAILED", message: "a title cannot be untitled", details: [{ field: "title" }] } });
    expect((await call(app.server.base, "GET", `/posts/${created.id}`)).body).toMatchObject({ title: "Second Title" });
    expect((await audits(created.id)).map((a) => [a.action, a.detail, a.caller])).toEqual([
      ["create", "first", "none"],
      ["update", "second-title", "bo"],
    ]);
  });

  it("POST /bulk runs the hooks for every row", async () => {
    const res = await call(app.server.base, "POST", "/posts/bulk", [{ title: "One A" }, { title: "Two B " }]);
    expect(res.status, res.text).toBe(201);
    const rows = (res.body as { data: { id: string; slug: string }[] }).data;
    expect(rows.map((r) => r.slug)).toEqual(["one-a", "two-b"]);
    for (const row of rows) expect((await audits(row.id)).map((a) => a.action)).toEqual(["create"]);
  });

  it("DELETE: beforeDelete can refuse (409, the row stays); afterDelete runs once the row is gone", async () => {
    const kept = (await call(app.server.base, "POST", "/posts", { title: "keep me" })).body as { id: string };
    const refused = await call(app.server.base, "DELETE", `/posts/${kept.id}`);
    expect(refused.status, refused.text).toBe(409);
    expect(refused.body).toMatchObject({ error: { code: "CONFLICT", message: "this post is kept" } });
    expect((await call(app.server.base, "GET", `/posts/${kept.id}`)).status).toBe(200);

    const gone = (await call(app.server.base, "POST", "/posts", { title: "drop me" })).body as { id: string };
    expect((await call(app.server.base, "DELETE", `/posts/${gone.id}`, undefined, { "x-user": "cy" })).status).toBe(204);
    expect((await audits(gone.id)).map((a) => [a.action, a.caller])).toEqual([
      ["create", "none"],
      ["delete", "cy"],
    ]);
    // A 404 runs no after-hook.
    expect((await call(app.server.base, "DELETE", `/posts/${gone.id}`)).status).toBe(404);
    expect(await audits(gone.id)).toHaveLength(2);
  });

  it("ctx.entities writes run the hooks too, with the request the handler passes", async () => {
    const res = await call(app.server.base, "POST", "/quick", { title: "From A Handler" }, { "x-user": "dee" });
    expect(res.status, res.text).toBe(201);
    const post = res.body as { id: string; slug: string };
    expect(post.slug).toBe("from-a-handler");
    expect((await audits(post.id)).map((a) => [a.action, a.caller])).toEqual([["create", "dee"]]);
  });

  it("types the hooks: the project passes tsc --strict, and a hook returning a wrong type does not", () => {
    expect(typeErrors(app.dir)).toBe("");
    expect(typeErrorsWith(app.dir, "hooks/slugify.ts", FILES["hooks/slugify.ts"]!.replace("slug: slug(data.title)", "slug: 42"))).toMatch(/hooks\/slugify\.ts.*number/s);
  }, 60_000);
});

describe("entity hooks in dialect-B operations", () => {
  const config = `name: hooked-ops
schemas:
  Task:
    database: tasks
    fields:
      id: uuid!
      title: string!
      label: string
    hooks:
      beforeCreate: hooks/label.ts
      beforeUpdate: hooks/label.ts
      afterDelete: hooks/forget.ts
  TaskView:
    source: Task
    include: [id, title, label]
operations:
  createTask:
    input:
      title: string!
    output: TaskView
  updateTask: TaskView
  deleteTask: ~
policies:
  anyone: { auth: false }
apis:
  rest:
    defaultPolicy: anyone
    include: all
`;
  const files = {
    "hooks/label.ts": `import type { TaskHooks } from "../src/hooks/task.js";
export default ((data) => (data.title === undefined ? undefined : { label: data.title.toUpperCase() })) satisfies TaskHooks["beforeCreate"] & TaskHooks["beforeUpdate"];
`,
    "hooks/forget.ts": `import type { TaskHooks } from "../src/hooks/task.js";
export const forgotten: string[] = [];
export default (async (id) => {
  forgotten.push(id);
  console.log(\`forgot task \${id}\`);
}) satisfies TaskHooks["afterDelete"];
`,
  };
  const app = serveConfig("hooks-ops", config, {}, files);

  it("create, update and delete operations run the entity's hooks", async () => {
    const created = await call(app.server.base, "POST", "/tasks", { title: "write docs" });
    expect(created.status, created.text).toBe(201);
    const task = created.body as { id: string; label: string };
    expect(task.label).toBe("WRITE DOCS");
    const updated = await call(app.server.base, "PUT", `/tasks/${task.id}`, { title: "ship it" });
    expect(updated.status, updated.text).toBe(200);
    expect(updated.body).toMatchObject({ title: "ship it", label: "SHIP IT" });
    expect((await call(app.server.base, "DELETE", `/tasks/${task.id}`)).status).toBe(204);
    await expect.poll(() => app.server.output.join("")).toContain(`forgot task ${task.id}`);
  });

  it("the operations' project passes tsc --strict", () => {
    expect(typeErrors(app.dir)).toBe("");
  }, 60_000);
});

describe("hook diagnostics", () => {
  const host = (files: Record<string, string>) => ({ readFile: (path: string) => files[path] });
  const yaml = (hooks: string) => `name: x
entities:
  Post:
    fields: { id: uuid!, title: string! }
    hooks:
${hooks}
`;

  it("an unknown phase is an error with the closest name; a missing file is an error at its line", () => {
    const result = compileText(yaml("      beforeCreat: hooks/a.ts\n      afterSave: [hooks/a.ts, hooks/missing.ts]"), "yama.yaml", host({ "hooks/a.ts": "export default () => {};\n" }));
    expect(result.ok).toBe(false);
    const errors = result.diagnostics.filter((d) => d.severity === "error").map((d) => ({ code: d.code, line: d.location.line, hint: d.hint }));
    expect(errors).toEqual([
      { code: "unknown-hook", line: 6, hint: 'did you mean "beforeCreate"?' },
      { code: "missing-hook", line: 7, hint: expect.stringContaining('satisfies PostHooks["afterSave"]') },
    ]);
  });

  it("a file exports the hook by default, under the phase's name or under its own; anything else is an error", () => {
    const codes = (source: string, file = "hooks/audit.ts") =>
      compileText(yaml(`      afterCreate: ${file}`), "yama.yaml", host({ [file]: source })).diagnostics.filter((d) => d.severity === "error").map((d) => d.code);
    expect(codes("export const other = () => {};\n")).toEqual(["bad-hook"]);
    expect(codes("export async function afterCreate() {}\n")).toEqual([]);
    expect(codes("export const audit = async () => {};\n")).toEqual([]);
    expect(codes("export default async function () {}\n", "hooks/post.afterCreate.ts")).toEqual([]);
    expect(codes("export default () => {};\n", "../elsewhere/audit.ts")).toEqual(["bad-hook"]);
  });

  it("hooks no longer warn as not compiled, and emit src/hooks/<entity>.ts", () => {
    const result = compileText(yaml("      afterCreate: hooks/audit.ts"), "yama.yaml", host({ "hooks/audit.ts": "export default () => {};\n" }));
    expect(result.diagnostics.map((d) => d.code)).not.toContain("not-yet-compiled");
    expect(result.files?.map((f) => f.path)).toContain("src/hooks/post.ts");
  });
});
