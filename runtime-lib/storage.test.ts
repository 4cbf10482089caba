/**
 * The storage pieces without a server: which keys are accepted, the fs bucket on a temporary
 * folder (atomic writes, folders that clash with keys, listing pages), and the S3 bucket's bounded
 * wait on an endpoint that accepts connections and never answers.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError } from "./errors.js";
import { contentTypeOf, storageKey, storageMetadata } from "./storage.js";
import { fsBucket } from "./storage-fs.js";
import { s3Bucket, s3Connection } from "./storage-s3.js";

const codeOf = async (run: () => Promise<unknown>): Promise<string> => {
  try {
    await run();
  } catch (err) {
    if (err instanceof ApiError) return `${err.status} ${err.code}`;
    throw err;
  }
  return "no error";
};

describe("storage keys", () => {
  it("accepts relative keys of plain segments", () => {
    for (const key of ["a.txt", "avatars/ann.png", "deep/er/still.json", "with space/é.txt", ".hidden", "a..b", "..."]) expect(storageKey(key)).toBe(key);
  });

  it("rejects keys that are empty, absolute, climb out, or carry control characters or backslashes", () => {
    for (const key of ["", "/abs", "..", "../x", "a/../../x", "a/./b", "a//b", "a/", "a\u0000b", "a\nb", "a\\b", "x".repeat(1025)]) {
      expect(() => storageKey(key), JSON.stringify(key)).toThrowError(expect.objectContaining({ status: 400, code: "STORAGE_INVALID_KEY" }));
    }
    expect(() => storageKey(".storage-meta/x", ".storage-meta")).toThrowError(/reserved/);
  });

  it("metadata names are kept lower-case and values must be printable ASCII", () => {
    expect(storageMetadata({ Owner: "ann", "x-Tag_1": "a b" })).toEqual({ owner: "ann", "x-tag_1": "a b" });
    expect(() => storageMetadata({ "bad name": "x" })).toThrowError(expect.objectContaining({ code: "STORAGE_INVALID_METADATA" }));
    expect(() => storageMetadata({ owner: "Zoë" })).toThrowError(expect.objectContaining({ code: "STORAGE_INVALID_METADATA" }));
  });

  it("content types come from the option, the extension, a Blob, else octet-stream", () => {
    expect(contentTypeOf("a.png", "", "image/webp")).toBe("image/webp");
    expect(contentTypeOf("a.PNG", "", undefined)).toBe("image/png");
    expect(contentTypeOf("a", new Blob(["x"], { type: "text/csv" }), undefined)).toBe("text/csv");
    expect(contentTypeOf("a.bin", new Uint8Array(), undefined)).toBe("application/octet-stream");
  });
});

describe("fsBucket", () => {
  let base = "";
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), "yama-storage-"));
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it("stores streams and bytes, replaces objects, and leaves no temporary files in listings", async () => {
    const bucket = fsBucket({ name: "default", basePath: base });
    const stream = new Blob(["streamed ", "text"]).stream();
    expect(await bucket.upload("s/one.txt", stream)).toEqual({ key: "s/one.txt", size: 13, contentType: "text/plain; charset=utf-8" });
    await bucket.upload("s/one.txt", new Uint8Array([1, 2]), { contentType: "application/x-test" });
    expect(await bucket.download("s/one.txt")).toEqual({ body: new Uint8Array([1, 2]), size: 2, contentType: "application/x-test", metadata: {} });
    expect((await bucket.list()).objects.map((o) => o.key)).toEqual(["s/one.txt"]);
  });

  it("a key below an object is a 409, a key that is a folder is not found", async () => {
    const bucket = fsBucket({ name: "default", basePath: base });
    await bucket.upload("file", "x");
    expect(await codeOf(() => bucket.upload("file/inner", "y"))).toBe("409 STORAGE_KEY_CONFLICT");
    expect(await codeOf(() => bucket.download("file/inner"))).toBe("404 STORAGE_NOT_FOUND");
    expect(await codeOf(() => bucket.download("s"))).toBe("404 STORAGE_NOT_FOUND");
    expect(await bucket.exists("s")).toBe(false);
    expect(await codeOf(() => bucket.upload("s", "z"))).toBe("409 STORAGE_KEY_CONFLICT");
  });

  it("files put there by other means are objects too; getUrl without baseUrl is a 501", async () => {
    const bucket = fsBucket({ name: "default", basePath: base });
    writeFileSync(join(base, "outside.json"), "{}");
    expect(await bucket.getMetadata("outside.json")).toMatchObject({ size: 2, contentType: "application/json", metadata: {} });
    expect(await codeOf(() => bucket.getUrl("outside.json"))).toBe("501 STORAGE_NO_URL");
    expect(await fsBucket({ name: "default", basePath: base, baseUrl: "https://cdn.test/f/" }).getUrl("a b/c.txt")).toBe("https://cdn.test/f/a%20b/c.txt");
  });

  it("bad list options are 400s", async () => {
    const bucket = fsBucket({ name: "default", basePath: base });
    expect(await codeOf(() => bucket.list("", { limit: 0 }))).toBe("400 STORAGE_INVALID_OPTION");
    expect(await codeOf(() => bucket.list("../"))).toBe("400 STORAGE_INVALID_KEY");
  });
});

describe("s3Bucket on an endpoint that never answers", () => {
  let silent: Server;
  const sockets: Socket[] = [];
  let port = 0;
  beforeAll(async () => {
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    port = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it("gives up after its timeout and tries: a 503, not a hang", async () => {
    const connection = s3Connection({ endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, accessKeyId: "k", secretAccessKey: "s", connectTimeoutMs: 200, requestTimeoutMs: 300, maxAttempts: 2 });
    const bucket = s3Bucket(connection, { name: "files", bucket: "b-1", public: false });
    const started = Date.now();
    expect(await codeOf(() => bucket.download("a.txt"))).toBe("503 STORAGE_UNAVAILABLE");
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
