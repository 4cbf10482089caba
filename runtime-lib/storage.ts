/**
 * File storage as `ctx.storage.<bucket>` in handlers: one StorageBucket interface, kept on the
 * local disk (storage-fs.ts) or in S3-compatible object storage (storage-s3.ts). Keys are checked
 * the same way for both, so a key that works in development works in production, and none can
 * reach outside its bucket. Errors are ApiErrors: a bad key is a 400, a missing object a 404,
 * storage that cannot be reached or refuses the request a 503.
 */
import { ApiError, NotFoundError, ServiceUnavailableError, ValidationError } from "./errors.js";

/** What `upload` takes: bytes, text (stored as UTF-8), a web stream or a Blob (e.g. a File of a form). */
export type UploadBody = Uint8Array | string | ReadableStream<Uint8Array> | Blob;

export interface UploadOptions {
  /** Default: from the key's extension (`.png` → image/png), a Blob's own type, else application/octet-stream. */
  contentType?: string;
  /** Your own fields, stored with the object: names of letters, digits, `-` and `_` (kept lower-case), printable ASCII values. */
  metadata?: Record<string, string>;
}

export interface StoredObject {
  key: string;
  size: number;
  contentType: string;
  /** Where clients fetch it: a public bucket's URL (S3 `public: true`, or the fs plugin's `baseUrl`). */
  url?: string;
}

export interface DownloadedObject {
  body: Uint8Array;
  contentType: string;
  size: number;
  metadata: Record<string, string>;
}

export interface ObjectInfo {
  key: string;
  size: number;
  contentType: string;
  lastModified: Date;
  metadata: Record<string, string>;
}

export interface ListOptions {
  /** At most this many keys (1 to 1000, default 1000). */
  limit?: number;
  /** The `cursor` of the previous page. */
  cursor?: string;
}

export interface ListedObject {
  key: string;
  size: number;
  lastModified: Date;
}

export interface ListResult {
  /** In key order. */
  objects: ListedObject[];
  /** Present when there are more keys: pass it as `cursor` for the next page. */
  cursor?: string;
}

export interface StorageBucket {
  /** The bucket's name in yama.yaml. */
  readonly name: string;
  /** Stores `body` under `key`, replacing any object there. */
  upload(key: string, body: UploadBody, options?: UploadOptions): Promise<StoredObject>;
  /** The object's bytes; a missing key is a 404 (STORAGE_NOT_FOUND). */
  download(key: string): Promise<DownloadedObject>;
  /** Removes the object; a missing key is not an error. */
  delete(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  /**
   * A URL clients fetch the object from: a public bucket's URL, or for a private S3 bucket a
   * presigned GET URL valid `expiresIn` seconds (default 3600, at most 604800).
   */
  getUrl(key: string, expiresIn?: number): Promise<string>;
  /** Keys starting with `prefix`, in order, a page at a time. */
  list(prefix?: string, options?: ListOptions): Promise<ListResult>;
  /** Size, type, time and metadata without the bytes; a missing key is a 404. */
  getMetadata(key: string): Promise<ObjectInfo>;
  /** Copies an object (with its type and metadata) to another key of the bucket. */
  copy(from: string, to: string): Promise<StoredObject>;
}

export const DEFAULT_URL_EXPIRY = 3600;
/** A presigned URL lives at most a week (S3's limit). */
export const MAX_URL_EXPIRY = 604_800;
export const MAX_LIST_LIMIT = 1000;

const badKey = (key: string, why: string) =>
  new ValidationError(`Invalid storage key ${JSON.stringify(key.slice(0, 200))}: ${why}`, [{ field: "key", message: why, rule: "storage_key" }], "STORAGE_INVALID_KEY");

/**
 * Checks a key and returns it: segments separated by `/`, none empty, `.` or `..`, no leading
 * `/`, no backslash, no control characters (NUL included), at most 1024 bytes. A bad key is a 400.
 */
export function storageKey(key: string, reserved?: string): string {
  if (typeof key !== "string" || key === "") throw badKey(String(key), "a key must be a non-empty string");
  if (new TextEncoder().encode(key).length > 1024) throw badKey(key, "a key is at most 1024 bytes");
  if (/[\u0000-\u001f\u007f]/.test(key)) throw badKey(key, "a key cannot contain control characters");
  if (key.includes("\\")) throw badKey(key, "a key separates folders with /, not \\");
  if (key.startsWith("/")) throw badKey(key, "a key is relative: it cannot start with /");
  const segments = key.split("/");
  if (segments.some((s) => s === "" || s === "." || s === "..")) throw badKey(key, "a key cannot contain empty, . or .. segments");
  if (reserved !== undefined && segments[0] === reserved) throw badKey(key, `${reserved}/ is reserved for the bucket's own records`);
  return key;
}

/** A list prefix: "" or the start of a key (it may end with `/`). */
export function storagePrefix(prefix: string | undefined, reserved?: string): string {
  if (prefix === undefined || prefix === "") return "";
  storageKey(prefix.endsWith("/") ? prefix.slice(0, -1) : prefix, reserved);
  return prefix;
}

export function listLimit(options: ListOptions | undefined): number {
  const limit = options?.limit ?? MAX_LIST_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) throw new ValidationError(`list limit must be 1 to ${MAX_LIST_LIMIT}`, undefined, "STORAGE_INVALID_OPTION");
  return limit;
}

export function urlExpiry(expiresIn: number | undefined): number {
  const seconds = expiresIn ?? DEFAULT_URL_EXPIRY;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_URL_EXPIRY) throw new ValidationError(`expiresIn must be 1 to ${MAX_URL_EXPIRY} seconds`, undefined, "STORAGE_INVALID_OPTION");
  return seconds;
}

/** The metadata as stored: names lower-case (as S3 keeps them), values printable ASCII (they travel as HTTP headers). */
export function storageMetadata(metadata: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(metadata ?? {})) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name)) throw new ValidationError(`metadata name ${JSON.stringify(name)}: use letters, digits, - and _`, undefined, "STORAGE_INVALID_METADATA");
    if (typeof value !== "string" || !/^[\x20-\x7e]*$/.test(value)) throw new ValidationError(`metadata ${name}: the value must be printable ASCII text`, undefined, "STORAGE_INVALID_METADATA");
    out[name.toLowerCase()] = value;
  }
  return out;
}

const TYPES: Readonly<Record<string, string>> = {
  avif: "image/avif", bmp: "image/bmp", css: "text/css; charset=utf-8", csv: "text/csv; charset=utf-8", gif: "image/gif",
  gz: "application/gzip", htm: "text/html; charset=utf-8", html: "text/html; charset=utf-8", ico: "image/x-icon", jpeg: "image/jpeg",
  jpg: "image/jpeg", js: "text/javascript; charset=utf-8", json: "application/json", md: "text/markdown; charset=utf-8", mp3: "audio/mpeg",
  mp4: "video/mp4", pdf: "application/pdf", png: "image/png", svg: "image/svg+xml", txt: "text/plain; charset=utf-8", wav: "audio/wav",
  webm: "video/webm", webp: "image/webp", xml: "application/xml", zip: "application/zip",
};

/** The content type an upload gets: the one given, the key's extension's, a Blob's own, else application/octet-stream. */
export function contentTypeOf(key: string, body: UploadBody, given: string | undefined): string {
  if (given !== undefined && given !== "") return given;
  const ext = /\.([A-Za-z0-9]+)$/.exec(key)?.[1]?.toLowerCase();
  const known = ext === undefined ? undefined : TYPES[ext];
  if (known !== undefined) return known;
  if (body instanceof Blob && body.type !== "") return body.type;
  return "application/octet-stream";
}

/** The upload's bytes (a stream is read to its end). */
export async function bodyBytes(body: UploadBody): Promise<Uint8Array> {
  if (typeof body === "string") return new TextEncoder().encode(body);
  if (body instanceof Uint8Array) return body;
  if (body instanceof Blob) return new Uint8Array(await body.arrayBuffer());
  return new Uint8Array(await new Response(body).arrayBuffer());
}

/** The URL of `key` under `base` (`https://cdn.example.com/files`, `/files`), each segment percent-encoded. */
export function objectUrl(base: string, key: string): string {
  return `${base.replace(/\/+$/, "")}/${key.split("/").map(encodeURIComponent).join("/")}`;
}

export const storageNotFound = (bucket: string, key: string): ApiError => new NotFoundError(`No object ${JSON.stringify(key)} in storage bucket ${bucket}`, "STORAGE_NOT_FOUND");

export const storageUnavailable = (bucket: string, reason: string): ApiError => new ServiceUnavailableError(`Storage bucket ${bucket} is unavailable: ${reason}`, "STORAGE_UNAVAILABLE");
