/**
 * `yamac diff`: a temporary git repository holds a config in several commits; the working
 * config is compared with a ref. Each kind of change is detected and classified, and the exit
 * code follows `--fail-on`. The old config is read with `git show` and never written.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "./harness.js";

function yamac(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, "bin/yamac.js"), ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

const AUTH = `auth:
  providers:
    - type: jwt
      secret: \${JWT_SECRET}
  roles:
    admin:
      permissions: ["*"]
    editor:
      permissions: []
`;

const V1 = `name: diffed
version: 1.0.0
${AUTH}
entities:
  Product:
    fields:
      id: uuid!
      name: string(1..200)!
      price: decimal(10,2)!
      note: text?
      status: enum(draft, active, archived) = draft
    crud:
      read:
        auth:
          roles: [admin, editor]
      write:
        auth:
          roles: [admin]
  Tag:
    fields:
      id: uuid!
      label: string!
    crud: true
`;

/** Only additions: a new optional field and a new entity. */
const V2 = V1.replace("      note: text?\n", "      note: text?\n      color: string?\n") + `  Label:
    fields:
      id: uuid!
      text: string!
    crud: true
`;

/** Breaking: a removed entity, dropped, narrowed and retyped columns, a new required field, auth changes. */
const V3 = `name: diffed
version: 1.0.0
${AUTH}
entities:
  Product:
    fields:
      id: uuid!
      name: string(1..100)!
      price: integer!
      sku: string!
      status: enum(draft, active) = draft
    crud:
      read:
        auth: false
      write:
        auth:
          roles: [admin, editor]
`;

interface Change {
  kind: string;
  subject: string;
  message: string;
  breaking: boolean;
  widensAccess?: boolean;
}

describe("yamac diff", () => {
  let repo: string;
  const git = (...args: string[]) => execFileSync("git", args, { cwd: repo, encoding: "utf8", env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" } });
  const commit = (config: string, message: string) => {
    writeFileSync(join(repo, "yama.yaml"), config);
    git("add", "yama.yaml");
    git("commit", "-q", "-m", message);
  };
  const changes = async (...args: string[]) => {
    const r = await yamac("diff", repo, "--json", ...args);
    expect(r.stderr).toBe("");
    return (JSON.parse(r.stdout) as { changes: Change[] }).changes;
  };
  const find = (list: Change[], subject: string, message: string | RegExp) =>
    list.find((c) => c.subject === subject && (typeof message === "string" ? c.message === message : message.test(c.message)));

  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), "yamac-diff-"));
    git("init", "-q");
    commit(V1, "v1");
    commit(V2, "v2");
  });
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  it("reports nothing when the config is as committed", async () => {
    const r = await yamac("diff", repo, "--fail-on", "any");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^no API, schema or auth changes since HEAD/);
  });

  it("classifies additions as not breaking; --fail-on breaking passes", async () => {
    const list = await changes("--against", "HEAD~1");
    expect(find(list, "POST /products", "body field color added (optional)")?.breaking).toBe(false);
    expect(find(list, "GET /products/{id}", "response field color added")?.breaking).toBe(false);
    expect(find(list, "GET /labels", "route added")?.breaking).toBe(false);
    expect(find(list, "labels", /^table added/)?.breaking).toBe(false);
    expect(find(list, "products.color", "column added")?.breaking).toBe(false);
    expect(list.some((c) => c.breaking)).toBe(false);
    expect((await yamac("diff", repo, "--against", "HEAD~1", "--fail-on", "breaking")).status).toBe(0);
    expect((await yamac("diff", repo, "--against", "HEAD~1", "--fail-on", "any")).status).toBe(1);
  });

  it("detects and classifies breaking API, schema and auth changes in the working config", async () => {
    writeFileSync(join(repo, "yama.yaml"), V3);
    try {
      const list = await changes();
      // API: removed routes and fields, retyped and narrowed fields, newly required request fields.
      expect(find(list, "GET /tags", "route removed")?.breaking).toBe(true);
      expect(find(list, "GET /products/{id}", "response field note removed")?.breaking).toBe(true);
      expect(find(list, "POST /products", "body field note removed (requests that send it are rejected)")?.breaking).toBe(true);
      expect(find(list, "POST /products", "body field price changes type: number → integer")?.breaking).toBe(true);
      expect(find(list, "GET /products/{id}", "response field price changes type: number → integer")?.breaking).toBe(true);
      expect(find(list, "POST /products", "body field sku added, required")?.breaking).toBe(true);
      expect(find(list, "PATCH /products/{id}", "body field sku added (optional)")?.breaking).toBe(false);
      expect(find(list, "POST /products", /^body field name: maxLength 200 → 100/)?.breaking).toBe(true);
      expect(find(list, "POST /products", `body field status no longer accepts "archived"`)?.breaking).toBe(true);
      // Schema: what the next migration does to existing rows.
      expect(find(list, "tags", /^table dropped/)?.breaking).toBe(true);
      expect(find(list, "products.note", "column dropped: its values are lost")?.breaking).toBe(true);
      expect(find(list, "products.name", "varchar(200) → varchar(100): longer values fail the migration")?.breaking).toBe(true);
      expect(find(list, "products.price", /^type numeric\(10,2\) → integer/)?.breaking).toBe(true);
      expect(find(list, "products.status", /no longer allows "archived"/)?.breaking).toBe(true);
      expect(find(list, "products.sku", /NOT NULL without a default/)?.breaking).toBe(true);
      // Auth: a route that became public widens access; a role added to a write rule too.
      const publicRead = find(list, "GET /products/:id", "became public (was: requires role admin or editor)")!;
      expect(publicRead).toMatchObject({ kind: "auth", breaking: false, widensAccess: true });
      expect(find(list, "POST /products", "role editor now also grants access")).toMatchObject({ breaking: false, widensAccess: true });
      // Exit codes: report only by default; non-zero with --fail-on breaking.
      expect((await yamac("diff", repo)).status).toBe(0);
      const failing = await yamac("diff", repo, "--fail-on", "breaking");
      expect(failing.status).toBe(1);
      expect(failing.stdout).toContain("BREAKING tags: table dropped");
      expect(failing.stdout).toContain("ACCESS   GET /products: became public");
      // The old config was only read: the working file is untouched.
      expect(readFileSync(join(repo, "yama.yaml"), "utf8")).toBe(V3);
    } finally {
      writeFileSync(join(repo, "yama.yaml"), V2);
    }
  });

  it("a route that loses a role or becomes protected breaks its clients", async () => {
    // V2 reads need admin or editor; the working config keeps admin only.
    writeFileSync(join(repo, "yama.yaml"), V2.replace("roles: [admin, editor]", "roles: [admin]"));
    try {
      const list = await changes();
      expect(find(list, "GET /products", "role editor no longer grants access")).toMatchObject({ kind: "auth", breaking: true });
      expect((await yamac("diff", repo, "--fail-on", "breaking")).status).toBe(1);
      // V3 (committed) reads Product publicly; protecting them again locks anonymous callers out.
      commit(V3, "v3");
      writeFileSync(join(repo, "yama.yaml"), V3.replace("      read:\n        auth: false", "      read:\n        auth:\n          roles: [admin]"));
      const protectedAgain = await changes();
      expect(find(protectedAgain, "GET /products/:id", "now requires role admin (was public): anonymous callers get 401")).toMatchObject({ kind: "auth", breaking: true });
      expect(find(protectedAgain, "GET /products/:id", "became public (was: requires role admin or editor)")).toBeUndefined();
    } finally {
      writeFileSync(join(repo, "yama.yaml"), V3);
    }
  });

  it("a config that did not exist at the ref is all new, and a folder outside git is an error", async () => {
    mkdirSync(join(repo, "service"));
    writeFileSync(join(repo, "service", "yama.yaml"), V1);
    const r = await yamac("diff", join(repo, "service"), "--fail-on", "breaking");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("yama.yaml did not exist at HEAD: everything is new");
    expect(r.stdout).toContain("GET /products: route added");
    const outside = mkdtempSync(join(tmpdir(), "yamac-nogit-"));
    try {
      writeFileSync(join(outside, "yama.yaml"), V1);
      const e = await yamac("diff", outside);
      expect(e.status).toBe(1);
      expect(e.stderr).toContain("is not in a git repository");
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it("rejects an unknown ref and a bad --fail-on", async () => {
    const bad = await yamac("diff", repo, "--against", "no-such-ref");
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(`unknown git ref "no-such-ref"`);
    expect((await yamac("diff", repo, "--fail-on", "sometimes")).status).toBe(2);
  });
});
