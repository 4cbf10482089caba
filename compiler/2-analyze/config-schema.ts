import { z } from "zod";
import { parseConfigString } from "./config-string.js";

/**
 * The yama.yaml format, as one zod schema. This is the single description of what a config
 * may contain: the analyzer validates against it, and `yamac schema` exports it as JSON Schema
 * for editors. Sections that later compiler modules own are accepted here with their own
 * loose shape and validated by those modules.
 */

const httpMethod = z.enum(["GET", "POST", "PUT", "PATCH", "DELETE"]);

export const AUTH_RULE_KEYS = ["required", "roles", "permissions", "provider", "handler"] as const;

/** `{required, roles, permissions, provider}` or a boolean. Compiled by the auth module (compiler/plugins/auth). */
const authRule = z.union([
  z.boolean(),
  z.strictObject({
    required: z.boolean().optional(),
    roles: z.array(z.string()).optional(),
    permissions: z.array(z.string()).optional(),
    provider: z.union([z.string(), z.array(z.string())]).optional(),
    /** A custom check file: part of the YAMA format, refused by the auth module (not compiled). */
    handler: z.string().optional(),
  }),
]);

export const FIELD_KEYS = [
  "type", "primary", "primaryKey", "generated", "required", "nullable", "default", "unique", "index", "indexed",
  "minLength", "maxLength", "length", "min", "max", "pattern", "enum", "values", "precision", "scale", "description",
  "readonly", "writeOnly", "sensitive", "autoUpdate", "dbColumn", "dbType", "api", "format", "items", "array",
  "currency", "minItems", "maxItems", "onDelete", "onUpdate", "$ref", "through", "foreignKey", "example", "writableBy",
] as const;

const referentialAction = z.enum(["cascade", "setNull", "set null", "restrict", "noAction", "no action", "setDefault", "set default"]);

export const fieldObject = z.strictObject({
  type: z.string().optional(),
  primary: z.boolean().optional(),
  primaryKey: z.boolean().optional(),
  generated: z.boolean().optional(),
  required: z.boolean().optional(),
  nullable: z.boolean().optional(),
  default: z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.unknown()), z.record(z.string(), z.unknown())]).optional(),
  unique: z.boolean().optional(),
  index: z.boolean().optional(),
  indexed: z.boolean().optional(),
  minLength: z.number().int().nonnegative().optional(),
  maxLength: z.number().int().positive().optional(),
  length: z.number().int().positive().optional(),
  min: z.union([z.number(), z.string()]).optional(),
  max: z.union([z.number(), z.string()]).optional(),
  pattern: z.string().optional(),
  enum: z.array(z.union([z.string(), z.number()])).optional(),
  values: z.array(z.union([z.string(), z.number()])).optional(),
  precision: z.number().int().positive().max(1000).optional(),
  scale: z.number().int().nonnegative().max(1000).optional(),
  description: z.string().optional(),
  readonly: z.boolean().optional(),
  writeOnly: z.boolean().optional(),
  sensitive: z.boolean().optional(),
  /** Roles allowed to set the field in a body; others get 403. */
  writableBy: z.array(z.string().min(1)).min(1).optional(),
  autoUpdate: z.boolean().optional(),
  dbColumn: z.string().optional(),
  dbType: z.string().optional(),
  api: z.union([z.string(), z.literal(false)]).optional(),
  format: z.string().optional(),
  items: z.unknown().optional(),
  array: z.boolean().optional(),
  currency: z.string().optional(),
  minItems: z.number().int().nonnegative().optional(),
  maxItems: z.number().int().nonnegative().optional(),
  onDelete: referentialAction.optional(),
  onUpdate: referentialAction.optional(),
  $ref: z.string().optional(),
  through: z.string().optional(),
  foreignKey: z.string().optional(),
  example: z.unknown().optional(),
});

/** A field: the shorthand string (`string! unique`) or the long form. */
export const fieldDefinition = z.union([z.string(), fieldObject]);

export const RELATION_KEYS = ["type", "target", "entity", "through", "foreignKey", "references", "localKey", "joinColumns", "onDelete", "onUpdate", "nullable", "required", "indexed", "timestamps", "fields", "orderBy", "where", "inverse"] as const;

const relationObject = z.strictObject({
  type: z.enum(["belongsTo", "hasMany", "hasOne", "manyToMany"]),
  target: z.string().optional(),
  entity: z.string().optional(),
  through: z.string().optional(),
  foreignKey: z.string().optional(),
  references: z.string().optional(),
  localKey: z.string().optional(),
  joinColumns: z.strictObject({ from: z.string(), to: z.string() }).optional(),
  onDelete: referentialAction.optional(),
  onUpdate: referentialAction.optional(),
  nullable: z.boolean().optional(),
  required: z.boolean().optional(),
  indexed: z.boolean().optional(),
  timestamps: z.boolean().optional(),
  fields: z.record(z.string(), z.unknown()).optional(),
  orderBy: z.string().optional(),
  where: z.record(z.string(), z.unknown()).optional(),
  inverse: z.string().optional(),
});

const indexDefinition = z.union([
  z.string(),
  z.array(z.string()).min(1),
  z.strictObject({
    fields: z.union([z.string(), z.array(z.string()).min(1)]),
    unique: z.boolean().optional(),
    name: z.string().optional(),
    type: z.enum(["btree", "hash", "gin", "gist", "brin", "fulltext"]).optional(),
    where: z.unknown().optional(),
  }),
]);

const validationRule = z.strictObject({
  field: z.string(),
  rule: z.enum(["email", "url", "uuid", "minLength", "maxLength", "min", "max", "pattern", "required", "unique"]),
  params: z.array(z.union([z.string(), z.number()])).optional(),
  value: z.union([z.string(), z.number()]).optional(),
  message: z.string().optional(),
});

const searchConfig = z.union([
  z.boolean(),
  z.array(z.string()),
  z.strictObject({
    fields: z.union([z.literal(true), z.array(z.string())]).optional(),
    mode: z.enum(["contains", "starts", "ends", "exact"]).optional(),
    fullText: z.boolean().optional(),
  }),
]);

const paginationConfig = z.union([
  z.boolean(),
  z.strictObject({
    type: z.enum(["offset", "page", "cursor"]).optional(),
    limit: z.number().int().positive().optional(),
    defaultLimit: z.number().int().positive().optional(),
    maxLimit: z.number().int().positive().optional(),
    offset: z.number().int().nonnegative().optional(),
    page: z.number().int().optional(),
    pageSize: z.number().int().positive().optional(),
    cursor: z.unknown().optional(),
    cursorField: z.string().optional(),
    direction: z.enum(["asc", "desc"]).optional(),
    metadata: z.array(z.string()).optional(),
    count: z.boolean().optional(),
  }),
]);

const methodOverride = z.looseObject({ auth: authRule.optional(), policy: z.string().optional(), path: z.string().optional(), inputType: z.string().optional(), responseType: z.string().optional() });

export const CRUD_KEYS = ["enabled", "path", "auth", "policy", "inputTypes", "responseTypes", "search", "pagination", "read", "write", "mutate", "create", "update", "delete", "GET", "POST", "PUT", "PATCH", "DELETE", "bulk", "filters", "sort"] as const;

export const crudConfig = z.union([
  z.boolean(),
  z.strictObject({
    enabled: z.union([z.boolean(), z.array(httpMethod), z.record(z.string(), z.unknown())]).optional(),
    path: z.string().regex(/^\//, "must start with /").optional(),
    auth: authRule.optional(),
    /** A policy of `policies:` for every route (method groups may name their own). */
    policy: z.string().optional(),
    inputTypes: z.record(z.string(), z.string()).optional(),
    responseTypes: z.record(z.string(), z.string()).optional(),
    search: searchConfig.optional(),
    pagination: paginationConfig.optional(),
    read: methodOverride.optional(),
    write: methodOverride.optional(),
    mutate: methodOverride.optional(),
    create: methodOverride.optional(),
    update: methodOverride.optional(),
    delete: methodOverride.optional(),
    GET: methodOverride.optional(),
    POST: methodOverride.optional(),
    PUT: methodOverride.optional(),
    PATCH: methodOverride.optional(),
    DELETE: methodOverride.optional(),
    bulk: z.boolean().optional(),
    filters: z.union([z.boolean(), z.array(z.string())]).optional(),
    sort: z.union([z.boolean(), z.array(z.string())]).optional(),
  }),
]);

export const ENTITY_KEYS = ["table", "database", "fields", "relations", "indexes", "softDelete", "timestamps", "computed", "validation", "validations", "variants", "hooks", "apiSchema", "crud", "crudOverrides", "source", "include", "exclude", "description"] as const;

export const entityDefinition = z.strictObject({
  table: z.string().regex(/^[a-z_][a-z0-9_]*$/, "must be a lower-case SQL identifier (letters, digits, _)").optional(),
  database: z.union([
    z.string().regex(/^[a-z_][a-z0-9_]*$/, "must be a lower-case SQL identifier (letters, digits, _)"),
    z.boolean(),
    z.strictObject({ table: z.string().regex(/^[a-z_][a-z0-9_]*$/, "must be a lower-case SQL identifier").optional(), indexes: z.array(indexDefinition).optional() }),
  ]).optional(),
  fields: z.record(z.string(), fieldDefinition.nullable()).optional(),
  relations: z.record(z.string(), z.union([z.string(), relationObject])).optional(),
  indexes: z.array(indexDefinition).optional(),
  softDelete: z.boolean().optional(),
  timestamps: z.boolean().optional(),
  computed: z.record(z.string(), z.unknown()).optional(),
  validation: z.record(z.string(), validationRule).optional(),
  validations: z.record(z.string(), z.array(z.string())).optional(),
  variants: z.record(z.string(), z.unknown()).optional(),
  hooks: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
  apiSchema: z.string().optional(),
  crud: crudConfig.optional(),
  /** `{POST: {handler: …}, GET_LIST: {…}}`: endpoints replacing CRUD routes (compiler/2-analyze/handlers/overrides.ts). */
  crudOverrides: z.record(z.string(), z.lazy(() => crudOverride)).optional(),
  source: z.string().optional(),
  include: z.array(z.string()).optional(),
  exclude: z.array(z.string()).optional(),
  description: z.string().optional(),
});

export const DATABASE_KEYS = ["dialect", "url", "pool", "ssl", "migrations", "dataDir", "options"] as const;

const databaseConfig = z.strictObject({
  dialect: z.enum(["postgresql", "postgres", "pglite"]).optional(),
  url: z.string().optional(),
  pool: z.strictObject({ min: z.number().int().nonnegative().optional(), max: z.union([z.number().int().positive(), z.string()]).optional() }).optional(),
  ssl: z.union([z.boolean(), z.enum(["require", "prefer", "verify-full"])]).optional(),
  migrations: z.strictObject({ autoRun: z.boolean().optional(), folder: z.string().optional() }).optional(),
  dataDir: z.string().optional(),
  options: z.record(z.string(), z.unknown()).optional(),
});

export const ENDPOINT_KEYS = ["path", "method", "description", "summary", "tags", "params", "query", "body", "response", "handler", "auth", "rateLimit", "cache", "middleware", "name", "operationId", "status", "deprecated"] as const;

/** A parameter or body field: shorthand (`q: string!`, `limit: number = 20`) or the long form. */
const valueSpec = z.union([z.string(), fieldObject, z.null()]);

/** Declarative handlers (`handler: {type: query, ...}`); each type's keys are checked by its lowering pass. */
export const declarativeHandler = z.looseObject({
  type: z.enum(["query", "relation", "aggregate", "sql", "expression", "template", "file"]),
});

export const endpointDefinition = z.strictObject({
  path: z.string().regex(/^\//, "must start with /"),
  method: z.string().transform((m) => m.toUpperCase()).pipe(z.enum(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])),
  description: z.string().optional(),
  summary: z.string().optional(),
  tags: z.array(z.string()).optional(),
  params: z.record(z.string(), valueSpec).optional(),
  query: z.record(z.string(), valueSpec).optional(),
  body: z.union([z.string(), z.strictObject({ type: z.string().optional(), fields: z.record(z.string(), valueSpec).optional(), properties: z.record(z.string(), valueSpec).optional(), required: z.array(z.string()).optional() })]).optional(),
  response: z.union([z.string(), z.strictObject({ type: z.string(), status: z.number().int().min(100).max(599).optional(), description: z.string().optional() })]).optional(),
  handler: z.union([z.string(), declarativeHandler]).optional(),
  auth: authRule.optional(),
  rateLimit: z.unknown().optional(),
  cache: z.unknown().optional(),
  middleware: z.unknown().optional(),
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an identifier").optional(),
  operationId: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an identifier").optional(),
  status: z.number().int().min(100).max(599).optional(),
  deprecated: z.boolean().optional(),
});

export const CRUD_OVERRIDE_KEYS = ["handler", "description", "summary", "query", "body", "response", "status", "name"] as const;

/** One `crudOverrides:` entry: an endpoint whose path and method are the CRUD route's. */
export const crudOverride = endpointDefinition.pick({ handler: true, description: true, summary: true, query: true, body: true, response: true, status: true, name: true }).required({ handler: true });

const restApi = z.looseObject({
  basePath: z.string().regex(/^\//, "must start with /").optional(),
  enabled: z.boolean().optional(),
  endpoints: z.array(endpointDefinition).optional(),
});

/** `apis.rest` is one API (`{basePath, endpoints, operations, …}`) rather than named ones (`{public: {…}}`). */
export function isSingleRestApi(rest: object): boolean {
  return ["basePath", "endpoints", "operations", "defaultPolicy", "include", "exclude", "paths"].some((k) => k in rest);
}

/** The single form must look like one; otherwise named configs would pass as a loose single API, unchecked. */
const singleRestApi = restApi.superRefine((api, ctx) => {
  if (!isSingleRestApi(api)) ctx.addIssue({ code: "invalid_type", expected: "object", input: api, message: "not a single API", continue: false });
});

/** `apis.rest`: one `{basePath, endpoints}` or named configs `{public: {...}, admin: {...}}`. */
const apisConfig = z.looseObject({
  rest: z.union([z.record(z.string(), restApi), singleRestApi]).optional(),
});

export const DOCS_KEYS = ["enabled", "path", "openapiPath"] as const;

const docsRoute = z.string().regex(/^\/[A-Za-z0-9/._-]*[A-Za-z0-9._-]$/, "must be a path such as /docs (not / alone, no trailing /)");

/**
 * `docs:` GET /openapi.json and a Swagger UI page at GET /docs, served by the app itself
 * (compiler/plugins/docs.ts). Absent: only when NODE_ENV=development. `true` or an object:
 * in every environment. `false`: not compiled in.
 */
export const docsConfig = z.union([
  z.boolean(),
  z.literal("development"),
  z.strictObject({
    /** `true` (default for the object form), `false`, or `development` (only when NODE_ENV=development). */
    enabled: z.union([z.boolean(), z.literal("development")]).optional(),
    /** The docs page; default /docs. */
    path: docsRoute.optional(),
    /** The OpenAPI document; default /openapi.json. */
    openapiPath: docsRoute.optional(),
  }),
]);

/**
 * `deployment:`. Loose at the top so sections compiled elsewhere (or not yet) load; the
 * per-target options compiled by targets/ are strict so typos are reported.
 */
const LAYER_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:layer:[A-Za-z0-9_-]+:\d+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Variables Lambda sets itself; a function may not set them. */
const LAMBDA_RESERVED = new Set(["_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR"]);

/** `deployment.lambda.environment`: names Lambda accepts; a value is text or one whole `${VAR}` (a template parameter). */
function checkLambdaEnvironment(env: Record<string, string | number | boolean>, ctx: z.RefinementCtx): void {
  for (const [name, value] of Object.entries(env)) {
    if (!ENV_NAME.test(name)) ctx.addIssue({ code: "custom", path: [name], message: "is not an environment variable name (letters, digits and _, not starting with a digit)" });
    else if (LAMBDA_RESERVED.has(name)) ctx.addIssue({ code: "custom", path: [name], message: "is set by Lambda itself; a function may not set it" });
    const parsed = typeof value === "string" ? parseConfigString(value) : undefined;
    if (parsed?.kind === "env" && (parsed.parts.length !== 1 || "text" in parsed.parts[0]!)) {
      ctx.addIssue({ code: "custom", path: [name], message: `mixes text with \${VAR}; the template passes a whole value: write \`${name}: \${${name}}\` and give it at deploy` });
    }
  }
}

const deploymentConfig = z.looseObject({
  targets: z.array(z.enum(["node", "lambda", "vercel", "netlify", "docker", "workers"])).optional(),
  node: z.strictObject({
    /** PM2 `ecosystem.config.cjs`: `true`, or `{instances: 2 | max}`. */
    pm2: z.union([z.boolean(), z.strictObject({ instances: z.union([z.number().int().positive(), z.literal("max")]).optional() })]).optional(),
    /** A systemd unit: `true`, or `{user, directory}` (the service account and the folder the app is installed in). */
    systemd: z.union([z.boolean(), z.strictObject({ user: z.string().regex(/^[a-z_][a-z0-9_-]*$/, "must be a user name").optional(), directory: z.string().regex(/^\/\S*$/, "must be an absolute path").optional() })]).optional(),
  }).optional(),
  docker: z.strictObject({
    /** Base image of both stages, pinned: `node:20.20.2-bookworm-slim` or `node@sha256:…`. */
    baseImage: z.string().optional(),
    /** Name the image is tagged and pushed as, e.g. `ghcr.io/acme/shop`. */
    image: z.string().regex(/^[a-z0-9][a-z0-9._/:-]*$/, "must be an image name such as ghcr.io/acme/shop").optional(),
  }).optional(),
  workers: z.strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "must be lower-case letters, digits and dashes").optional(),
    compatibilityDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date such as 2026-04-01").optional(),
    /** The Workers plan, for the bundle size limit: free 3 MiB, paid 10 MiB (compressed). */
    plan: z.enum(["free", "paid"]).optional(),
    /** The Hyperdrive configuration's id (`wrangler hyperdrive create`). */
    hyperdriveId: z.string().optional(),
  }).optional(),
  /** The Lambda function (docs/targets.md): compiled into template.yaml and src/lambda.ts. */
  lambda: z.strictObject({
    /** MemorySize in MB. */
    memory: z.number().int("must be a whole number of MB").min(128, "must be at least 128 (MB)").max(10240, "must be at most 10240 (MB)").optional(),
    /** Timeout in seconds. */
    timeout: z.number().int("must be a whole number of seconds").min(1, "must be at least 1 (second)").max(900, "must be at most 900 (seconds): Lambda's limit").optional(),
    /** Layer version ARNs. */
    layers: z.array(z.string().regex(LAYER_ARN, "must be a layer version ARN such as arn:aws:lambda:us-east-1:123456789012:layer:my-layer:3")).optional(),
    /** Environment variables: a value, or `${VAR}` / `${VAR:-default}` (a template parameter given at deploy). */
    environment: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).superRefine(checkLambdaEnvironment).optional(),
    runtime: z.string().regex(/^nodejs\d+\.x$/, "must be a Node.js runtime such as nodejs20.x").optional(),
    architecture: z.enum(["x86_64", "arm64"]).optional(),
    /** Response streaming through a function URL (`streamHandle` from hono/aws-lambda). */
    streaming: z.boolean().optional(),
  }).optional(),
  /** The Vercel function (docs/targets.md): compiled into vercel.json. */
  vercel: z.strictObject({
    functions: z.strictObject({
      /** Memory in MB. */
      memory: z.number().int("must be a whole number of MB").min(128, "must be at least 128 (MB)").max(3009, "must be at most 3009 (MB): Vercel's limit").optional(),
      /** Longest run of one invocation, in seconds. */
      maxDuration: z.number().int("must be a whole number of seconds").min(1, "must be at least 1 (second)").max(900, "must be at most 900 (seconds): Vercel's limit").optional(),
    }).optional(),
    /** Regions the function runs in, e.g. [iad1, fra1]. */
    regions: z.array(z.string().regex(/^[a-z]{3}\d$/, "must be a Vercel region id such as iad1 or fra1")).min(1, "must list at least one region").optional(),
  }).optional(),
  /** How the Node server runs migrations at start (docs/migrations.md). */
  migrations: z.strictObject({
    autoRun: z.boolean().optional(),
    rollbackOnFailure: z.boolean().optional(),
    verifyAfterRun: z.boolean().optional(),
  }).optional(),
});

export const CONFIG_VAR_KEYS = ["type", "required", "default", "values", "enum", "format", "pattern", "min", "max", "minLength", "maxLength", "secret", "description", "example", "envVar"] as const;

/**
 * One `config:` entry (compiler/2-analyze/env-config.ts): `true` (a required string), `false` (an
 * optional string), the shorthand `number = 20` / `url!`, or the long form.
 */
export const configVar = z.union([
  z.boolean(),
  z.string(),
  z.strictObject({
    type: z.enum(["string", "number", "integer", "boolean", "url", "email", "enum"]).optional(),
    required: z.boolean().optional(),
    default: z.union([z.string(), z.number(), z.boolean()]).optional(),
    values: z.array(z.union([z.string(), z.number()])).min(1).optional(),
    enum: z.array(z.union([z.string(), z.number()])).min(1).optional(),
    format: z.enum(["email", "uuid", "url", "hex", "base64", "port"]).optional(),
    pattern: z.string().optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    minLength: z.number().int().nonnegative().optional(),
    maxLength: z.number().int().positive().optional(),
    secret: z.boolean().optional(),
    description: z.string().optional(),
    example: z.union([z.string(), z.number(), z.boolean()]).optional(),
    envVar: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name (letters, digits, _)").optional(),
  }),
  z.null(),
]);


/** Sections compiled by later modules; accepted with a loose shape so real configs load. */
const later = z.unknown().optional();

export const TOP_LEVEL_KEYS = [
  "name", "version", "description", "project", "schemas", "entities", "endpoints", "apis", "operations", "policies",
  "auth", "rateLimit", "rateLimits", "cache", "plugins", "middleware", "realtime", "monitoring", "database", "server",
  "config", "enums", "types", "services", "deployment", "handlerTemplates", "crudOverrides", "storage", "email",
  "queues", "jobs", "security", "logging", "metrics", "tracing", "health", "errorTracking", "docs",
] as const;

export const configSchema = z.strictObject({
  name: z.string().optional(),
  version: z.union([z.string(), z.number()]).optional(),
  description: z.string().optional(),
  project: z.looseObject({ name: z.string().optional(), version: z.union([z.string(), z.number()]).optional() }).optional(),
  schemas: z.record(z.string(), entityDefinition.nullable()).optional(),
  entities: z.record(z.string(), entityDefinition.nullable()).optional(),
  endpoints: z.array(endpointDefinition).optional(),
  apis: apisConfig.optional(),
  operations: later,
  policies: later,
  auth: later,
  rateLimit: later,
  rateLimits: later,
  cache: later,
  plugins: z.union([z.array(z.union([z.string(), z.record(z.string(), z.unknown())])), z.record(z.string(), z.unknown()), z.null()]).optional(),
  middleware: later,
  realtime: later,
  monitoring: later,
  database: databaseConfig.optional(),
  server: z.looseObject({ port: z.union([z.number().int(), z.string()]).optional(), host: z.string().optional() }).optional(),
  /** Typed environment variables, compiled into src/env.ts (compiler/2-analyze/env-config.ts). */
  config: z.record(z.string(), configVar).optional(),
  enums: z.record(z.string(), z.union([z.array(z.string()), z.strictObject({ values: z.array(z.string()), default: z.string().optional() })])).optional(),
  types: z.record(z.string(), z.string()).optional(),
  services: later,
  deployment: deploymentConfig.optional(),
  /** Named declarative handlers with `${param}` placeholders (compiler/2-analyze/handlers/template.ts). */
  handlerTemplates: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  /** `{Product: {POST: {handler: …}}}`: the top-level form of entities' `crudOverrides:`. */
  crudOverrides: z.record(z.string(), z.record(z.string(), crudOverride)).optional(),
  storage: later,
  email: later,
  queues: later,
  jobs: later,
  security: later,
  logging: later,
  metrics: later,
  tracing: later,
  health: later,
  errorTracking: later,
  docs: docsConfig.optional(),
});

export type RawConfig = z.infer<typeof configSchema>;
export type RawEntity = z.infer<typeof entityDefinition>;
export type RawField = z.infer<typeof fieldObject>;
export type RawCrud = z.infer<typeof crudConfig>;
export type RawRelation = z.infer<typeof relationObject>;
export type RawIndex = z.infer<typeof indexDefinition>;
export type RawEndpoint = z.infer<typeof endpointDefinition>;
export type RawValueSpec = z.infer<typeof valueSpec>;

/** The sections compiled by modules that do not exist yet: a warning, not an error. */
export const NOT_YET_COMPILED = ["storage", "email", "queues", "jobs", "security", "logging", "metrics", "tracing", "health", "errorTracking"] as const;

/** Known keys for "did you mean" on a misspelt key, by the shape of the path. */
export function knownKeysAt(path: readonly (string | number)[]): readonly string[] {
  const p = path.map(String);
  if (p.length === 0) return TOP_LEVEL_KEYS;
  if ((p[0] === "entities" || p[0] === "schemas") && p.length === 2) return ENTITY_KEYS;
  if ((p[0] === "entities" || p[0] === "schemas") && p[2] === "fields" && p.length === 4) return FIELD_KEYS;
  if ((p[0] === "entities" || p[0] === "schemas") && p[2] === "relations" && p.length === 4) return RELATION_KEYS;
  if ((p[0] === "entities" || p[0] === "schemas") && p[2] === "crud" && p.length === 3) return CRUD_KEYS;
  if (((p[0] === "entities" || p[0] === "schemas") && p[2] === "crudOverrides" && p.length === 4) || (p[0] === "crudOverrides" && p.length === 3)) return CRUD_OVERRIDE_KEYS;
  if (p.at(-1) === "auth" && p[0] !== "auth") return AUTH_RULE_KEYS;
  if (p[0] === "database" && p.length === 1) return DATABASE_KEYS;
  if (p[0] === "docs" && p.length === 1) return DOCS_KEYS;
  if (p[0] === "config" && p.length === 2) return CONFIG_VAR_KEYS;
  if (p[0] === "deployment" && p[1] === "migrations" && p.length === 2) return ["autoRun", "rollbackOnFailure", "verifyAfterRun"];
  if (p[0] === "deployment" && p[1] === "lambda" && p.length === 2) return ["memory", "timeout", "layers", "environment", "runtime", "architecture", "streaming"];
  if (p[0] === "deployment" && p[1] === "vercel" && p.length === 2) return ["functions", "regions"];
  if (p[0] === "deployment" && p[1] === "vercel" && p[2] === "functions" && p.length === 3) return ["memory", "maxDuration"];
  if (p[0] === "endpoints" && p.length === 2) return ENDPOINT_KEYS;
  if (p[0] === "apis" && p[1] === "rest" && p.at(-2) === "endpoints") return ENDPOINT_KEYS;
  return [];
}
