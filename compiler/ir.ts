/**
 * The yamac IR: what the analyzer knows about a project once the config is valid.
 *
 * Phases and what they do to the IR:
 *   1-parse    yama.yaml text        -> ParsedConfig (plain data + source positions)
 *   2-analyze  ParsedConfig          -> ProjectIR    (names resolved, types mapped, relations linked)
 *   3-lower    ProjectIR             -> ProjectIR with `routes` filled in (CRUD and endpoints become
 *                                       RoutePlans: plain descriptions of the code to emit)
 *   4-emit     ProjectIR             -> OutputFile[] (TypeScript, src/openapi.json, src/sdk/; SQL comes from
 *                                       Drizzle builders or compile-time text, never from input)
 *   5-write    OutputFile[]          -> files on disk (ownership checks, stale-file removal)
 *
 * Plugins (compiler/plugins) validate their options during 2-analyze (PluginUseIR) and add
 * wiring, files and dependencies during 4-emit; targets/ add the platform entries.
 *
 * Every node keeps the SourceLocation it came from so later phases can report errors and
 * generated files can say which yama.yaml line they come from.
 * The IR never holds secrets: values written as ${VAR} stay references to the environment.
 */
import type { SourceLocation } from "./diagnostics.js";
import type { PluginUseIR } from "./plugins/types.js";

/** A string from the config that may reference the environment: resolved at runtime, never inlined. */
export type ConfigString =
  | { kind: "literal"; value: string }
  /** `${NAME}` or `${NAME:-fallback}`, possibly with literal text around it. */
  | { kind: "env"; parts: readonly ({ text: string } | { env: string; fallback?: string })[] };

/** The base types a field may have (yama-format §1.4), normalised (aliases folded). */
export type BaseType =
  | "string" | "text" | "email" | "url" | "phone" | "slug" | "uuid"
  | "smallint" | "integer" | "bigint" | "number" | "decimal" | "money" | "real" | "double"
  | "boolean" | "date" | "time" | "timestamp" | "timestamplocal" | "interval"
  | "json" | "binary" | "base64" | "enum";

export type DefaultValue =
  | { kind: "literal"; value: string | number | boolean | null | readonly unknown[] | Readonly<Record<string, unknown>> }
  /** `now`, `now()`, `current_timestamp`. */
  | { kind: "now" }
  /** `uuid`, `gen_uuid`, `gen_random_uuid()`. */
  | { kind: "uuid" };

export type ReferentialAction = "cascade" | "set null" | "restrict" | "no action" | "set default";

export interface FieldIR {
  /** Property name in TypeScript and in JSON (camelCase, as written). */
  name: string;
  /** Column name in PostgreSQL (snake_case). */
  column: string;
  type: BaseType;
  /** `T[]`: a PostgreSQL array of `type`. */
  array: boolean;
  /** NOT NULL in the database. */
  notNull: boolean;
  primary: boolean;
  /** Value produced by the database (generated uuid, serial, defaultNow). */
  generated: boolean;
  default?: DefaultValue;
  unique: boolean;
  indexed: boolean;
  length?: number;
  minLength?: number;
  maxLength?: number;
  min?: number;
  max?: number;
  pattern?: string;
  enumValues?: readonly string[];
  precision?: number;
  scale?: number;
  /** Not accepted in create/update bodies (also true for timestamps and generated keys). */
  readonly: boolean;
  /** Accepted in bodies, never returned. */
  writeOnly: boolean;
  /** Never returned, never logged. */
  sensitive: boolean;
  /** `writableBy: [admin]`: only callers with one of these roles may set the field in a body (others: 403). */
  writableBy?: readonly string[];
  /** Lowercased by request bodies before it is stored (the auth module's e-mail sign-in field). */
  lowercase?: true;
  /** Set to now() on every update (updatedAt). */
  autoUpdate: boolean;
  /** The foreign key this column holds, for belongsTo relations. */
  references?: { entity: string; field: string; onDelete: ReferentialAction; onUpdate?: ReferentialAction };
  description?: string;
  /** A computed field (`computed:`): a generated column, the concatenation of these parts. */
  computedFrom?: readonly ComputedPart[];
  loc: SourceLocation;
}

/** Literal text, or a column of the same row (a NULL reads as ""). */
export type ComputedPart = { text: string } | { field: string; column: string; nullable: boolean };

export type RelationKind = "belongsTo" | "hasOne" | "hasMany" | "manyToMany";

export interface RelationIR {
  /** Property name, e.g. `author`, `reviews`, `tags`. */
  name: string;
  kind: RelationKind;
  target: string;
  /**
   * belongsTo: the FK field on this entity. hasOne / hasMany: the FK field on the target.
   * manyToMany: unused (see `junction`).
   */
  foreignKey?: string;
  /** The relation on the target that is the other side, when there is one. */
  inverse?: string;
  junction?: JunctionIR;
  /**
   * manyToMany: the junction column that holds this entity's key (the other holds the target's).
   * Only a self-relation pair (`following` / `followers` through one table) has a `to` side.
   */
  junctionSide?: "from" | "to";
  loc: SourceLocation;
}

/** The table a many-to-many relation goes through; emitted once per pair. */
export interface JunctionIR {
  table: string;
  /** Drizzle table constant, e.g. `postTags`. */
  varName: string;
  /** Column pointing at the owning side, e.g. post_id. */
  from: { entity: string; field: string; column: string };
  to: { entity: string; field: string; column: string };
}

export interface IndexIR {
  name: string;
  fields: readonly string[];
  unique: boolean;
  method?: "btree" | "hash" | "gin" | "gist" | "brin";
  /** Why it exists, for the generated comment: declared, fk, unique. */
  origin: "declared" | "foreign-key" | "field";
  loc: SourceLocation;
}

export interface CrudIR {
  basePath: string;
  methods: readonly ("list" | "get" | "create" | "replace" | "update" | "delete")[];
  /** Offset pages, or keyset pages ordered by `cursorField` then the primary key. */
  pagination: { type: "offset" | "cursor"; defaultLimit: number; maxLimit: number; cursorField?: string; direction: "asc" | "desc" };
  /** `POST <basePath>/bulk`: an array body inserted all or nothing. */
  bulk: boolean;
  /** Access rules per operation from `crud.auth` and its method/group keys (absent: the app default). */
  auth?: Partial<Record<CrudIR["methods"][number], AuthRequirementIR>>;
  /** Fields usable as `?field=value` equality filters. */
  filterable: readonly string[];
  /** `?search=`: ILIKE over these fields by mode, or PostgreSQL full-text search. */
  search?: { fields: readonly string[]; mode: "contains" | "starts" | "ends" | "exact"; fullText: boolean };
  /** Fields usable in `?sort=`. */
  sortable: readonly string[];
  loc: SourceLocation;
}

export interface EntityIR {
  name: string;
  /** snake_case plural table name (or `table:` as written). */
  table: string;
  /** Drizzle table constant (camelCase of the table), e.g. `blogPosts`. */
  varName: string;
  /** kebab-case singular, used for file names: `blog-post`. */
  fileName: string;
  fields: FieldIR[];
  primaryKey: string;
  relations: RelationIR[];
  indexes: IndexIR[];
  /** Composite unique constraints from `indexes: [{fields, unique: true}]` stay in `indexes`. */
  softDelete?: { field: string };
  crud?: CrudIR;
  /** Lifecycle hooks (`hooks:`), in the order they run within each phase. */
  hooks?: HookIR[];
  /** Realtime events of its writes (`realtime.entities.<Entity>`, with `@betagors/yama-realtime`). */
  realtime?: EntityEventsIR;
  description?: string;
  loc: SourceLocation;
}

/** The events an entity's writes publish to its realtime channel. */
export interface EntityEventsIR {
  /** The channel clients subscribe to, e.g. `posts`. */
  channel: string;
  events: readonly ("created" | "updated" | "deleted")[];
  /** An update publishes only when it changes one of these fields (absent: every update). */
  watchFields?: readonly string[];
  loc: SourceLocation;
}

/** The moments of a write at which an entity hook runs (`hooks: {beforeCreate: hooks/slug.ts}`). */
export const HOOK_PHASES = ["beforeSave", "beforeCreate", "afterCreate", "beforeUpdate", "afterUpdate", "afterSave", "beforeDelete", "afterDelete"] as const;
export type HookPhase = (typeof HOOK_PHASES)[number];

/** One hook: a function exported by a user file outside src/, called by every generated write of its entity. */
export interface HookIR {
  phase: HookPhase;
  /** Project-relative path of the file, e.g. `hooks/slugify.ts`. */
  file: string;
  /** `default`, or the named export equal to the file's name. */
  exportName: string;
  loc: SourceLocation;
}

/**
 * How migrations run when the Node server starts (`deployment.migrations`, or the older
 * `database.migrations.autoRun`).
 */
export interface MigrationsIR {
  /** src/server.ts applies pending migrations (under a PostgreSQL advisory lock) before it listens. */
  autoRun: boolean;
  /** All pending migrations run in one transaction: one failure leaves the database as it was. Off: each in its own. */
  rollbackOnFailure: boolean;
  /** After applying, compare the live schema with the expected one; a difference fails the start (and, with rollbackOnFailure, undoes the run). */
  verifyAfterRun: boolean;
  /** Where drizzle-kit's migrations (and yamac's .down.sql files) live, relative to the project. */
  folder: string;
}

export interface DatabaseIR {
  url: ConfigString;
  poolMax: ConfigString | number;
  ssl: "require" | "prefer" | "verify-full" | false;
  dataDir: string;
  migrations: MigrationsIR;
}

/** A reference to a data shape: an entity (its row), or a named schema from `schemas:`. */
export interface ShapeRef {
  kind: "entity" | "schema";
  name: string;
  array: boolean;
}

/** A field of a named (non-table) schema: a scalar, or a reference to another shape. */
export type SchemaFieldIR = { kind: "scalar"; field: FieldIR; /** May be sent as null (a field with `required: false` may only be left out). */ nullable: boolean } | { kind: "ref"; name: string; ref: ShapeRef; required: boolean; /** May be null (a projected belongsTo whose foreign key is optional). */ nullable?: boolean; loc: SourceLocation };

/** A `schemas:` entry without a table: request bodies, response DTOs. */
export interface SchemaIR {
  name: string;
  fields: SchemaFieldIR[];
  /** `source: Post`: a projection of an entity (DTO). */
  source?: string;
  /** How a DTO with `source:` is read from its entity; set when the DTO resolves (2-analyze/projections.ts). */
  projection?: ProjectionIR;
  loc: SourceLocation;
}

/**
 * A DTO read from its source entity: exactly its fields are selected, belongsTo paths are
 * joined in the same query, and related rows are loaded with one extra query per relation
 * (never one per row). Emitted as src/projections/<dto>.ts.
 */
export interface ProjectionIR {
  entity: string;
  fields: ProjectionFieldIR[];
}

export type ProjectionFieldIR =
  /**
   * A column of the source entity (`path: []`) or of an entity reached through belongsTo
   * relations (`computed: {authorName: "{{author.name}}"}` gives `path: ["author"]`).
   */
  | {
      kind: "column";
      name: string;
      path: readonly string[];
      field: string;
      /** The value may be null (nullable column, or an optional foreign key on the path). */
      nullable: boolean;
      /** The DTO promises a value where the column may hold null: the column's default stands in. */
      fallback?: string | number | boolean;
    }
  /** Related rows: the target rows whose `remoteField` equals the source row's `localField`. */
  | {
      kind: "relation";
      name: string;
      /** belongsTo and hasOne give one row (or null), hasMany a list. */
      cardinality: "one" | "many";
      target: string;
      /** belongsTo: the foreign key on the source; hasOne/hasMany: the source field it references. */
      localField: string;
      /** belongsTo: the referenced field of the target; hasOne/hasMany: the foreign key on the target. */
      remoteField: string;
      /** The shape of each related row: the target entity, or a DTO whose source is the target. */
      shape: ShapeRef;
      nullable: boolean;
    };

/**
 * No handler: inferred from the method and the response entity (smart default). Every path
 * parameter is bound: to the primary key of the row a get, update or delete works on, or to a
 * field the rows are filtered by (`/folders/:folder/notes` lists the notes whose folder matches).
 */
export interface DefaultHandlerIR {
  kind: "default";
  entity: string;
  operation: "list" | "get" | "create" | "update" | "delete";
  /** The path parameter holding the primary key (get, update, delete by key). */
  idParam?: string;
  /** Path parameters compared with a field of the entity, in path order. */
  pathFilters: readonly { param: string; field: string }[];
  loc: SourceLocation;
}

/** What runs when an endpoint is called. */
export type HandlerIR =
  /** A user file outside src/ (`handler: handlers/createOrder.ts`). */
  | { kind: "file"; file: string; exportName: string; loc: SourceLocation }
  /** No handler: inferred from the method and the response entity (smart default). */
  | DefaultHandlerIR
  /** Declarative handlers (`handler: {type: …}`), each checked by its own analysis module (compiler/2-analyze/handlers/). */
  | QueryHandlerIR
  | RelationHandlerIR
  | AggregateHandlerIR
  | SqlHandlerIR
  | ExpressionHandlerIR
  | WriteHandlerIR
  | OperationHandlerIR;

/*
 * Declarative handlers. Templates (`type: template`, `handlerTemplates:`) are expanded during
 * analysis, so they never reach the IR: an endpoint using one holds the handler it expands to.
 * Every reference to the request (`query.q`, `params.id`, `body.x`) is resolved to the declared
 * input it names, so emitters know its type and whether it may be absent.
 */

/** A request value read by a declarative handler. */
export interface InputRef {
  source: "params" | "query" | "body";
  name: string;
  /** The declared parameter or body field (query fields used by `in`/`notIn` are marked `array`). */
  field: FieldIR;
  /** Present in every valid request (required, or defaulted): no presence test is emitted. */
  required: boolean;
  loc: SourceLocation;
}

/** The value a filter compares with: a request input, or a constant written in the config. */
export type FilterValue =
  | { kind: "input"; input: InputRef }
  | { kind: "literal"; value: string | number | boolean | readonly (string | number | boolean)[] };

export type FilterOperator =
  | "eq" | "ne" | "gt" | "gte" | "lt" | "lte" | "in" | "notIn"
  | "like" | "ilike" | "contains" | "startsWith" | "endsWith" | "isNull" | "between";

/** `{field, operator, param | value}`: one condition of a WHERE. A filter whose input is absent is skipped. */
export interface FilterIR {
  /** Entity field name. */
  field: string;
  operator: FilterOperator;
  /** Absent only for `isNull` without a value (always IS NULL). For `between`, the lower bound. */
  value?: FilterValue;
  /** `between`: the upper bound. */
  upper?: FilterValue;
  loc: SourceLocation;
}

export interface SortTermIR {
  field: string;
  direction: "asc" | "desc";
}

/** ORDER BY: fixed terms, or a `?sort=`-style parameter checked against the entity's fields at runtime. */
export type OrderByIR =
  | { kind: "static"; terms: readonly SortTermIR[] }
  | { kind: "input"; input: InputRef; default?: readonly SortTermIR[] };

/** Offset pagination; the response is the list envelope `{data, pagination}` of CRUD lists. */
export interface PaginationIR {
  /** Integer query parameters (declared, or added to the endpoint's query with defaults). */
  limit: InputRef;
  offset: InputRef;
}

/** `type: query`: rows of one entity, filtered, ordered and optionally paginated. */
export interface QueryHandlerIR {
  kind: "query";
  entity: string;
  filters: readonly FilterIR[];
  orderBy?: OrderByIR;
  pagination?: PaginationIR;
  /** The endpoint declares a single (non-array) response: the first row, or 404. */
  single: boolean;
  loc: SourceLocation;
}

/** `type: relation`: the rows a relation of one parent row points at; 404 when the parent does not exist. */
export interface RelationHandlerIR {
  kind: "relation";
  entity: string;
  relation: string;
  parentId: InputRef;
  /** hasMany and manyToMany only. */
  orderBy?: OrderByIR;
  pagination?: PaginationIR;
  loc: SourceLocation;
}

export interface AggregateOpIR {
  fn: "count" | "sum" | "avg" | "min" | "max";
  /** Absent for `count` of rows. */
  field?: string;
  alias: string;
  loc: SourceLocation;
}

/** `type: aggregate`: one object of aggregates, or one per group with `groupBy`. */
export interface AggregateHandlerIR {
  kind: "aggregate";
  entity: string;
  operations: readonly AggregateOpIR[];
  groupBy: readonly string[];
  filters: readonly FilterIR[];
  loc: SourceLocation;
}

/** `type: sql`: a SQL statement whose placeholders are bound as parameters, never spliced. */
export interface SqlHandlerIR {
  kind: "sql";
  /** The statement as written. */
  text: string;
  /** Text between placeholders, and the input bound at each placeholder (`chunks.length === inputs.length + 1`). */
  chunks: readonly string[];
  inputs: readonly InputRef[];
  /** The statement with placeholders numbered $1…$n (the same input reuses its number), for `yamac check --db`. */
  positional: string;
  /** Offsets in `positional` where each `$n` was put, with the length of the placeholder text it replaced. */
  placeholders: readonly { at: number; length: number; replaced: number }[];
  /** Where each line of `text` starts in the config, when the text is verbatim (literal block or one-line scalar). */
  lines?: readonly { line: number; col: number }[];
  /** The endpoint declares a single (non-array) response: the first row, or 404. */
  single: boolean;
  loc: SourceLocation;
}

/** `type: expression`: inline TypeScript, emitted as a typed function receiving the handler `ctx`. */
export interface ExpressionHandlerIR {
  kind: "expression";
  code: string;
  /** The code is one expression (no `return`): it is returned as is. */
  isExpression: boolean;
  /** Where the code starts in the config, for the comment that points back to it. */
  codeLoc: SourceLocation;
  loc: SourceLocation;
}

/** A check on one body field, from `validate:` of the create/update-with-validation templates. */
export interface ValidationRuleIR {
  field: string;
  min?: number;
  max?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  message?: string;
  loc: SourceLocation;
}

/** The built-in `create-with-validation` / `update-with-validation` templates: a CRUD write with extra checks. */
export interface WriteHandlerIR {
  kind: "write";
  entity: string;
  operation: "create" | "replace" | "update";
  rules: readonly ValidationRuleIR[];
  loc: SourceLocation;
}

export interface EndpointIR {
  /** Identifier used for generated names: `getTodos`, `createOrder`. Unique per project. */
  name: string;
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS";
  /** Full Hono path including the API's basePath, e.g. `/api/v1/todos/:id`. */
  path: string;
  description?: string;
  params: FieldIR[];
  query: FieldIR[];
  /** Body shape: a named schema/entity, or inline fields (a synthetic schema). */
  body?: { ref: ShapeRef } | { inline: SchemaIR };
  /**
   * The body may be left out, and an empty body reads as `{}`: a dialect-B custom operation
   * whose body inputs are all optional (or which has none: its body is then an empty schema).
   */
  bodyOptional?: true;
  /**
   * The body is any subset of the entity's writable fields (its `.partial()` schema): a dialect-B
   * update operation whose body is the entity, with or without a handler file.
   */
  bodyPartial?: true;
  response?: ShapeRef;
  /** Explicit success status (`status:` or `response.status`). */
  status?: number;
  handler: HandlerIR;
  /** Set for `crudOverrides:` entries: this endpoint replaces that CRUD route. */
  crudOverride?: { entity: string; operation: CrudRoutePlan["operation"] };
  /** Dialect B: the operation (`operations:`) this endpoint exposes, and the API (`apis.rest.<api>`) exposing it. */
  operation?: { name: string; api: string };
  /** `rateLimit:` on the endpoint (compiled by the rate-limit plugin). */
  rateLimit?: { max: number; windowMs: number; keyBy?: "ip" | "user" | "both" };
  /**
   * Who may call the endpoint: its own `auth:`, or the API's policy (`defaultPolicy`, `- op: policy`).
   * Absent when neither applies (then the app's default: authenticated when `auth:` is configured).
   * Enforced by the auth module (compiler/plugins/auth).
   */
  auth?: AuthRequirementIR;
  loc: SourceLocation;
}

/** A resolved policy: `auth: false` is `{required: false, roles: [], permissions: []}`. */
export interface AuthRequirementIR {
  required: boolean;
  /** Any one of these roles grants access (empty: no role needed). */
  roles: string[];
  /** Any one of these permissions grants access (empty: none needed). */
  permissions: string[];
  /** The policy name this came from. */
  policy: string;
  /** `provider:` on the rule: only credentials from these providers count (absent: any provider). */
  providers?: string[];
  /**
   * A policy's `where:`: the rows the caller may read, change or delete (others answer 404, as if
   * they did not exist). Applied in the SQL of CRUD routes and operations that use the policy.
   */
  where?: RowConditionIR[];
}

/** One condition of a row policy (`where: {authorId: auth.user.id}`). */
export interface RowConditionIR {
  /** Entity field the rows are compared on. */
  field: string;
  /** The caller's id (`claim: "id"`) or another claim of their token; or a constant. */
  value: { kind: "caller"; claim: string } | { kind: "literal"; value: string | number | boolean | null };
  loc: SourceLocation;
}

/**
 * A dialect-B operation without a handler file: what it does follows from its name
 * (listX, getX, searchX, createX, updateX, deleteX), its `parent:`, `filter:` and inputs.
 * Emitted by 4-emit/operations.ts.
 */
export interface OperationHandlerIR {
  kind: "operation";
  action: "list" | "search" | "get" | "create" | "update" | "delete";
  entity: string;
  /** Nested under a parent row: the parent must exist (404 otherwise) and rows are those whose `foreignKey` holds the `param`. */
  parent?: { entity: string; param: string; foreignKey: string };
  /** `filter: {published: true}`: conditions every row read, changed or deleted must meet. */
  filter: readonly { field: string; value: string | number | boolean | null }[];
  /** Query parameters (list, search) compared by equality with the entity field of the same name. */
  queryFilters: readonly string[];
  /** A query parameter matched (ILIKE, anywhere, wildcards escaped) against these text fields. */
  search?: { param: string; fields: readonly string[] };
  /** Paging query parameters of list and search. */
  paging?: { limit: string; offset: string };
  loc: SourceLocation;
}

/** One HTTP route to emit, produced by a lowering pass. */
export type RoutePlan = CrudRoutePlan | EndpointRoutePlan;

export interface EndpointRoutePlan {
  kind: "endpoint";
  endpoint: EndpointIR;
}

export interface CrudRoutePlan {
  kind: "crud";
  operation: "list" | "get" | "create" | "replace" | "update" | "delete";
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Hono path, e.g. `/products/:id`. */
  path: string;
  entity: string;
  loc: SourceLocation;
}

/** Targets compiled besides node. */
export type TargetName = "docker" | "lambda" | "netlify" | "vercel" | "workers";

export interface DeploymentIR {
  /** Process-manager files for the Node server: PM2 `ecosystem.config.cjs`, a systemd unit. */
  node: { pm2?: { instances: number | "max" }; systemd?: { user: string; directory: string } };
  /** `deployment.docker`: the pinned base image of both stages, and the image name `yamac deploy` pushes. */
  docker: { baseImage: string; image: string };
  /** `deployment.workers`: the Worker's name, compatibility date, and the plan whose bundle size limit applies. */
  workers: { name: string; compatibilityDate: string; plan: "free" | "paid"; hyperdriveId?: string };
  /**
   * `deployment.lambda`, with defaults: compiled into template.yaml (SAM) and src/lambda.ts.
   * `environment` values are literal text or a template parameter (`${VAR}` becomes a parameter
   * given at deploy, with `${VAR:-default}`'s default). `poolVar` (DATABASE_POOL_MAX) is the
   * variable the database client reads its pool size from, set to 2 in the template; absent when
   * `database.pool.max` is configured (then that setting decides).
   */
  lambda: {
    memory: number;
    timeout: number;
    layers: string[];
    environment: { name: string; value: string | { parameter: string; env: string; default?: string } }[];
    runtime: string;
    architecture: "x86_64" | "arm64";
    streaming: boolean;
    poolVar?: string;
  };
  /** `deployment.vercel`: the api function's memory (MB) and maxDuration (s), and the regions (vercel.json). */
  vercel: { memory: number; maxDuration: number; regions?: string[] };
  /** Where each target is listed in the config (targets given on the command line point at the top of the file). */
  locations: Partial<Record<TargetName | "node", SourceLocation>>;
}

/** One `config:` entry: an environment variable the app reads, checked at start (src/env.ts). */
export interface ConfigVarIR {
  /** The property name in `env` / `ctx.config` (the key under `config:`). */
  name: string;
  /** The environment variable read (`envVar:`, default the key). */
  envVar: string;
  type: "string" | "number" | "integer" | "boolean" | "url" | "email" | "enum";
  required: boolean;
  /** A default used when the variable is unset (typed like the variable). */
  default?: string | number | boolean;
  /** `enum` values. */
  values?: string[];
  /** Extra string checks: `email`, `uuid`, `url`, `hex`, `base64`; for numbers `port`. */
  format?: "email" | "uuid" | "url" | "hex" | "base64" | "port";
  /** A regular expression a string must match. */
  pattern?: string;
  /** Bounds: length for strings, value for numbers. */
  min?: number;
  max?: number;
  /** Never printed: .env.example gets no example value, error messages never show the value. */
  secret: boolean;
  description?: string;
  /** An example value for .env.example (never for secrets). */
  example?: string;
  loc: SourceLocation;
}

/** A `${VAR}` / `${VAR:-default}` in the config. */
export interface EnvReferenceIR {
  env: string;
  fallback?: string;
  /** The config path that references it, e.g. `auth.providers.0.secret`. */
  path: string;
  loc: SourceLocation;
}

export interface ProjectIR {
  name: string;
  version: string;
  /** The config file name as the user knows it (e.g. `yama.yaml`). */
  configFile: string;
  entities: EntityIR[];
  junctions: JunctionIR[];
  /** Named schemas without a table (`schemas:` entries with no `database:`). */
  schemas: SchemaIR[];
  endpoints: EndpointIR[];
  database: DatabaseIR;
  server: { port: ConfigString | number };
  /** Deployment targets besides node (always emitted), sorted. */
  targets: TargetName[];
  /** Per-target options from `deployment:` (and the `--pm2` / `--systemd` flags). */
  deployment: DeploymentIR;
  /** Plugins the config enables, with validated options (compiler/plugins). */
  plugins: PluginUseIR[];
  /** The typed environment variables of `config:` (compiled into src/env.ts), sorted by name. */
  config: ConfigVarIR[];
  /** Every `${VAR}` the config references, with where (for .env.example), sorted by name. */
  envReferences: EnvReferenceIR[];
  /** The environment whose overlay (`yama.<env>.yaml`) was merged, if any. Set by compileProject; emitted code never depends on it. */
  environment?: string;
  /** Filled by 3-lower. */
  routes: RoutePlan[];
  /** Absolute project folder when compiling from disk (to resolve handler files); absent for in-memory compiles. */
  projectDir?: string;
}
