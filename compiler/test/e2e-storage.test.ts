/**
 * `ctx.storage` from the two storage plugins: `@betagors/yama-fs` on the real disk (files under
 * the project's .yama/storage, served under /files) and `@betagors/yama-s3` against an
 * S3-compatible server on 127.0.0.1 that checks every signature (fake-s3.ts). The same handlers
 * upload, download, list, copy and delete through both; bad keys are 400s, missing objects 404s,
 * S3 that refuses or cannot be reached a 503, all in the error envelope. Bucket names type
 * `ctx.storage`: a misspelt one fails tsc.
 */
import { existsSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileText } from "../index.js";
import { FakeS3 } from "./fake-s3.js";
import { call, createDatabase, freePort, prepareProjectFromText, removeProject, type RunningServer, serveConfig, startServer, typeErrors, typeErrorsWith } from "./harness.js";

/** Endpoints that call each StorageBucket method of `ctx.storage.<bucket>`. */
const ENDPOINTS = `endpoints:
  - { path: /objects, method: POST, auth: false, handler: handlers/upload.ts, body: { fields: { key: string!, text: string!, contentType: string, owner: string } } }
  - { path: /object, method: GET, auth: false, handler: handlers/download.ts, query: { key: string! } }
  - { path: /object, method: DELETE, auth: false, handler: handlers/remove.ts, query: { key: string! } }
  - { path: /exists, method: GET, auth: false, handler: handlers/exists.ts, query: { key: string! } }
  - { path: /info, method: GET, auth: false, handler: handlers/info.ts, query: { key: string! } }
  - { path: /url, method: GET, auth: false, handler: handlers/url.ts, query: { key: string!, expiresIn: integer } }
  - { path: /list, method: GET, auth: false, handler: handlers/list.ts, query: { prefix: string, limit: integer, cursor: string } }
  - { path: /copy, method: POST, auth: false, handler: handlers/copy.ts, body: { fields: { from: string!, to: string! } } }
`;

function handlers(bucket: string): Record<string, string> {
  const handler = (name: string, body: string) => [
    `handlers/${name}.ts`,
    `import type { ${name[0]!.toUpperCase()}${name.slice(1)}Context as Context } from "../src/endpoints/${name}.js";\n\nexport default async function ${name}(ctx: Context) {\n${body}\n}\n`,
  ];
  return Object.fromEntries([
    handler("upload", `  const metadata = ctx.body.owner ? { owner: ctx.body.owner } : undefined;\n  return ctx.storage.${bucket}.upload(ctx.body.key, ctx.body.text, { contentType: ctx.body.contentType ?? undefined, metadata });`),
    handler("download", `  const object = await ctx.storage.${bucket}.download(ctx.query.key);\n  return { text: new TextDecoder().decode(object.body), contentType: object.contentType, size: object.size, metadata: object.metadata };`),
    handler("remove", `  await ctx.storage.${bucket}.delete(ctx.query.key);`),
    handler("exists", `  return { exists: await ctx.storage.${bucket}.exists(ctx.query.key) };`),
    handler("info", `  const info = await ctx.storage.${bucket}.getMetadata(ctx.query.key);\n  return { ...info, lastModified: info.lastModified.toISOString() };`),
    handler("url", `  return { url: await ctx.storage.${bucket}.getUrl(ctx.query.key, ctx.query.expiresIn) };`),
    handler("list", `  const page = await ctx.storage.${bucket}.list(ctx.query.prefix, { limit: ctx.query.limit, cursor: ctx.query.cursor });\n  return { keys: page.objects.map((o) => o.key), sizes: page.objects.map((o) => o.size), cursor: page.cursor ?? null };`),
    handler("copy", `  return ctx.storage.${bucket}.copy(ctx.body.from, ctx.body.to);`),
  ]);
}

interface ErrorReply {
  error: { code: string; message: string };
}
const errorOf = (body: unknown) => (body as ErrorReply).error;

/** A GET with the path sent exactly as written (fetch would normalise `..`). */
function rawGet(base: string, path: string): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: "GET" }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** The behaviour both plugins share, through the handlers above. */
function sharedBehaviour(server: () => RunningServer) {
  it("uploads, downloads, reads metadata, checks existence, copies, lists and deletes", async () => {
    const base = server().base;
    const up = await call(base, "POST", "/objects", { key: "docs/readme.txt", text: "hello storage", owner: "ann" });
    expect(up.status, up.text).toBe(201);
    expect(up.body).toMatchObject({ key: "docs/readme.txt", size: 13, contentType: "text/plain; charset=utf-8" });
    const json = await call(base, "POST", "/objects", { key: "docs/data", text: "{}", contentType: "application/json" });
    expect(json.body).toMatchObject({ key: "docs/data", size: 2, contentType: "application/json" });

    const down = await call(base, "GET", "/object?key=docs/readme.txt");
    expect(down.status, down.text).toBe(200);
    expect(down.body).toEqual({ text: "hello storage", contentType: "text/plain; charset=utf-8", size: 13, metadata: { owner: "ann" } });

    const info = await call(base, "GET", "/info?key=docs/readme.txt");
    expect(info.body).toMatchObject({ key: "docs/readme.txt", size: 13, contentType: "text/plain; charset=utf-8", metadata: { owner: "ann" } });
    expect(Date.now() - Date.parse((info.body as { lastModified: string }).lastModified)).toBeLessThan(60_000);

    expect((await call(base, "GET", "/exists?key=docs/readme.txt")).body).toEqual({ exists: true });
    expect((await call(base, "GET", "/exists?key=docs/nothing.txt")).body).toEqual({ exists: false });

    const copied = await call(base, "POST", "/copy", { from: "docs/readme.txt", to: "archive/readme copy.txt" });
    expect(copied.status, copied.text).toBe(201);
    expect(copied.body).toMatchObject({ key: "archive/readme copy.txt", size: 13, contentType: "text/plain; charset=utf-8" });
    expect((await call(base, "GET", `/object?key=${encodeURIComponent("archive/readme copy.txt")}`)).body).toMatchObject({ text: "hello storage", metadata: { owner: "ann" } });

    const all = await call(base, "GET", "/list");
    expect(all.body).toEqual({ keys: ["archive/readme copy.txt", "docs/data", "docs/readme.txt"], sizes: [13, 2, 13], cursor: null });
    expect((await call(base, "GET", "/list?prefix=docs/")).body).toMatchObject({ keys: ["docs/data", "docs/readme.txt"] });
    const first = await call(base, "GET", "/list?limit=2");
    expect(first.body).toMatchObject({ keys: ["archive/readme copy.txt", "docs/data"], cursor: expect.any(String) });
    const second = await call(base, "GET", `/list?limit=2&cursor=${encodeURIComponent((first.body as { cursor: string }).cursor)}`);
    expect(second.body).toEqual({ keys: ["docs/readme.txt"], sizes: [13], cursor: null });

    const removed = await call(base, "DELETE", "/object?key=docs/data");
    expect(removed.status, removed.text).toBe(204);
    expect((await call(base, "GET", "/exists?key=docs/data")).body).toEqual({ exists: false });
    expect((await call(base, "DELETE", "/object?key=docs/data")).status).toBe(204);
  });

  it("a missing object is a 404 STORAGE_NOT_FOUND in the error envelope", async () => {
    for (const path of ["/object?key=nope.txt", "/info?key=nope.txt"]) {
      const res = await call(server().base, "GET", path);
      expect(res.status, res.text).toBe(404);
      expect(res.body).toMatchObject({ error: { code: "STORAGE_NOT_FOUND", requestId: expect.any(String) } });
    }
    const copy = await call(server().base, "POST", "/copy", { from: "nope.txt", to: "other.txt" });
    expect(copy.status, copy.text).toBe(404);
  });

  it("rejects keys that would leave the bucket with a 400 STORAGE_INVALID_KEY", async () => {
    for (const key of ["../escape.txt", "docs/../../escape.txt", "/etc/passwd", "a\u0000b", "a\\..\\b", "a//b", "./a", "docs/"]) {
      const res = await call(server().base, "POST", "/objects", { key, text: "x" });
      expect(res.status, `${JSON.stringify(key)}: ${res.text}`).toBe(400);
      expect(errorOf(res.body).code).toBe("STORAGE_INVALID_KEY");
    }
    for (const path of ["/object?key=..%2Fyama.yaml", "/exists?key=..", "/list?prefix=../", "/url?key=%2Fetc%2Fpasswd"]) {
      const res = await call(server().base, "GET", path);
      expect(res.status, `${path}: ${res.text}`).toBe(400);
      expect(errorOf(res.body).code).toBe("STORAGE_INVALID_KEY");
    }
    const copy = await call(server().base, "POST", "/copy", { from: "../yama.yaml", to: "stolen.yaml" });
    expect(copy.status).toBe(400);
  });
}

describe("@betagors/yama-fs: ctx.storage.default on the disk", () => {
  const CONFIG = `name: files
plugins:
  "@betagors/yama-fs":
    baseUrl: /files
${ENDPOINTS}`;
  const served = serveConfig("storage-fs", CONFIG, {}, handlers("default"));

  sharedBehaviour(() => served.server);

  it("keeps objects as files under .yama/storage of the project, nothing outside it", async () => {
    await call(served.server.base, "POST", "/objects", { key: "disk/check.txt", text: "on disk", owner: "bo" });
    expect(readFileSync(join(served.dir, ".yama/storage/disk/check.txt"), "utf8")).toBe("on disk");
    expect(JSON.parse(readFileSync(join(served.dir, ".yama/storage/.storage-meta/disk/check.txt.json"), "utf8"))).toEqual({ contentType: "text/plain; charset=utf-8", metadata: { owner: "bo" } });
    expect(existsSync(join(served.dir, ".yama/escape.txt")) || existsSync(join(served.dir, "escape.txt"))).toBe(false);
    const reserved = await call(served.server.base, "POST", "/objects", { key: ".storage-meta/x.json", text: "{}" });
    expect(reserved.status).toBe(400);
  });

  it("serves files under baseUrl with their content type; getUrl points there", async () => {
    await call(served.server.base, "POST", "/objects", { key: "pub/hello world.html", text: "<b>hi</b>" });
    const url = await call(served.server.base, "GET", `/url?key=${encodeURIComponent("pub/hello world.html")}`);
    expect(url.body).toEqual({ url: "/files/pub/hello%20world.html" });
    const res = await fetch(`${served.server.base}/files/pub/hello%20world.html`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("<b>hi</b>");
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-security-policy")).toContain("sandbox");

    const missing = await call(served.server.base, "GET", "/files/pub/none.txt");
    expect(missing.status).toBe(404);
    expect(errorOf(missing.body).code).toBe("STORAGE_NOT_FOUND");
    const meta = await call(served.server.base, "GET", "/files/.storage-meta/pub/hello%20world.html.json");
    expect(meta.status).toBe(400);
    const encoded = await call(served.server.base, "GET", "/files/a%2F..%2F..%2Fyama.yaml");
    expect(encoded.status).toBe(400);
    expect(errorOf(encoded.body).code).toBe("STORAGE_INVALID_KEY");
    // Dot segments, plain or encoded, are resolved by URL parsing before routing: never a file outside the bucket.
    for (const path of ["/files/../../yama.yaml", "/files/%2e%2e/%2e%2e/yama.yaml"]) {
      const raw = await rawGet(served.server.base, path);
      expect(raw.status, path).not.toBe(200);
      expect(raw.text).not.toContain("@betagors/yama-fs");
    }
  });

  it("types ctx.storage: the project passes tsc --strict, and a bucket yama.yaml does not declare fails it", () => {
    expect(typeErrors(served.dir)).toBe("");
    const upload = readFileSync(join(served.dir, "handlers/upload.ts"), "utf8");
    expect(typeErrorsWith(served.dir, "handlers/upload.ts", upload.replace("ctx.storage.default", "ctx.storage.defualt"))).toMatch(/handlers\/upload\.ts.*defualt/s);
  }, 120_000);
});

describe("@betagors/yama-s3: ctx.storage.<bucket> in S3-compatible storage", () => {
  const CONFIG = `name: objects
plugins:
  "@betagors/yama-s3":
    region: us-east-1
    endpoint: \${S3_ENDPOINT}
    forcePathStyle: true
    accessKeyId: \${S3_ACCESS_KEY_ID}
    secretAccessKey: \${S3_SECRET_ACCESS_KEY}
    connectTimeoutMs: 500
    timeoutMs: 2000
    buckets:
      files: { name: private-files }
      images: { name: public-images, public: true }
${ENDPOINTS}  - { path: /avatar, method: POST, auth: false, handler: handlers/avatar.ts }
`;
  const FILES = {
    ...handlers("files"),
    "handlers/avatar.ts": `import type { AvatarContext } from "../src/endpoints/avatar.js";

export default async function avatar(ctx: AvatarContext) {
  const stored = await ctx.storage.images.upload("avatars/ann.png", new Blob([new Uint8Array([137, 80, 78, 71])]));
  return { ...stored, url: await ctx.storage.images.getUrl(stored.key) };
}
`,
  };
  const s3 = new FakeS3("AKIATESTKEY", "test-secret-key", ["private-files", "public-images"]);
  let dir = "";
  let server: RunningServer | undefined;
  let refused: RunningServer | undefined;
  let unreachable: RunningServer | undefined;
  let db: Awaited<ReturnType<typeof createDatabase>> | undefined;

  beforeAll(async () => {
    await s3.start();
    dir = await prepareProjectFromText("storage-s3", CONFIG, FILES);
    db = await createDatabase("yamac_storage_s3");
    const env = { DATABASE_URL: db.url, S3_ENDPOINT: s3.endpoint, S3_ACCESS_KEY_ID: s3.accessKeyId, S3_SECRET_ACCESS_KEY: s3.secretAccessKey };
    server = await startServer(dir, env);
    refused = await startServer(dir, { ...env, S3_SECRET_ACCESS_KEY: "wrong-secret" });
    // A port nothing listens on: connections are refused at once.
    unreachable = await startServer(dir, { ...env, S3_ENDPOINT: `http://127.0.0.1:${await freePort()}` });
  }, 120_000);
  afterAll(async () => {
    await Promise.all([server?.stop(), refused?.stop(), unreachable?.stop()]);
    await db?.drop();
    await s3.stop();
    removeProject(dir);
  });

  sharedBehaviour(() => server!);

  it("keeps objects in the configured S3 bucket, with the content type and metadata", async () => {
    await call(server!.base, "POST", "/objects", { key: "s3/check.txt", text: "in s3", owner: "bo" });
    const object = s3.buckets.get("private-files")!.get("s3/check.txt")!;
    expect(object.body.toString()).toBe("in s3");
    expect(object).toMatchObject({ contentType: "text/plain; charset=utf-8", metadata: { owner: "bo" } });
  });

  it("a private bucket's getUrl is a presigned URL that fetches the object; a tampered or expired one is refused", async () => {
    await call(server!.base, "POST", "/objects", { key: "reports/q1 2026.txt", text: "quarterly" });
    const res = await call(server!.base, "GET", `/url?key=${encodeURIComponent("reports/q1 2026.txt")}&expiresIn=60`);
    const url = (res.body as { url: string }).url;
    expect(url).toMatch(new RegExp(`^${s3.endpoint}/private-files/reports/q1%202026\\.txt\\?.*X-Amz-Expires=60.*X-Amz-Signature=`));
    const got = await fetch(url);
    expect(got.status).toBe(200);
    expect(await got.text()).toBe("quarterly");
    expect((await fetch(url.replace("q1%202026", "q2%202026"))).status).toBe(403);
    const tooLong = await call(server!.base, "GET", "/url?key=a.txt&expiresIn=999999");
    expect(tooLong.status).toBe(400);
  });

  it("a public bucket gives plain URLs; a Blob's bytes and the key's content type are stored", async () => {
    const res = await call(server!.base, "POST", "/avatar");
    expect(res.status, res.text).toBe(201);
    expect(res.body).toEqual({ key: "avatars/ann.png", size: 4, contentType: "image/png", url: `${s3.endpoint}/public-images/avatars/ann.png` });
    expect([...s3.buckets.get("public-images")!.get("avatars/ann.png")!.body]).toEqual([137, 80, 78, 71]);
  });

  it("S3 refusing the credentials, or not reachable, is a 503 STORAGE_UNAVAILABLE, quickly", async () => {
    for (const target of [refused!, unreachable!]) {
      const started = Date.now();
      for (const [method, path, body] of [["GET", "/object?key=docs/readme.txt"], ["GET", "/exists?key=x"], ["POST", "/objects", { key: "x.txt", text: "x" }]] as const) {
        const res = await call(target.base, method, path, body);
        expect(res.status, res.text).toBe(503);
        expect(res.body).toMatchObject({ error: { code: "STORAGE_UNAVAILABLE", requestId: expect.any(String) } });
        expect(errorOf(res.body).message).not.toContain("wrong-secret");
      }
      expect(Date.now() - started).toBeLessThan(10_000);
    }
    expect(errorOf((await call(refused!.base, "GET", "/object?key=x")).body).message).toBe("Storage bucket files is unavailable: SignatureDoesNotMatch (HTTP 403)");
    expect(errorOf((await call(refused!.base, "GET", "/exists?key=x")).body).message).toBe("Storage bucket files is unavailable: access denied (HTTP 403)");
    expect(errorOf((await call(unreachable!.base, "GET", "/exists?key=x")).body).message).toContain("ECONNREFUSED");
  });

  it("types ctx.storage by bucket name: the project passes tsc --strict, a misspelt bucket fails it", () => {
    expect(typeErrors(dir)).toBe("");
    expect(typeErrorsWith(dir, "handlers/avatar.ts", FILES["handlers/avatar.ts"].replace("ctx.storage.images.upload", "ctx.storage.image.upload"))).toMatch(/handlers\/avatar\.ts.*'image'/s);
  }, 120_000);

  it("the emitted package.json depends on the AWS SDK", () => {
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies)).toEqual(expect.arrayContaining(["@aws-sdk/client-s3", "@aws-sdk/s3-request-presigner"]));
  });
});

describe("storage plugin diagnostics", () => {
  const compile = (plugin: string, lines: string[], extra: string[] = []) => compileText(["name: t", "plugins:", `  "${plugin}":`, ...lines, ...extra].join("\n") + "\n");
  const errors = (plugin: string, lines: string[], extra: string[] = []) =>
    compile(plugin, lines, extra)
      .diagnostics.filter((d) => d.severity === "error")
      .map((d) => [d.code, `${d.location.line}:${d.location.col}`]);

  it("S3 credentials written into the config are secret-in-config errors at their line; one key without the other is an error", () => {
    expect(errors("@betagors/yama-s3", ["    accessKeyId: AKIAEXAMPLE", "    secretAccessKey: abc/def", "    buckets: { files: my-files }"])).toEqual([
      ["secret-in-config", "4:18"],
      ["secret-in-config", "5:22"],
    ]);
    expect(compile("@betagors/yama-s3", ["    secretAccessKey: abc", "    buckets: { files: my-files }"]).diagnostics.find((d) => d.code === "secret-in-config")!.hint).toContain("${S3_SECRET_ACCESS_KEY}");
    expect(errors("@betagors/yama-s3", ["    accessKeyId: ${S3_ACCESS_KEY_ID}", "    buckets: { files: my-files }"])).toEqual([["bad-plugin-option", "4:5"]]);
    expect(errors("@betagors/yama-s3", ["    buckets: { files: my-files }"])).toEqual([]);
  });

  it("bucket names must be identifiers (ctx.storage.<name>), S3 names valid, and at least one bucket given", () => {
    const bad = compile("@betagors/yama-s3", ["    buckets:", "      user-files: { name: user-files }", "      ok: ${OK_BUCKET}"]);
    expect(bad.diagnostics.map((d) => [d.code, d.location.line, d.hint])).toEqual([["bad-bucket-name", 5, "name it e.g. userFiles (the S3 bucket's own name goes in `name:`)"]]);
    expect(errors("@betagors/yama-s3", ["    buckets:", "      files: { name: My_Bucket }"])).toEqual([["bad-plugin-option", "5:22"]]);
    expect(errors("@betagors/yama-s3", ["    buckets: {}"])).toEqual([["bad-plugin-option", "4:14"]]);
    expect(errors("@betagors/yama-s3", ["    endpoint: localhost:9000", "    buckets: { files: f-1 }"])).toEqual([["bad-plugin-option", "4:15"]]);
  });

  it("unknown options say which was meant; options may sit under config:", () => {
    const typo = compile("@betagors/yama-s3", ["    forcePathstyle: true", "    buckets: { files: f-1 }"]).diagnostics;
    expect(typo.map((d) => [d.code, d.location.line, d.hint])).toEqual([["unknown-key", 4, 'did you mean "forcePathStyle"?']]);
    expect(errors("@betagors/yama-fs", ["    config: { basePath: ./uploads, baseUrl: /uploads }"])).toEqual([]);
    expect(errors("@betagors/yama-fs", ["    baseUrl: /files/../x"])).toEqual([["bad-plugin-option", "4:14"]]);
    expect(errors("@betagors/yama-fs", ["    baseUrl: files"])).toEqual([["bad-plugin-option", "4:14"]]);
    expect(compile("@betagors/yama-fs", ["    basePath: ../shared"]).diagnostics.map((d) => d.code)).toEqual(["storage-outside-project"]);
  });

  it("one storage plugin per config", () => {
    expect(errors("@betagors/yama-fs", ["    baseUrl: /files", '  "@betagors/yama-s3":', "    buckets: { files: f-1 }"])).toEqual([["duplicate-storage", "5:3"]]);
  });

  it("fs storage cannot run on Workers or serverless functions; S3 runs on serverless functions but not on Workers", () => {
    const targets = (t: string) => ["deployment:", `  targets: [${t}]`, "docs: false"];
    expect(errors("@betagors/yama-fs", ["    baseUrl: /files"], targets("workers"))).toEqual([["target-node-only", "3:3"]]);
    expect(errors("@betagors/yama-fs", ["    baseUrl: /files"], targets("lambda"))).toEqual([["target-fs-storage", "3:3"]]);
    expect(errors("@betagors/yama-fs", ["    baseUrl: /files"], targets("docker"))).toEqual([]);
    expect(errors("@betagors/yama-s3", ["    buckets: { files: f-1 }"], targets("lambda"))).toEqual([]);
    expect(errors("@betagors/yama-s3", ["    buckets: { files: f-1 }"], targets("workers"))).toEqual([["target-node-only", "3:3"]]);
  });

  it("the plugins are compiled, not ignored: no not-yet-compiled warning, and no AWS SDK without S3", () => {
    const fs = compile("@betagors/yama-fs", ["    baseUrl: /files"]);
    expect(fs.diagnostics).toEqual([]);
    expect(fs.files!.map((f) => f.path)).toEqual(expect.arrayContaining(["src/plugins/storage.ts", "src/lib/storage.ts", "src/lib/storage-fs.ts"]));
    expect(fs.files!.map((f) => f.path)).not.toContain("src/lib/storage-s3.ts");
    expect(fs.files!.find((f) => f.path === "package.json")!.content).not.toContain("@aws-sdk");
  });
});
