/**
 * A storage bucket on the local disk (`@betagors/yama-fs`): each object is a file under the
 * bucket's folder, at its key's path; its content type and metadata are a JSON file of the same
 * key under `.storage-meta/` there (a key cannot start with that folder). Writes go to a
 * temporary file first and are renamed into place, so a reader never sees half an object.
 */
import { createReadStream } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { Readable } from "node:stream";
import { ApiError, ConflictError, ValidationError } from "./errors.js";
import {
  bodyBytes, contentTypeOf, type ListedObject, listLimit, objectUrl, type StorageBucket, type StoredObject, storageKey, storageMetadata,
  storageNotFound, storagePrefix, storageUnavailable, urlExpiry,
} from "./storage.js";

export interface FsBucketOptions {
  /** The bucket's name in yama.yaml (`default`). */
  name: string;
  /** The folder objects are kept in (created when missing). */
  basePath: string;
  /** What `getUrl` puts before a key: a URL or a path such as /files. Without it getUrl is a 501. */
  baseUrl?: string;
}

/** The folder of each object's content type and metadata. */
export const META_DIR = ".storage-meta";

interface MetaRecord {
  contentType: string;
  metadata: Record<string, string>;
}

const codeOf = (err: unknown): string | undefined => (err as { code?: unknown } | null)?.code as string | undefined;

/** A bucket on disk: a StorageBucket that knows its folder (for the route that serves its files). */
export interface FsBucket extends StorageBucket {
  /** The absolute folder. */
  readonly basePath: string;
}

export function fsBucket(options: FsBucketOptions): FsBucket {
  const base = resolve(options.basePath);
  const { name } = options;
  /** The file of a checked key; never outside the base folder. */
  const pathOf = (key: string, under = base): string => {
    const path = resolve(under, ...storageKey(key, META_DIR).split("/"));
    if (!path.startsWith(under + sep)) throw new ValidationError(`Storage key ${JSON.stringify(key)} leaves the bucket`, undefined, "STORAGE_INVALID_KEY");
    return path;
  };
  const metaOf = (key: string): string => `${pathOf(key, join(base, META_DIR))}.json`;
  /** A file system error as the request's error: a missing file is a 404, a file where a folder should be a 409, the rest a 503. */
  const failure = (key: string, err: unknown): unknown => {
    const code = codeOf(err);
    if (code === undefined || err instanceof ApiError) return err;
    if (code === "ENOENT") return storageNotFound(name, key);
    if (code === "ENOTDIR" || code === "EISDIR" || code === "EEXIST") return new ConflictError(`Storage key ${JSON.stringify(key)} clashes with a folder or file of bucket ${name}`, undefined, "STORAGE_KEY_CONFLICT");
    return storageUnavailable(name, code);
  };
  const readMeta = async (key: string): Promise<MetaRecord | undefined> => {
    try {
      return JSON.parse(await readFile(metaOf(key), "utf8")) as MetaRecord;
    } catch {
      return undefined;
    }
  };
  /** Writes a file through a temporary one in the same bucket, renamed into place. */
  const writeAtomically = async (path: string, data: Uint8Array | string): Promise<void> => {
    const temporary = join(base, META_DIR, ".tmp", crypto.randomUUID());
    await mkdir(dirname(temporary), { recursive: true });
    await writeFile(temporary, data);
    try {
      await mkdir(dirname(path), { recursive: true });
      await rename(temporary, path);
    } catch (err) {
      await rm(temporary, { force: true });
      throw err;
    }
  };
  const urlOf = (key: string): string | undefined => (options.baseUrl ? objectUrl(options.baseUrl, key) : undefined);
  const stored = (key: string, size: number, contentType: string): StoredObject => {
    const url = urlOf(key);
    return url === undefined ? { key, size, contentType } : { key, size, contentType, url };
  };
  const fileStat = async (key: string) => {
    const path = pathOf(key);
    let info;
    try {
      info = await stat(path);
    } catch (err) {
      throw codeOf(err) === "ENOTDIR" ? storageNotFound(name, key) : failure(key, err);
    }
    if (!info.isFile()) throw storageNotFound(name, key);
    return info;
  };
  /** Every key under `folder` (a folder of the bucket), depth first. */
  const walk = async (folder: string, into: string[]): Promise<void> => {
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch (err) {
      if (codeOf(err) === "ENOENT" || codeOf(err) === "ENOTDIR") return;
      throw storageUnavailable(name, codeOf(err) ?? "the folder cannot be read");
    }
    for (const entry of entries) {
      const path = join(folder, entry.name);
      if (folder === base && entry.name === META_DIR) continue;
      if (entry.isDirectory()) await walk(path, into);
      else if (entry.isFile()) into.push(relative(base, path).split(sep).join("/"));
    }
  };

  return {
    name,
    basePath: base,
    async upload(key, body, upload) {
      const path = pathOf(key);
      const record: MetaRecord = { contentType: contentTypeOf(key, body, upload?.contentType), metadata: storageMetadata(upload?.metadata) };
      const bytes = await bodyBytes(body);
      try {
        await writeAtomically(path, bytes);
        await writeAtomically(metaOf(key), JSON.stringify(record));
      } catch (err) {
        throw failure(key, err);
      }
      return stored(key, bytes.length, record.contentType);
    },
    async download(key) {
      const path = pathOf(key);
      await fileStat(key);
      let body: Uint8Array;
      try {
        body = new Uint8Array(await readFile(path));
      } catch (err) {
        throw failure(key, err);
      }
      const meta = await readMeta(key);
      return { body, size: body.length, contentType: meta?.contentType ?? contentTypeOf(key, body, undefined), metadata: meta?.metadata ?? {} };
    },
    async delete(key) {
      const path = pathOf(key);
      try {
        await rm(path, { force: true });
        await rm(metaOf(key), { force: true });
      } catch (err) {
        throw failure(key, err);
      }
    },
    async exists(key) {
      const path = pathOf(key);
      try {
        return (await stat(path)).isFile();
      } catch (err) {
        if (codeOf(err) === "ENOENT" || codeOf(err) === "ENOTDIR") return false;
        throw failure(key, err);
      }
    },
    async getUrl(key, expiresIn) {
      storageKey(key, META_DIR);
      urlExpiry(expiresIn);
      const url = urlOf(key);
      if (url === undefined) throw new ApiError(501, "STORAGE_NO_URL", `Storage bucket ${name} has no baseUrl, so its objects have no URL`);
      return url;
    },
    async list(prefix, listing) {
      const start = storagePrefix(prefix, META_DIR);
      const limit = listLimit(listing);
      // Walk only the folder the prefix names, e.g. avatars/ for avatars/ann.
      const folder = start.includes("/") ? start.slice(0, start.lastIndexOf("/")) : "";
      const keys: string[] = [];
      await walk(folder === "" ? base : join(base, ...folder.split("/")), keys);
      const cursor = listing?.cursor;
      const matching = keys.filter((k) => k.startsWith(start) && (cursor === undefined || k > cursor)).sort();
      const page = matching.slice(0, limit);
      const objects: ListedObject[] = [];
      for (const key of page) {
        const info = await stat(join(base, ...key.split("/"))).catch(() => undefined);
        if (info) objects.push({ key, size: info.size, lastModified: info.mtime });
      }
      return matching.length > limit ? { objects, cursor: page.at(-1)! } : { objects };
    },
    async getMetadata(key) {
      const info = await fileStat(key);
      const meta = await readMeta(key);
      return { key, size: info.size, contentType: meta?.contentType ?? contentTypeOf(key, "", undefined), lastModified: info.mtime, metadata: meta?.metadata ?? {} };
    },
    async copy(from, to) {
      const source = pathOf(from);
      const target = pathOf(to);
      await fileStat(from);
      const meta = (await readMeta(from)) ?? { contentType: contentTypeOf(from, "", undefined), metadata: {} };
      let size: number;
      try {
        const bytes = await readFile(source);
        size = bytes.length;
        await writeAtomically(target, bytes);
        await writeAtomically(metaOf(to), JSON.stringify(meta));
      } catch (err) {
        throw failure(to, err);
      }
      return stored(to, size, meta.contentType);
    },
  };
}

/**
 * A Response streaming the object at a percent-encoded key (the rest of the request's path), for
 * the route that serves a bucket's files under its `baseUrl` path: a bad key is a 400, a missing
 * object a 404. Served files cannot run scripts in the API's origin (nosniff, a sandboxing CSP).
 */
export async function fsFileResponse(bucket: FsBucket, encodedKey: string): Promise<Response> {
  let key = encodedKey;
  try {
    key = encodedKey.split("/").map(decodeURIComponent).join("/");
  } catch {
    // Not valid percent-encoding: the key as sent, which storageKey then checks.
  }
  const info = await bucket.getMetadata(storageKey(key, META_DIR));
  const path = resolve(bucket.basePath, ...key.split("/"));
  const stream = Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>;
  return new Response(stream, {
    headers: {
      "content-type": info.contentType,
      "content-length": String(info.size),
      "last-modified": info.lastModified.toUTCString(),
      "x-content-type-options": "nosniff",
      "content-security-policy": "default-src 'none'; sandbox",
    },
  });
}
