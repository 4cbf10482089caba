/**
 * The yamac IR: what the analyzer knows about a project once the config is valid.
 *
 * Phases and what they do to the IR:
 *   1-parse    yama.yaml text        -> ParsedConfig (plain data + source positions)
 *   2-analyze  ParsedConfig          -> ProjectIR    (names resolved, types mapped, relations linked)
 *   3-lower    ProjectIR             -> ProjectIR with `routes` filled in (CRUD and, later, declarative
 *                                       handlers become RoutePlans: plain descriptions of the code to emit)
 *   4-emit     ProjectIR             -> OutputFile[] (TypeScript, SQL-free: Drizzle builds the SQL)
 *   5-write    OutputFile[]          -> files on disk (ownership checks, stale-file removal)
 *
 * Every node keeps the SourceLocation it came from so later phases can report errors and
 * generated files can say which yama.yaml line they come from.
 * The IR never holds secrets: values written as ${VAR} stay references to the environment.
 */
import type { SourceLocation } from "./diagnostics.js";

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
  /** Set to now() on every update (updatedAt). */
  autoUpdate: boolean;
  /** The foreign key this column holds, for belongsTo relations. */
  references?: { entity: string; field: string; onDelete: ReferentialAction; onUpdate?: ReferentialAction };
  description?: string;
  loc: SourceLocation;
}

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
  description?: string;
  loc: SourceLocation;
}

export interface DatabaseIR {
  url: ConfigString;
  poolMax: ConfigString | number;
  ssl: "require" | "prefer" | "verify-full" | false;
  dataDir: string;
  migrations: { autoRun: boolean; folder: string };
}

/** A reference to a data shape: an entity (its row), or a named schema from `schemas:`. */
export interface ShapeRef {
  kind: "entity" | "schema";
  name: string;
  array: boolean;
}

/** A field of a named (non-table) schema: a scalar, or a reference to another shape. */
export type SchemaFieldIR = { kind: "scalar"; field: FieldIR; /** May be sent as null (a field with `required: false` may only be left out). */ nullable: boolean } | { kind: "ref"; name: string; ref: ShapeRef; required: boolean; loc: SourceLocation };

/** A `schemas:` entry without a table: request bodies, response DTOs. */
export interface SchemaIR {
  name: string;
  fields: SchemaFieldIR[];
  /** `source: Post`: a projection of an entity (DTO). */
  source?: string;
  loc: SourceLocation;
}

/** What runs when an endpoint is called. */
export type HandlerIR =
  /** A user file outside src/ (`handler: handlers/createOrder.ts`). */
  | { kind: "file"; file: string; exportName: string; loc: SourceLocation }
  /** No handler: inferred from the method and the response entity (smart default). */
  | { kind: "default"; entity: string; operation: "list" | "get" | "create" | "update" | "delete"; loc: SourceLocation }
  /** A declarative handler (`handler: {type: ...}`), lowered by its own pass. */
  | { kind: "declarative"; type: string; config: Readonly<Record<string, unknown>>; loc: SourceLocation };

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
  response?: ShapeRef;
  /** Explicit success status (`status:` or `response.status`). */
  status?: number;
  handler: HandlerIR;
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
  /** Filled by 3-lower. */
  routes: RoutePlan[];
  /** Absolute project folder when compiling from disk (to resolve handler files); absent for in-memory compiles. */
  projectDir?: string;
}
