/**
 * Storage buckets in S3 or an S3-compatible service (MinIO, R2, …) through the AWS SDK
 * (`@betagors/yama-s3`). The client is made on first use, with bounded timeouts and one retry,
 * so an unreachable endpoint answers 503 STORAGE_UNAVAILABLE within seconds instead of hanging.
 * Credentials are the configured keys when both are set, else the AWS default chain
 * (environment, shared files, instance or task role).
 */
import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { ApiError } from "./errors.js";
import {
  bodyBytes, contentTypeOf, listLimit, objectUrl, type StorageBucket, type StoredObject, storageKey, storageMetadata, storageNotFound,
  storagePrefix, storageUnavailable, urlExpiry,
} from "./storage.js";

export interface S3ConnectionOptions {
  /** Default: AWS_REGION, else us-east-1. */
  region?: string;
  /** An S3-compatible endpoint (MinIO, R2); default AWS's. */
  endpoint?: string;
  /** Bucket in the path (`endpoint/bucket/key`) rather than the host name; MinIO needs it. */
  forcePathStyle: boolean;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Time to connect, and for a whole request, in ms. */
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  /** Tries per request, the first included. */
  maxAttempts: number;
}

/** One S3 connection, shared by the buckets that use it. */
export interface S3Connection {
  options: S3ConnectionOptions;
  client(): S3Client;
}

export interface S3BucketOptions {
  /** The bucket's name in yama.yaml (`ctx.storage.<name>`). */
  name: string;
  /** The S3 bucket. */
  bucket: string;
  /** Objects are readable by anyone: URLs are plain, not presigned. */
  public: boolean;
  /** Where a public bucket's objects are served from (a CDN, R2's public URL); default the endpoint's URL of the object. */
  publicUrl?: string;
}

export function s3Connection(options: S3ConnectionOptions): S3Connection {
  let client: S3Client | undefined;
  return {
    options,
    client() {
      client ??= new S3Client({
        region: options.region || process.env.AWS_REGION || "us-east-1",
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        forcePathStyle: options.forcePathStyle,
        ...(options.accessKeyId && options.secretAccessKey ? { credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } } : {}),
        maxAttempts: options.maxAttempts,
        requestHandler: { connectionTimeout: options.connectTimeoutMs, requestTimeout: options.requestTimeoutMs, throwOnRequestTimeout: true },
      });
      return client;
    },
  };
}

interface SdkError {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

/** Whether an error comes from S3 or from reaching it (not from a bug of the caller's). */
const fromStorage = (err: SdkError): boolean =>
  err.$metadata !== undefined || typeof err.code === "string" || ["TimeoutError", "CredentialsProviderError", "AbortError"].includes(err.name ?? "");

/** The object's URL when its bucket is public. */
function publicUrlOf(connection: S3Connection, options: S3BucketOptions, key: string): string {
  if (options.publicUrl) return objectUrl(options.publicUrl, key);
  const { endpoint, forcePathStyle } = connection.options;
  const region = connection.options.region || process.env.AWS_REGION || "us-east-1";
  if (!endpoint) return objectUrl(`https://${options.bucket}.s3.${region}.amazonaws.com`, key);
  if (forcePathStyle) return objectUrl(`${endpoint.replace(/\/+$/, "")}/${encodeURIComponent(options.bucket)}`, key);
  const url = new URL(endpoint);
  return objectUrl(`${url.protocol}//${options.bucket}.${url.host}${url.pathname}`, key);
}

export function s3Bucket(connection: S3Connection, options: S3BucketOptions): StorageBucket {
  const { name, bucket } = options;
  /** An SDK error as the request's error: a missing object (when `key` names one) is a 404, the rest a 503. */
  const failure = (err: unknown, key?: string): unknown => {
    if (err instanceof ApiError || typeof err !== "object" || err === null) return err;
    const e = err as SdkError;
    if (!fromStorage(e)) return err;
    const status = e.$metadata?.httpStatusCode;
    if (key !== undefined && e.name !== "NoSuchBucket" && (e.name === "NoSuchKey" || e.name === "NotFound" || status === 404)) return storageNotFound(name, key);
    // A HEAD answer has no body to name the error: its status says it.
    const named = e.name !== undefined && !["Error", "Unknown"].includes(e.name) && !/^\d+$/.test(e.name) ? e.name : undefined;
    const reason = named ?? e.code ?? (status === 401 || status === 403 ? "access denied" : "the request failed");
    return storageUnavailable(name, status !== undefined ? `${reason} (HTTP ${status})` : reason);
  };
  const send = async <T>(run: (client: S3Client) => Promise<T>, key?: string): Promise<T> => {
    try {
      return await run(connection.client());
    } catch (err) {
      throw failure(err, key);
    }
  };
  const stored = (key: string, size: number, contentType: string): StoredObject =>
    options.public ? { key, size, contentType, url: publicUrlOf(connection, options, key) } : { key, size, contentType };
  const head = (key: string) => send((s3) => s3.send(new HeadObjectCommand({ Bucket: bucket, Key: storageKey(key) })), key);

  return {
    name,
    async upload(key, body, upload) {
      storageKey(key);
      const contentType = contentTypeOf(key, body, upload?.contentType);
      const metadata = storageMetadata(upload?.metadata);
      const bytes = await bodyBytes(body);
      await send((s3) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes, ContentType: contentType, Metadata: metadata })));
      return stored(key, bytes.length, contentType);
    },
    async download(key) {
      storageKey(key);
      return send(async (s3) => {
        const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        const body = object.Body ? await object.Body.transformToByteArray() : new Uint8Array();
        return { body, size: body.length, contentType: object.ContentType ?? "application/octet-stream", metadata: object.Metadata ?? {} };
      }, key);
    },
    async delete(key) {
      storageKey(key);
      await send((s3) => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));
    },
    async exists(key) {
      try {
        await head(key);
        return true;
      } catch (err) {
        if (err instanceof ApiError && err.code === "STORAGE_NOT_FOUND") return false;
        throw err;
      }
    },
    async getUrl(key, expiresIn) {
      storageKey(key);
      const seconds = urlExpiry(expiresIn);
      if (options.public) return publicUrlOf(connection, options, key);
      return send((s3) => getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: seconds }));
    },
    async list(prefix, listing) {
      const start = storagePrefix(prefix);
      const limit = listLimit(listing);
      const page = await send((s3) =>
        s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: limit, ...(start ? { Prefix: start } : {}), ...(listing?.cursor ? { ContinuationToken: listing.cursor } : {}) })),
      );
      const objects = (page.Contents ?? []).map((o) => ({ key: o.Key ?? "", size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) }));
      return page.IsTruncated && page.NextContinuationToken ? { objects, cursor: page.NextContinuationToken } : { objects };
    },
    async getMetadata(key) {
      const info = await head(key);
      return { key, size: info.ContentLength ?? 0, contentType: info.ContentType ?? "application/octet-stream", lastModified: info.LastModified ?? new Date(0), metadata: info.Metadata ?? {} };
    },
    async copy(from, to) {
      storageKey(from);
      storageKey(to);
      const source = `${bucket}/${from.split("/").map(encodeURIComponent).join("/")}`;
      await send((s3) => s3.send(new CopyObjectCommand({ Bucket: bucket, Key: to, CopySource: source, MetadataDirective: "COPY" })), from);
      const info = await head(to);
      return stored(to, info.ContentLength ?? 0, info.ContentType ?? "application/octet-stream");
    },
  };
}
