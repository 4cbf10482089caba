/**
 * A small S3-compatible server on 127.0.0.1 for the storage tests: path-style PutObject,
 * GetObject, HeadObject, DeleteObject, CopyObject and ListObjectsV2 over objects kept in memory,
 * with Signature Version 4 checked on every request (Authorization header or presigned query),
 * so a wrong key or a tampered presigned URL is refused as S3 refuses it.
 */
import { createHash, createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

interface StoredObject {
  body: Buffer;
  contentType: string;
  metadata: Record<string, string>;
  lastModified: Date;
  etag: string;
}

const xml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest();
/** RFC 3986 encoding, as SigV4 canonical query strings use it. */
const uriEncode = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export class FakeS3 {
  server!: Server;
  endpoint = "";
  readonly buckets = new Map<string, Map<string, StoredObject>>();
  /** Every request, as `METHOD path?query`. */
  readonly requests: string[] = [];

  constructor(
    readonly accessKeyId: string,
    readonly secretAccessKey: string,
    bucketNames: readonly string[],
  ) {
    for (const name of bucketNames) this.buckets.set(name, new Map());
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => this.handle(req, Buffer.concat(chunks), res));
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private error(res: ServerResponse, status: number, code: string, head = false): void {
    res.writeHead(status, { "content-type": "application/xml" });
    res.end(head ? undefined : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${code}</Message></Error>`);
  }

  /** Checks the request's SigV4 signature (header or presigned query); the reason it fails, or undefined. */
  private signatureProblem(req: IncomingMessage, url: URL, body: Buffer): string | undefined {
    const query = url.searchParams;
    const presigned = query.has("X-Amz-Signature");
    let credential: string;
    let signedHeaders: string[];
    let signature: string;
    let amzDate: string;
    let payloadHash: string;
    if (presigned) {
      credential = query.get("X-Amz-Credential") ?? "";
      signedHeaders = (query.get("X-Amz-SignedHeaders") ?? "").split(";");
      signature = query.get("X-Amz-Signature") ?? "";
      amzDate = query.get("X-Amz-Date") ?? "";
      payloadHash = "UNSIGNED-PAYLOAD";
      const expires = Number(query.get("X-Amz-Expires"));
      const signedAt = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, "$1-$2-$3T$4:$5:$6Z"));
      if (!(signedAt + expires * 1000 > Date.now())) return "AccessDenied";
    } else {
      const m = /^AWS4-HMAC-SHA256 Credential=([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]+)$/.exec(req.headers.authorization ?? "");
      if (!m) return "AccessDenied";
      [credential, signedHeaders, signature] = [m[1]!, m[2]!.split(";"), m[3]!];
      amzDate = String(req.headers["x-amz-date"] ?? "");
      payloadHash = String(req.headers["x-amz-content-sha256"] ?? sha256(body));
      if (payloadHash !== "UNSIGNED-PAYLOAD" && payloadHash !== sha256(body)) return "XAmzContentSHA256Mismatch";
    }
    const [accessKeyId, date, region, service] = credential.split("/");
    if (accessKeyId !== this.accessKeyId) return "InvalidAccessKeyId";
    const canonicalQuery = [...query.entries()]
      .filter(([k]) => k !== "X-Amz-Signature")
      .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
      .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`)
      .join("&");
    const headerValue = (name: string) => String(req.headers[name] ?? "").trim().replace(/\s+/g, " ");
    const canonical = [req.method, url.pathname, canonicalQuery, ...signedHeaders.map((h) => `${h}:${headerValue(h)}`), "", signedHeaders.join(";"), payloadHash].join("\n");
    const scope = `${date}/${region}/${service}/aws4_request`;
    const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonical)].join("\n");
    const key = hmac(hmac(hmac(hmac(`AWS4${this.secretAccessKey}`, date!), region!), service!), "aws4_request");
    return createHmac("sha256", key).update(toSign).digest("hex") === signature ? undefined : "SignatureDoesNotMatch";
  }

  private handle(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", this.endpoint);
    this.requests.push(`${req.method} ${url.pathname}${url.search}`);
    const head = req.method === "HEAD";
    const problem = this.signatureProblem(req, url, body);
    if (problem) return this.error(res, 403, problem, head);
    const [, bucketName = "", ...rest] = url.pathname.split("/");
    const objects = this.buckets.get(decodeURIComponent(bucketName));
    if (!objects) return this.error(res, 404, "NoSuchBucket", head);
    const key = rest.map(decodeURIComponent).join("/");
    if (key === "" && req.method === "GET" && url.searchParams.get("list-type") === "2") return this.list(objects, bucketName, url.searchParams, res);
    if (key === "") return this.error(res, 400, "InvalidRequest", head);
    if (req.method === "PUT") {
      const copySource = req.headers["x-amz-copy-source"];
      let stored: StoredObject;
      if (typeof copySource === "string") {
        const [fromBucket = "", ...fromKey] = decodeURIComponent(copySource.replace(/^\//, "")).split("/");
        const source = this.buckets.get(fromBucket)?.get(fromKey.join("/"));
        if (!source) return this.error(res, 404, "NoSuchKey");
        stored = { ...source, lastModified: new Date() };
      } else {
        const metadata: Record<string, string> = {};
        for (const [name, value] of Object.entries(req.headers)) if (name.startsWith("x-amz-meta-")) metadata[name.slice(11)] = String(value);
        stored = { body, contentType: String(req.headers["content-type"] ?? "binary/octet-stream"), metadata, lastModified: new Date(), etag: `"${createHash("md5").update(body).digest("hex")}"` };
      }
      objects.set(key, stored);
      res.writeHead(200, { etag: stored.etag, "content-type": "application/xml" });
      res.end(typeof copySource === "string" ? `<?xml version="1.0" encoding="UTF-8"?>\n<CopyObjectResult><LastModified>${stored.lastModified.toISOString()}</LastModified><ETag>${xml(stored.etag)}</ETag></CopyObjectResult>` : undefined);
      return;
    }
    if (req.method === "DELETE") {
      objects.delete(key);
      res.writeHead(204);
      res.end();
      return;
    }
    if (req.method === "GET" || head) {
      const stored = objects.get(key);
      if (!stored) return this.error(res, 404, "NoSuchKey", head);
      res.writeHead(200, {
        "content-type": stored.contentType,
        "content-length": String(stored.body.length),
        "last-modified": stored.lastModified.toUTCString(),
        etag: stored.etag,
        ...Object.fromEntries(Object.entries(stored.metadata).map(([k, v]) => [`x-amz-meta-${k}`, v])),
      });
      res.end(head ? undefined : stored.body);
      return;
    }
    this.error(res, 405, "MethodNotAllowed");
  }

  private list(objects: Map<string, StoredObject>, bucket: string, query: URLSearchParams, res: ServerResponse): void {
    const prefix = query.get("prefix") ?? "";
    const max = Number(query.get("max-keys") ?? 1000);
    const after = query.has("continuation-token") ? Buffer.from(query.get("continuation-token")!, "base64url").toString() : undefined;
    const keys = [...objects.keys()].filter((k) => k.startsWith(prefix) && (after === undefined || k > after)).sort();
    const page = keys.slice(0, max);
    const truncated = keys.length > max;
    const contents = page.map((k) => {
      const o = objects.get(k)!;
      return `<Contents><Key>${xml(k)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>${xml(o.etag)}</ETag><Size>${o.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
    });
    res.writeHead(200, { "content-type": "application/xml" });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xml(bucket)}</Name><Prefix>${xml(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${contents.join("")}${truncated ? `<NextContinuationToken>${Buffer.from(page.at(-1)!).toString("base64url")}</NextContinuationToken>` : ""}</ListBucketResult>`,
    );
  }
}
