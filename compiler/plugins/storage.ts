/**
 * File storage, as `ctx.storage.<bucket>` in handlers (runtime-lib/storage.ts):
 *
 *   plugins:
 *     "@betagors/yama-fs":                      # ctx.storage.default, files on the local disk
 *       basePath: .yama/storage                 # relative to the folder the app runs in
 *       baseUrl: /files                         # a path: GET /files/<key> serves the files
 *
 *     "@betagors/yama-s3":                      # ctx.storage.<bucket>, S3 or S3-compatible
 *       region: ${AWS_REGION}
 *       endpoint: ${S3_ENDPOINT}                # MinIO, R2, …; AWS's when absent
 *       forcePathStyle: true
 *       accessKeyId: ${S3_ACCESS_KEY_ID}        # both absent: the AWS default credential chain
 *       secretAccessKey: ${S3_SECRET_ACCESS_KEY}
 *       buckets:
 *         images: { name: ${IMAGES_BUCKET}, public: true }
 *
 * Both compile to src/plugins/storage.ts, whose `storage` object types `ctx.storage` by bucket
 * name (a misspelt bucket is a type error). A config uses one of the two (duplicate-storage).
 */
import { z } from "zod";
import { parseConfigString } from "../2-analyze/config-string.js";
import { envExpression, envText } from "../4-emit/env.js";
import { file, header, Imports, key, ts } from "../4-emit/writer.js";
import type { ProjectIR } from "../ir.js";
import type { AppWiring, ContextMember, PluginAnalyzeContext, PluginContribution, YamaPlugin } from "./types.js";

export const FS_PLUGIN = "@betagors/yama-fs";
export const S3_PLUGIN = "@betagors/yama-s3";
export const STORAGE_PLUGINS: readonly string[] = [FS_PLUGIN, S3_PLUGIN];

/** `ctx.storage.<name>`: an identifier, and not one that would change the object's prototype. */
const BUCKET_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
/** A path the fs plugin serves its files under: /files, /uploads/public (no `.` or `..` segments). */
const SERVED_PATH = /^(\/(?!\.\.?(?:\/|$))[A-Za-z0-9_.-]+)+$/;
/** S3's rule for bucket names written in the config (not for `${VAR}`). */
const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

const fsOptions = z.strictObject({
  /** The folder files are kept in, relative to the folder the app runs in (or absolute). */
  basePath: z.string().min(1).default(".yama/storage"),
  /** What `getUrl` puts before a key: a URL (`https://cdn.example.com/files`, `${FILES_URL}`) or a path the app serves (`/files`). */
  baseUrl: z.string().min(1).optional(),
  /** When `baseUrl` is a path, serve the files there with GET (default true). */
  serve: z.boolean().default(true),
});

const s3BucketOptions = z.strictObject({
  /** The S3 bucket's name (or `${VAR}`). */
  name: z.string().min(1),
  /** Anyone may read its objects: `getUrl` and uploads give plain URLs instead of presigned ones. */
  public: z.boolean().default(false),
  /** Where a public bucket's objects are served from (a CDN, R2's public domain). */
  publicUrl: z.string().min(1).optional(),
});

const s3Options = z.strictObject({
  /** Default: AWS_REGION at runtime, else us-east-1. */
  region: z.string().min(1).optional(),
  /** An S3-compatible endpoint (`${S3_ENDPOINT}`): MinIO, Cloudflare R2, … */
  endpoint: z.string().min(1).optional(),
  /** Bucket in the URL's path instead of its host name (MinIO and most local servers need it). */
  forcePathStyle: z.boolean().default(false),
  accessKeyId: z.string().min(1).optional(),
  secretAccessKey: z.string().min(1).optional(),
  /** Time to connect, in ms. */
  connectTimeoutMs: z.number().int().min(100).max(60_000).default(3000),
  /** Time for a whole request, in ms. */
  timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
  /** Tries per request, the first included. */
  maxAttempts: z.number().int().min(1).max(10).default(2),
  /** `ctx.storage.<name>` → its S3 bucket: `{name, public}`, or the S3 name alone. */
  buckets: z.record(z.string(), z.union([z.string().min(1), s3BucketOptions])),
});

export type FsOptions = z.output<typeof fsOptions>;
export type S3Options = z.output<typeof s3Options>;
type S3BucketDef = z.output<typeof s3BucketOptions>;

const bucketOf = (def: string | S3BucketDef): S3BucketDef => (typeof def === "string" ? { name: def, public: false } : def);

/** Whether `baseUrl` is a path this app serves (rather than a URL of another server). */
export const servedPath = (opts: FsOptions): string | undefined => (opts.serve && opts.baseUrl !== undefined && SERVED_PATH.test(opts.baseUrl) ? opts.baseUrl : undefined);

function checkBucketName(name: string, ctx: PluginAnalyzeContext, path: (string | number)[]): void {
  if (BUCKET_NAME.test(name) && name !== "__proto__") return;
  const suggestion = name.replace(/[^A-Za-z0-9]+(.)?/g, (_, ch: string | undefined) => (ch ?? "").toUpperCase()).replace(/^[^A-Za-z_$]+/, "");
  ctx.diagnostics.error("bad-bucket-name", `storage bucket "${name}" is not an identifier, so handlers cannot write ctx.storage.${name}`, ctx.parsed.locate(path, "key"), suggestion ? `name it e.g. ${suggestion} (the S3 bucket's own name goes in \`name:\`)` : "name it with letters, digits and _, starting with a letter");
}

/** The `storage` member of HandlerContext (and of queue jobs' context). */
const storageMember = (ir: ProjectIR): ContextMember[] =>
  ir.endpoints.length > 0 ? [{ name: "storage", imports: { "./plugins/storage.js": ["storage"] }, doc: "The storage buckets of yama.yaml, by name (src/plugins/storage.ts).", type: "typeof storage", value: "storage" }] : [];

/** src/plugins/storage.ts: the buckets as one typed object. */
function storageFile(ir: ProjectIR, plugin: string, imports: Imports, setup: string[], buckets: { name: string; doc: string; value: string }[], extra: string[] = []): PluginContribution["files"] {
  imports.type("../lib/storage.js", "StorageBucket");
  const use = ir.plugins.find((p) => p.name === plugin);
  const type = `{ ${buckets.map((b) => `readonly ${key(b.name)}: StorageBucket`).join("; ")} }`;
  const body = `/** The storage buckets of yama.yaml: \`ctx.storage.${buckets[0]?.name ?? "name"}\` in handlers. */
export const storage: ${type} = {
${buckets.map((b) => `  /** ${b.doc} */\n  ${key(b.name)}: ${b.value},`).join("\n")}
};`;
  return [{ path: "src/plugins/storage.ts", content: header(`plugin ${plugin}`, use?.loc ?? ir.configFile) + file(imports.toString(), ...setup, body, ...extra) }];
}

export const fsStoragePlugin: YamaPlugin<FsOptions> = {
  name: FS_PLUGIN,
  aliases: ["fs", "yama-fs", "storage-fs"],
  options: fsOptions,
  analyze(opts, ctx) {
    const base = parseConfigString(opts.basePath);
    if (base.kind === "literal" && opts.basePath.split(/[\\/]/).includes("..")) {
      ctx.diagnostics.warn("storage-outside-project", `basePath ${opts.basePath} leaves the project's folder`, ctx.parsed.locate([...ctx.path, "basePath"]), "keep files under the project (the default is .yama/storage), or give an absolute path");
    }
    const url = opts.baseUrl;
    if (url !== undefined && parseConfigString(url).kind === "literal" && url.startsWith("/") && !SERVED_PATH.test(url)) {
      ctx.diagnostics.error("bad-plugin-option", `baseUrl ${url} is not a path the app can serve files under`, ctx.parsed.locate([...ctx.path, "baseUrl"]), "use a path of letters, digits, -, _ and . segments such as /files, or a full URL such as https://cdn.example.com/files");
    } else if (url !== undefined && parseConfigString(url).kind === "literal" && !url.startsWith("/") && !/^https?:\/\/[^\s/]+/.test(url)) {
      ctx.diagnostics.error("bad-plugin-option", `baseUrl ${url} is neither a path nor an http(s) URL`, ctx.parsed.locate([...ctx.path, "baseUrl"]), "write e.g. `baseUrl: /files` (served by the app) or `baseUrl: https://cdn.example.com/files`");
    }
  },
  emit(opts, ir) {
    const imports = new Imports().add("../lib/storage-fs.js", "fsBucket");
    const served = servedPath(opts);
    const settings = [`  name: "default",`, `  basePath: ${envText(parseConfigString(opts.basePath))},`];
    if (opts.baseUrl !== undefined) settings.push(`  baseUrl: ${envText(parseConfigString(opts.baseUrl))},`);
    const setup = [`/** Files on the local disk, under ${opts.basePath} (objects at their key's path, type and metadata under .storage-meta/). */
const defaultBucket = fsBucket({
${settings.join("\n")}
});`];
    const extra: string[] = [];
    const wiring: AppWiring[] = [];
    if (served !== undefined) {
      imports.add("hono", "Hono").add("../lib/storage-fs.js", "fsFileResponse").type("../lib/http.js", "AppEnv");
      extra.push(`/** GET ${served}/<key>: the bucket's files, streamed with their content type; a missing one is a 404 in the error envelope. */
export const storageRoutes = new Hono<AppEnv>();

storageRoutes.get(${ts(`${served}/*`)}, (c) => fsFileResponse(defaultBucket, c.req.path.slice(${served.length + 1})));`);
      wiring.push({ order: 60, imports: { "./plugins/storage.js": ["storageRoutes"] }, statement: 'app.route("/", storageRoutes);' });
    }
    const where = opts.baseUrl === undefined ? "no URL" : served !== undefined ? `served at ${served}/<key>` : `URLs under ${opts.baseUrl}`;
    return {
      files: storageFile(ir, FS_PLUGIN, imports, setup, [{ name: "default", doc: `Files on the local disk (${where}).`, value: "defaultBucket" }], extra),
      context: storageMember(ir),
      wiring,
    };
  },
};

export const s3StoragePlugin: YamaPlugin<S3Options> = {
  name: S3_PLUGIN,
  aliases: ["s3", "yama-s3", "storage-s3"],
  options: s3Options,
  analyze(opts, ctx) {
    const at = (...rest: string[]) => ctx.parsed.locate([...ctx.path, ...rest]);
    for (const field of ["accessKeyId", "secretAccessKey"] as const) {
      const value = opts[field];
      if (value !== undefined && parseConfigString(value).kind === "literal") {
        const variable = field === "accessKeyId" ? "S3_ACCESS_KEY_ID" : "S3_SECRET_ACCESS_KEY";
        ctx.diagnostics.error("secret-in-config", `the S3 ${field} is written into the config`, at(field), `read it from the environment: \`${field}: \${${variable}}\`, or leave both keys out to use the AWS default credential chain (IAM role, AWS_ACCESS_KEY_ID)`);
      }
    }
    if ((opts.accessKeyId === undefined) !== (opts.secretAccessKey === undefined)) {
      const given = opts.accessKeyId !== undefined ? "accessKeyId" : "secretAccessKey";
      ctx.diagnostics.error("bad-plugin-option", `${given} is given without ${given === "accessKeyId" ? "secretAccessKey" : "accessKeyId"}`, ctx.parsed.locate([...ctx.path, given], "key"), "give both keys, or neither to use the AWS default credential chain");
    }
    const endpoint = opts.endpoint;
    if (endpoint !== undefined && parseConfigString(endpoint).kind === "literal" && !/^https?:\/\/[^\s/]+/.test(endpoint)) {
      ctx.diagnostics.error("bad-plugin-option", `endpoint ${endpoint} is not an http(s) URL`, at("endpoint"), "write e.g. `endpoint: ${S3_ENDPOINT}` or `endpoint: http://127.0.0.1:9000`");
    }
    const names = Object.keys(opts.buckets);
    if (names.length === 0) ctx.diagnostics.error("bad-plugin-option", "the S3 plugin declares no buckets", at("buckets"), "add e.g. `buckets: {images: {name: my-images, public: true}}`");
    for (const name of names) {
      checkBucketName(name, ctx, [...ctx.path, "buckets", name]);
      const def = bucketOf(opts.buckets[name]!);
      if (parseConfigString(def.name).kind === "literal" && !S3_BUCKET.test(def.name)) {
        const where = typeof opts.buckets[name] === "string" ? at("buckets", name) : at("buckets", name, "name");
        ctx.diagnostics.error("bad-plugin-option", `"${def.name}" is not a valid S3 bucket name`, where, "S3 bucket names are 3 to 63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit");
      }
      if (def.publicUrl !== undefined && !def.public) ctx.diagnostics.warn("bad-plugin-option", `buckets.${name}.publicUrl is unused: the bucket is private (URLs are presigned)`, ctx.parsed.locate([...ctx.path, "buckets", name, "publicUrl"], "key"), "set `public: true`, or remove publicUrl");
    }
  },
  emit(opts, ir) {
    const imports = new Imports().add("../lib/storage-s3.js", "s3Bucket", "s3Connection");
    const optional = (["region", "endpoint", "accessKeyId", "secretAccessKey"] as const).flatMap((name) => {
      const value = opts[name];
      return value === undefined ? [] : [`  ${name}: ${envExpression(parseConfigString(value))},`];
    });
    const settings = [
      ...optional,
      `  forcePathStyle: ${opts.forcePathStyle},`,
      `  connectTimeoutMs: ${opts.connectTimeoutMs},`,
      `  requestTimeoutMs: ${opts.timeoutMs},`,
      `  maxAttempts: ${opts.maxAttempts},`,
    ];
    const setup = [`/** The S3 connection (made on first use); without both keys, credentials come from the AWS default chain. */
const s3 = s3Connection({
${settings.join("\n")}
});`];
    const buckets = Object.entries(opts.buckets).map(([name, raw]) => {
      const def = bucketOf(raw);
      const fields = [`name: ${ts(name)}`, `bucket: ${envText(parseConfigString(def.name))}`, `public: ${def.public}`];
      if (def.public && def.publicUrl !== undefined) fields.push(`publicUrl: ${envText(parseConfigString(def.publicUrl))}`);
      return { name, doc: `S3 bucket ${def.name}${def.public ? " (public)" : " (private: URLs are presigned)"}.`, value: `s3Bucket(s3, { ${fields.join(", ")} })` };
    });
    return {
      files: storageFile(ir, S3_PLUGIN, imports, setup, buckets),
      context: storageMember(ir),
      dependencies: { "@aws-sdk/client-s3": "^3.1175.0", "@aws-sdk/s3-request-presigner": "^3.1169.0" },
    };
  },
};
