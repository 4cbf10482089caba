/**
 * Dialect B: `operations:`, `policies:` and the `operations` of `apis.rest.<name>`, normalised
 * into EndpointIR. An operation's name says what it does and where it is served:
 *
 *   listPosts      GET    /posts                  searchPosts   GET  /posts/search
 *   getPost        GET    /posts/:id              createPost    POST /posts
 *   updatePost     PUT    /posts/:id              deletePost    DELETE /posts/:id
 *   publishPost    POST   /posts/:id/publish      (any other verb; `id` comes from the input)
 *   listComments + parent: Post   GET /posts/:postId/comments (filtered by the parent, 404 without it)
 *
 * Each API exposing an operation gets its own route under its basePath, with the policy it
 * assigns resolved into `EndpointIR.auth` (enforced by the auth module, compiler/plugins/auth).
 */
import { closest, type DiagnosticBag, type SourceLocation } from "../diagnostics.js";
import type { AuthRequirementIR, EndpointIR, EntityIR, FieldIR, HandlerIR, OperationHandlerIR, SchemaFieldIR, SchemaIR, ShapeRef } from "../ir.js";
import type { ConfigPath, ParsedConfig } from "../1-parse/parse.js";
import { isSingleRestApi, type RawConfig, type RawValueSpec } from "./config-schema.js";
import { parseValue, resolveHandlerFile, resolveShape, type ProjectHost } from "./endpoints.js";
import type { FieldContext } from "./entities.js";
import { checkPolicyFields, isDeclaredPolicy } from "./policies.js";
import { typeText, visibleFields } from "./projections.js";
import { camelCase, kebabCase, pascalCase, pluralize, pluralWords, STRING_TYPES, wordsOf } from "./types.js";

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

type Action = OperationHandlerIR["action"] | "custom";

const PREFIXES: Readonly<Record<string, Action>> = { list: "list", get: "get", search: "search", find: "search", create: "create", update: "update", delete: "delete" };
const METHODS: Readonly<Record<Action, EndpointIR["method"]>> = { list: "GET", get: "GET", search: "GET", create: "POST", update: "PUT", delete: "DELETE", custom: "POST" };
const OPERATION_KEYS = ["input", "output", "handler", "parent", "filter", "path", "description", "summary", "hooks", "tags", "deprecated"];
const API_KEYS = ["basePath", "enabled", "endpoints", "operations", "defaultPolicy", "include", "exclude", "paths", "description", "name", "version"];
const ENTRY_KEYS = ["operation", "policy", "path", "description"];
/** Input names that are a search term rather than a filter. */
const SEARCH_PARAMS = ["q", "query", "search", "term", "keyword", "keywords"];
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
const TEXT_TYPES = STRING_TYPES;

/** An operation as analysed once, before any API exposes it. */
interface Operation {
  name: string;
  path: ConfigPath;
  loc: SourceLocation;
  method: EndpointIR["method"];
  /** Relative to the API's basePath, Hono style (`/posts/:id`). */
  route: string;
  params: FieldIR[];
  query: FieldIR[];
  body?: { ref: ShapeRef } | { inline: SchemaIR };
  /** See EndpointIR.bodyOptional. */
  bodyOptional?: true;
  /** See EndpointIR.bodyPartial. */
  bodyPartial?: true;
  /** A create's required columns its input leaves out: an error unless the exposing policy's `where:` sets the column. */
  unsetRequired?: { column: string; report: () => void }[];
  response?: ShapeRef;
  status?: number;
  handler: HandlerIR;
  description?: string;
}

interface Analysis {
  parsed: ParsedConfig;
  diagnostics: DiagnosticBag;
  ctx: FieldContext;
  entities: readonly EntityIR[];
  byName: ReadonlyMap<string, EntityIR>;
  schemas: ReadonlyMap<string, SchemaIR>;
  schemaNames: Set<string>;
  host: ProjectHost | undefined;
}

const hint = (name: string, candidates: Iterable<string>, otherwise?: string): string | undefined => {
  const s = closest(name, candidates);
  return s ? `did you mean "${s}"?` : otherwise;
};

const honoPath = (path: string) => path.replace(/\{([A-Za-z_]\w*)\}/g, ":$1");
const pathParams = (path: string) => [...path.matchAll(/:([A-Za-z_]\w*)/g)].map((m) => m[1]!);
const sameWords = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((w, i) => w === b[i]);

/** The entity `words` name, singular or plural (`post`, `posts`, `blog posts`; `people` or `persons`). */
function entityOf(words: readonly string[], entities: readonly EntityIR[]): EntityIR | undefined {
  return entities.find((e) => sameWords(words, wordsOf(e.name)) || sameWords(words, pluralWords(e.name)) || sameWords(words, pluralWords(e.name, false)));
}

/** The longest tail of `words` that names an entity, and where it starts. */
function entitySuffix(words: readonly string[], entities: readonly EntityIR[]): { entity: EntityIR; at: number } | undefined {
  for (let at = 0; at < words.length; at++) {
    const entity = entityOf(words.slice(at), entities);
    if (entity) return { entity, at };
  }
  return undefined;
}

/** kebab-case with the last word plural: `published posts` → `published-posts`. */
function pluralSegment(words: readonly string[]): string {
  const out = [...words];
  const last = out.at(-1)!;
  if (!/s$/.test(last)) out[out.length - 1] = pluralize(last);
  return out.join("-");
}

/** The entity's primary key as a path parameter named `name`. */
function keyParam(entity: EntityIR, name: string, loc: SourceLocation): FieldIR {
  const pk = entity.fields.find((f) => f.name === entity.primaryKey)!;
  return { ...pk, name, column: name, notNull: true, primary: false, generated: false, unique: false, indexed: false, default: undefined, references: undefined, readonly: false, autoUpdate: false, loc };
}

/** The TypeScript-level type of a field, for comparing inputs and filters with entity fields. */
function kind(f: FieldIR): string {
  if (f.array) return "array";
  if (TEXT_TYPES.has(f.type) || ["uuid", "date", "time", "interval", "money", "binary", "base64"].includes(f.type)) return "string";
  if (["smallint", "integer", "bigint", "number", "decimal", "real", "double"].includes(f.type)) return "number";
  if (f.type === "timestamp" || f.type === "timestamplocal") return "timestamp";
  return f.type;
}

/**
 * An input that writes a column, validated as the column is: its type (an `int` input of an
 * `int16` column takes what a smallint holds), and the stricter of each bound the two declare
 * (length, range, size); the input keeps its own required-ness and default, and its pattern
 * where it gives one. A looser redeclaration (`handle: string!` of `string(3..20)!`) never lets
 * a request store what the entity's own routes refuse.
 */
function narrowedTo(column: FieldIR, input: FieldIR): FieldIR {
  const most = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.max(a, b));
  const least = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.min(a, b));
  // Plain text keeps the input's own type (a `string` input of a `text` column stays within 255);
  // any other column type (a format such as email, a smaller integer, a decimal's size) is the column's.
  const plainText = column.type === "string" || column.type === "text";
  const out: FieldIR = { ...input, type: plainText ? input.type : column.type, array: column.array };
  if (column.precision !== undefined) out.precision = column.precision;
  if (column.scale !== undefined) out.scale = column.scale;
  if (column.enumValues !== undefined) out.enumValues = column.enumValues;
  if (column.pattern !== undefined && input.pattern === undefined) out.pattern = column.pattern;
  const minLength = most(column.minLength, input.minLength);
  const maxLength = least(column.maxLength ?? column.length, input.maxLength ?? input.length);
  const min = most(column.min, input.min);
  const max = least(column.max, input.max);
  if (minLength !== undefined) out.minLength = minLength;
  if (maxLength !== undefined) out.maxLength = maxLength;
  if (min !== undefined) out.min = min;
  if (max !== undefined) out.max = max;
  if (input.type === "enum" && input.enumValues !== undefined) out.enumValues = input.enumValues;
  return out;
}

/** An input's values can be stored in (or compared with) the column: same kind, and an enum's values among the column's. */
function fits(input: FieldIR, column: FieldIR): boolean {
  if (kind(input) !== kind(column) || input.array !== column.array) return false;
  return input.type !== "enum" || (input.enumValues ?? []).every((v) => column.enumValues?.includes(v));
}

// ---------------------------------------------------------------------------------------------
// operations:

function readInputs(op: string, raw: unknown, path: ConfigPath, allowRefs: boolean, a: Analysis): { fields: SchemaFieldIR[]; schema?: ShapeRef } | undefined {
  if (raw === undefined || raw === null) return { fields: [] };
  if (typeof raw === "string") {
    const ref = resolveShape(raw, a.parsed.locate(path), a.ctx, a.schemaNames, a.diagnostics);
    if (!ref) return undefined;
    if (ref.array) {
      a.diagnostics.error("bad-operation-input", `the input of ${op} is a list; an input is one object`, a.parsed.locate(path));
      return undefined;
    }
    if (ref.kind === "entity") return { fields: [], schema: ref };
    return { fields: a.schemas.get(ref.name)!.fields.map((f) => (f.kind === "scalar" ? { ...f, field: { ...f.field } } : f)), schema: ref };
  }
  if (!isRecord(raw)) {
    a.diagnostics.error("bad-value", `the input of ${op} should be a mapping of fields (\`q: string!\`) or a schema name`, a.parsed.locate(path));
    return undefined;
  }
  const fields: SchemaFieldIR[] = [];
  for (const [name, def] of Object.entries(raw)) {
    const f = parseValue(op, name, def as RawValueSpec, [...path, name], a.ctx, allowRefs);
    if (f) fields.push(f);
  }
  return { fields };
}

/** `limit`/`offset` inputs become bounded integers, whatever numeric type they were declared with. */
function pagingField(field: FieldIR | undefined, name: "limit" | "offset", loc: SourceLocation): FieldIR {
  const base: FieldIR = field ? { ...field } : { name, column: name, type: "integer", array: false, notNull: false, primary: false, generated: false, unique: false, indexed: false, readonly: false, writeOnly: false, sensitive: false, autoUpdate: false, loc };
  base.type = "integer";
  base.min = Math.max(base.min ?? (name === "limit" ? 1 : 0), name === "limit" ? 1 : 0);
  if (name === "limit") base.max = Math.min(base.max ?? MAX_LIMIT, MAX_LIMIT);
  const fallback = name === "limit" ? Math.min(DEFAULT_LIMIT, base.max ?? MAX_LIMIT) : 0;
  const given = base.default?.kind === "literal" && typeof base.default.value === "number" ? Math.trunc(base.default.value) : undefined;
  base.default = { kind: "literal", value: given ?? fallback };
  base.notNull = false;
  return base;
}

function analyzeOperation(name: string, raw: unknown, a: Analysis): Operation | undefined {
  const { parsed, diagnostics } = a;
  const path: ConfigPath = ["operations", name];
  const loc = parsed.locate(path, "key");
  if (!/^[a-z][A-Za-z0-9]*$/.test(name)) {
    diagnostics.error("bad-operation-name", `operation name "${name}" must be camelCase (a verb and an entity, e.g. listPosts)`, loc);
    return undefined;
  }
  let long: Record<string, unknown>;
  if (raw === null) long = { output: null };
  else if (typeof raw === "string") long = { output: raw };
  else if (isRecord(raw)) long = raw;
  else {
    diagnostics.error("bad-value", `operation ${name} should be an output type (\`${name}: Post\`), ~, or a mapping`, parsed.locate(path));
    return undefined;
  }
  const valuePath = typeof raw === "string" || raw === null ? path : undefined;
  let ok = true;
  if (isRecord(raw)) {
    for (const key of Object.keys(raw)) {
      if (!OPERATION_KEYS.includes(key)) {
        diagnostics.error("unknown-key", `unknown key "${key}" in operation ${name}`, parsed.locate([...path, key], "key"), hint(key, OPERATION_KEYS, `allowed here: ${OPERATION_KEYS.join(", ")}`));
        ok = false;
      }
    }
    if (raw.hooks !== undefined) diagnostics.warn("not-yet-compiled", `hooks of operation ${name} are not compiled by this version of yamac; they are ignored`, parsed.locate([...path, "hooks"], "key"));
  }

  const words = wordsOf(name);
  const action: Action = PREFIXES[words[0]!] ?? "custom";
  let rest = words.slice(1);

  // Handler.
  let handler: HandlerIR | undefined;
  const handlerLoc = parsed.locate([...path, "handler"]);
  if (typeof long.handler === "string") {
    handler = resolveHandlerFile(long.handler, handlerLoc, a.host, diagnostics);
    if (!handler) ok = false;
  } else if (long.handler !== undefined) {
    diagnostics.error("not-yet-compiled", `declarative handlers on operations are not compiled by this version of yamac`, handlerLoc, "write the handler as a TypeScript file (`handler: src/handlers/<name>.ts`), or declare the route under `endpoints:`");
    ok = false;
  }

  // Parent.
  let parent: EntityIR | undefined;
  if (long.parent !== undefined) {
    const at = parsed.locate([...path, "parent"]);
    if (typeof long.parent !== "string") {
      diagnostics.error("bad-value", `parent of ${name} should be an entity name`, at);
      ok = false;
    } else {
      parent = a.byName.get(long.parent);
      if (!parent) {
        diagnostics.error("unknown-entity", `parent of ${name} is ${long.parent}, which is not an entity`, at, hint(long.parent, a.byName.keys(), "name an entity (a schema with `database:`)"));
        ok = false;
      } else {
        const parentWords = wordsOf(parent.name);
        if (sameWords(rest.slice(0, parentWords.length), parentWords) && rest.length > parentWords.length) rest = rest.slice(parentWords.length);
      }
    }
  }

  // Output.
  let output: ShapeRef | undefined;
  const outputPath = valuePath ?? [...path, "output"];
  if (typeof long.output === "string") {
    output = resolveShape(long.output, parsed.locate(outputPath), a.ctx, a.schemaNames, diagnostics);
    if (!output) ok = false;
  } else if (long.output !== undefined && long.output !== null) {
    diagnostics.error("bad-value", `the output of ${name} should be a type name (Post, PostSummary[]) or ~`, parsed.locate(outputPath));
    ok = false;
  }
  const outputEntityName = output ? (output.kind === "entity" ? output.name : a.schemas.get(output.name)?.source) : undefined;
  const outputEntity = outputEntityName === undefined ? undefined : a.byName.get(outputEntityName);

  // Entity: from the name (its longest tail naming one), else from the output.
  const suffix = entitySuffix(rest, a.entities);
  const named = suffix?.entity;
  const entity = named ?? outputEntity;
  if (named && outputEntity && named !== outputEntity && !handler && action !== "delete") {
    diagnostics.error("bad-operation-output", `${name} works on ${named.name}, but its output ${output!.name} is ${output!.kind === "entity" ? "another entity" : `a view of ${outputEntity.name}`}`, parsed.locate(outputPath), `output ${named.name}${output!.array ? "[]" : ""} or a DTO with \`source: ${named.name}\`, or add a handler`);
    ok = false;
  }
  // (A handler that was given but is unusable has its own error already.)
  if (!entity && !handler && long.handler === undefined) {
    const guess = pascalCase(rest.join(" ") || name);
    // Plural names first when the guess is plural, so listPots suggests listPosts.
    const singular = a.entities.map((e) => e.name);
    const plural = a.entities.map((e) => pascalCase(pluralWords(e.name).join(" ")));
    const s = closest(guess, guess.endsWith("s") ? [...plural, ...singular] : [...singular, ...plural]);
    diagnostics.error("unknown-entity", `cannot tell which entity ${name} works on: "${guess}" is not an entity`, loc, s ? `did you mean "${words[0]}${s}"?` : `name it after an entity (${a.entities.slice(0, 3).map((e) => `${words[0]}${e.name}`).join(", ") || "listPosts"}), or add a handler`);
    return undefined;
  }
  if (!named && entity && rest.length > 0) {
    const guess = pascalCase(rest.join(" "));
    const s = closest(guess, a.entities.flatMap((e) => [e.name, pascalCase(pluralWords(e.name).join(" "))]));
    if (s && s !== guess) diagnostics.warn("operation-name", `${name}: "${guess}" is not an entity; the operation works on ${entity.name} (from its output)`, loc, `did you mean "${words[0]}${s}"?`);
  }
  if (entity && parent && entity === parent && action !== "custom") {
    diagnostics.error("bad-parent", `${name} is nested under its own entity ${parent.name}`, parsed.locate([...path, "parent"]), "remove `parent:`");
    return undefined;
  }

  // Path segments.
  let segment: string;
  let verb: string | undefined;
  if (action === "custom") {
    // The words before the entity's: publishPost → publish, archiveOldPosts → archive-old.
    if (suffix) verb = [words[0]!, ...rest.slice(0, suffix.at)].join("-");
    segment = suffix ? kebabCase(pluralWords(suffix.entity.name).join(" ")) : kebabCase(name);
  } else if (rest.length === 0 || (suffix?.at === 0 && entity === suffix.entity)) {
    segment = entity ? kebabCase(pluralWords(entity.name).join(" ")) : pluralSegment(rest.length ? rest : [words[0]!]);
  } else segment = pluralSegment(rest);

  // Parent link: the belongsTo of the entity pointing at the parent.
  let parentLink: { entity: EntityIR; fk: FieldIR; param: string } | undefined;
  if (parent && entity) {
    const links = entity.relations.filter((r) => r.kind === "belongsTo" && r.target === parent!.name);
    const link = links.find((r) => r.name === camelCase(parent!.name)) ?? (links.length === 1 ? links[0] : undefined);
    if (!link) {
      diagnostics.error("bad-parent", links.length ? `${entity.name} points at ${parent.name} through ${links.length} relations; yamac cannot tell which one ${name} follows` : `${name} is nested under ${parent.name}, but ${entity.name} has no belongsTo relation to ${parent.name}`, parsed.locate([...path, "parent"]), links.length ? undefined : `add \`${camelCase(parent.name)}: ${parent.name}!\` to ${entity.name}`);
      return undefined;
    }
    parentLink = { entity: parent, fk: entity.fields.find((f) => f.name === link.foreignKey)!, param: `${camelCase(parent.name)}Id` };
  }

  // Inputs.
  const writes = action === "create" || action === "update" || action === "custom";
  const inputPath = [...path, "input"];
  const inputs = readInputs(name, long.input, inputPath, writes, a);
  if (!inputs) return undefined;
  const inputField = (n: string) => inputs.fields.find((f): f is Extract<SchemaFieldIR, { kind: "scalar" }> => f.kind === "scalar" && f.field.name === n);
  const fieldLoc = (n: string) => (typeof long.input === "string" ? parsed.locate(inputPath) : parsed.locate([...inputPath, n], "key"));

  const params: FieldIR[] = [];
  if (parentLink) params.push(keyParam(parentLink.entity, parentLink.param, loc));
  const needsId = action === "get" || action === "update" || action === "delete";
  const idInput = entity ? inputField("id") ?? (entity.primaryKey !== "id" ? inputField(entity.primaryKey) : undefined) : inputField("id");
  const takesId = needsId || (action === "custom" && idInput !== undefined);
  if (takesId) {
    let id: FieldIR;
    if (idInput) {
      id = { ...idInput.field, name: "id", notNull: true, default: undefined };
      if (entity) {
        const pk = entity.fields.find((f) => f.name === entity!.primaryKey)!;
        if (kind(pk) !== kind(id)) {
          diagnostics.error("bad-operation-input", `${name}: input ${idInput.field.name} is ${typeText(idInput.field)}, but ${entity.name}.${pk.name} is ${typeText(pk)}`, fieldLoc(idInput.field.name), `declare it as ${typeText(pk)}`);
          ok = false;
        }
      }
    } else id = entity ? keyParam(entity, "id", loc) : { name: "id", column: "id", type: "string", array: false, notNull: true, primary: false, generated: false, unique: false, indexed: false, readonly: false, writeOnly: false, sensitive: false, autoUpdate: false, maxLength: 255, loc };
    params.push(id);
  }
  const remaining = inputs.fields.filter((f) => !(takesId && f === idInput) && !(f.kind === "scalar" && parentLink && f.field.name === parentLink.param));

  // Route.
  const base = `${parentLink ? `/${kebabCase(pluralWords(parentLink.entity.name).join(" "))}/:${parentLink.param}` : ""}/${segment}`;
  let route: string;
  // A custom operation whose name names no entity is served at its own name (`/send-newsletter`).
  if (action === "custom") route = `${base}${takesId ? "/:id" : ""}${verb ? `/${verb}` : ""}`;
  else if (action === "search") route = `${base}/search`;
  else route = needsId ? `${base}/:id` : base;
  if (long.path !== undefined) {
    const at = parsed.locate([...path, "path"]);
    const custom = checkRoute(long.path, route, `${name}`, at, a);
    if (custom === undefined) ok = false;
    else route = custom;
  }

  // Query and body.
  const query: FieldIR[] = [];
  let body: Operation["body"];
  let bodyOptional: true | undefined;
  /** Required columns a create's input leaves out (see Operation.unsetRequired). */
  const unsetRequired: NonNullable<Operation["unsetRequired"]> = [];
  let opHandler: OperationHandlerIR | undefined;
  const filter: { field: string; value: string | number | boolean | null }[] = [];
  if (long.filter !== undefined) {
    const at = [...path, "filter"];
    if (!isRecord(long.filter)) {
      diagnostics.error("bad-value", `filter of ${name} should be a mapping of fields to values, e.g. {published: true}`, parsed.locate(at));
      ok = false;
    } else if (entity) {
      for (const [field, value] of Object.entries(long.filter)) {
        const f = entity.fields.find((x) => x.name === field);
        const vloc = parsed.locate([...at, field]);
        if (!f) {
          diagnostics.error("unknown-field", `filter of ${name} names ${field}, which is not a field of ${entity.name}`, parsed.locate([...at, field], "key"), hint(field, entity.fields.map((x) => x.name)));
          ok = false;
          continue;
        }
        const matches = value === null ? !f.notNull
          : typeof value === "boolean" ? kind(f) === "boolean"
          : typeof value === "number" ? kind(f) === "number"
          : typeof value === "string" ? (f.type === "enum" ? f.enumValues?.includes(value) === true : kind(f) === "string" || kind(f) === "timestamp")
          : false;
        if (!matches || f.array) {
          diagnostics.error("bad-filter", `filter ${field}: ${JSON.stringify(value)} does not fit ${entity.name}.${field} (${typeText(f)}${f.notNull ? ", required" : ""})`, vloc, f.type === "enum" ? `one of: ${f.enumValues?.join(", ")}` : undefined);
          ok = false;
          continue;
        }
        filter.push({ field, value: value as string | number | boolean | null });
      }
      if (handler || action === "create" || action === "custom") diagnostics.warn("filter-ignored", `filter of ${name} is not applied: ${handler ? "its handler decides what to read" : `${action} operations read no rows`}`, parsed.locate(at, "key"));
    }
  }

  if (action === "list" || action === "search" || action === "get" || action === "delete") {
    const queryFilters: string[] = [];
    let search: OperationHandlerIR["search"];
    let limit: FieldIR | undefined;
    let offset: FieldIR | undefined;
    for (const f of remaining) {
      if (f.kind !== "scalar") continue; // refs were reported by parseValue
      const n = f.field.name;
      const paging = action === "list" || action === "search";
      if (paging && (n === "limit" || n === "offset")) {
        if (kind(f.field) !== "number") {
          diagnostics.error("bad-operation-input", `${name}: ${n} is a page size or position and must be a number`, fieldLoc(n));
          ok = false;
        }
        if (n === "limit") limit = pagingField(f.field, "limit", f.field.loc);
        else offset = pagingField(f.field, "offset", f.field.loc);
        continue;
      }
      query.push(f.field);
      const column = entity?.fields.find((x) => x.name === n);
      if (paging && !column && SEARCH_PARAMS.includes(n) && TEXT_TYPES.has(f.field.type) && !f.field.array) {
        search = { param: n, fields: [] };
        continue;
      }
      if (column && !column.writeOnly && !column.sensitive && !column.array && column.type !== "json" && column.type !== "binary") {
        if (!fits(f.field, column)) {
          diagnostics.error("bad-operation-input", `${name}: input ${n} is ${typeText(f.field)}, but ${entity!.name}.${n} is ${typeText(column)}`, fieldLoc(n), `declare it as ${typeText(column)}`);
          ok = false;
        }
        queryFilters.push(n);
        continue;
      }
      if (!handler) diagnostics.warn("unused-input", `${name}: input ${n} is validated but not used${entity ? ` (it is not a field of ${entity.name}${paging ? " nor a search term" : ""})` : ""}`, fieldLoc(n), paging ? `name a field of ${entity?.name ?? "the entity"} to filter by it, call the search term ${SEARCH_PARAMS.slice(0, 2).join(" or ")}, or add a handler` : "add a handler to use it");
    }
    if (action === "list" || action === "search") {
      query.push(limit ?? pagingField(undefined, "limit", loc), offset ?? pagingField(undefined, "offset", loc));
    }
    if (search && entity) {
      const fields = entity.crud?.search?.fields ?? visibleFields(entity).filter((f) => TEXT_TYPES.has(f.type) && !f.array).map((f) => f.name);
      if (fields.length === 0) {
        diagnostics.error("bad-operation-input", `${name}: ${entity.name} has no text fields for ${search.param} to search`, fieldLoc(search.param));
        ok = false;
      }
      search = { param: search.param, fields };
    } else if (action === "search" && !handler) {
      diagnostics.warn("unused-input", `${name} declares no search term; it lists ${entity?.name ?? ""} rows like a list operation`, loc, `add an input such as \`q: string!\``);
    }
    if (!handler && entity) {
      opHandler = {
        kind: "operation", action, entity: entity.name, filter, queryFilters, loc,
        ...(parentLink ? { parent: { entity: parentLink.entity.name, param: parentLink.param, foreignKey: parentLink.fk.name } } : {}),
        ...(search ? { search } : {}),
        ...(action === "list" || action === "search" ? { paging: { limit: "limit", offset: "offset" } } : {}),
      };
    }
  } else {
    // create, update, custom: the inputs are the body.
    const scalars = remaining.filter((f): f is Extract<SchemaFieldIR, { kind: "scalar" }> => f.kind === "scalar");
    if (inputs.schema?.kind === "entity") body = { ref: inputs.schema };
    else if (inputs.schema && remaining.length === inputs.fields.length) body = { ref: inputs.schema };
    else if (remaining.length > 0) {
      const inline: SchemaIR = { name: `${pascalCase(name)}Input`, fields: remaining, loc: parsed.locate(inputPath, "key") };
      if (a.schemaNames.has(inline.name)) inline.name = `${pascalCase(name)}OperationInput`;
      body = { inline };
    } else if (action === "custom") {
      // No inputs left for the body (none declared, or all in the path): the body may only be empty or `{}`.
      body = { inline: { name: `${pascalCase(name)}Input`, fields: [], loc: long.input === undefined ? loc : parsed.locate(inputPath, "key") } };
      if (a.schemaNames.has(body.inline.name)) body.inline.name = `${pascalCase(name)}OperationInput`;
    } else if (entity) body = { ref: { kind: "entity", name: entity.name, array: false } };
    // A custom operation whose body inputs are all optional may be called without a body.
    if (action === "custom" && !remaining.some((f) => (f.kind === "scalar" ? f.field.notNull && f.field.default === undefined : f.required))) bodyOptional = true;
    if (!handler && entity && action !== "custom") {
      const writable = entity.fields.filter((f) => !f.readonly && !(f.primary && f.generated) && !f.autoUpdate);
      if (body && !("ref" in body && body.ref.kind === "entity")) {
        for (const f of remaining) {
          const n = f.kind === "scalar" ? f.field.name : f.name;
          const column = writable.find((x) => x.name === n);
          if (!column || (parentLink && column === parentLink.fk)) {
            const isField = entity.fields.some((x) => x.name === n);
            diagnostics.error("bad-operation-input", isField ? `${name}: ${entity.name}.${n} cannot be written by a request${parentLink && column === parentLink.fk ? ` (it comes from the path, :${parentLink.param})` : ""}` : `${name}: input ${n} is not a field of ${entity.name}`, fieldLoc(n), isField ? "remove it from the input" : hint(n, writable.map((x) => x.name), "add a handler to use inputs that are not fields"));
            ok = false;
            continue;
          }
          if (f.kind === "ref") {
            diagnostics.error("bad-operation-input", `${name}: input ${n} is an object; ${entity.name}.${n} is ${typeText(column)}`, fieldLoc(n));
            ok = false;
            continue;
          }
          if (!fits(f.field, column)) {
            diagnostics.error("bad-operation-input", `${name}: input ${n} is ${typeText(f.field)}, but ${entity.name}.${n} is ${typeText(column)}`, fieldLoc(n), `declare it as ${typeText(column)}`);
            ok = false;
          } else {
            f.field = narrowedTo(column, f.field);
            // An optional input of a NOT NULL column may be left out, never sent as null.
            if (column.notNull) f.nullable = false;
          }
        }
        if (action === "create") {
          const given = new Set(scalars.filter((f) => f.field.notNull || f.field.default !== undefined).map((f) => f.field.name));
          for (const column of writable) {
            if (parentLink && column === parentLink.fk) continue;
            if (column.notNull && column.default === undefined && !column.generated && !given.has(column.name)) {
              // Reported where the operation is exposed, unless the exposing policy sets the column (`where: {ownerId: auth.user.id}`).
              const at = typeof long.input === "object" && long.input !== null ? parsed.locate(inputPath, "key") : loc;
              unsetRequired.push({ column: column.name, report: () => diagnostics.error("bad-operation-input", `${name} cannot create a ${entity.name}: its input does not give the required field ${column.name}${scalars.some((f) => f.field.name === column.name) ? " in every request (mark it `!`)" : ""}`, at, `add \`${column.name}: ${column.type}!\` to the input${scalars.some((f) => f.field.name === column.name) ? "" : ", or expose the operation under a policy whose \`where:\` sets it"}`) });
            }
          }
        }
      }
      opHandler = {
        kind: "operation", action, entity: entity.name, filter, queryFilters: [], loc,
        ...(parentLink ? { parent: { entity: parentLink.entity.name, param: parentLink.param, foreignKey: parentLink.fk.name } } : {}),
      };
    }
  }

  // Response.
  let response: ShapeRef | undefined = output;
  if (action === "delete") {
    if (output && !handler) diagnostics.warn("bad-operation-output", `${name} deletes and answers 204 without a body; its output ${output.name} is not sent`, parsed.locate(outputPath), "write `~` as its output");
    if (!handler) response = undefined;
  } else if (!handler && entity) {
    const many = action === "list" || action === "search";
    // No output (or ~): the entity's own rows.
    if (!response) response = { kind: "entity", name: entity.name, array: many };
    if (response.array !== many) {
      diagnostics.error("bad-operation-output", many ? `${name} returns a list: write ${response.name}[]` : `${name} returns one ${entity.name}: write ${response.name}, not ${response.name}[]`, parsed.locate(outputPath), undefined);
      ok = false;
    }
    if (response.kind === "schema" && !a.schemas.get(response.name)?.projection) {
      const schema = a.schemas.get(response.name);
      if (schema && !schema.source) {
        diagnostics.error("no-handler", `${name} has no handler and its output ${response.name} has no \`source:\`, so yamac cannot read it`, parsed.locate(outputPath), `add \`source: ${entity.name}\` to ${response.name}, or a handler`);
      }
      ok = false;
    }
  }
  // A handler that was given but is unusable has its own error already.
  if (action === "custom" && !handler && long.handler === undefined) {
    diagnostics.error("no-handler", `${name} is a custom operation ("${words[0]}" is not list, get, search, find, create, update or delete) and needs a handler`, loc, `add \`handler: src/handlers/${name}.ts\``);
    return undefined;
  }
  if (!ok) return undefined;
  const description = typeof long.description === "string" ? long.description : typeof long.summary === "string" ? long.summary : undefined;
  return {
    name, path, loc, method: METHODS[action], route, params, query, body, ...(bodyOptional ? { bodyOptional } : {}),
    ...(action === "update" && body && "ref" in body && body.ref.kind === "entity" ? { bodyPartial: true as const } : {}),
    ...(unsetRequired.length ? { unsetRequired } : {}),
    response,
    status: action === "custom" ? 200 : undefined,
    handler: handler ?? opHandler!,
    description,
  };
}

/** A path written in the config (`/p/{id}`): Hono syntax, and the same parameters as the inferred one. */
function checkRoute(raw: unknown, inferred: string, what: string, loc: SourceLocation, a: Analysis): string | undefined {
  if (typeof raw !== "string" || !raw.startsWith("/")) {
    a.diagnostics.error("bad-operation-path", `the path of ${what} should start with /`, loc);
    return undefined;
  }
  const route = honoPath(raw).replace(/(.)\/$/, "$1");
  if (!/^\/[A-Za-z0-9/_:.-]*$/.test(route)) {
    a.diagnostics.error("bad-operation-path", `the path of ${what}, "${raw}", is not a plain path`, loc, "use letters, digits, -, _, / and {param}");
    return undefined;
  }
  const want = pathParams(inferred).sort().join(", ");
  const got = pathParams(route).sort().join(", ");
  if (want !== got) {
    a.diagnostics.error("bad-operation-path", `the path of ${what}, "${raw}", has parameters (${got || "none"}) but the operation needs (${want || "none"})`, loc, `e.g. ${inferred.replace(/:([A-Za-z_]\w*)/g, "{$1}")}`);
    return undefined;
  }
  return route;
}

// ---------------------------------------------------------------------------------------------
// apis.rest.<name>.operations

interface Exposure {
  op: string;
  policy?: { name: string; loc: SourceLocation };
  route?: string;
  loc: SourceLocation;
}

interface RawRestApi {
  name: string;
  path: ConfigPath;
  raw: Record<string, unknown>;
}

function restApis(config: RawConfig): RawRestApi[] {
  const rest = config.apis?.rest;
  if (!isRecord(rest)) return [];
  if (isSingleRestApi(rest)) return [{ name: "default", path: ["apis", "rest"], raw: rest }];
  return Object.entries(rest).filter(([, v]) => isRecord(v)).map(([name, v]) => ({ name, path: ["apis", "rest", name], raw: v as Record<string, unknown> }));
}

function readExposures(api: RawRestApi, declared: readonly string[], ops: ReadonlyMap<string, Operation>, a: Analysis): Exposure[] | undefined {
  const { parsed, diagnostics } = a;
  const { raw, path } = api;
  const what = `API ${api.name}`;
  const checkName = (name: string, loc: SourceLocation): boolean => {
    if (declared.includes(name)) return true;
    diagnostics.error("unknown-operation", `${what} exposes ${name}, which is not declared under \`operations:\``, loc, hint(name, declared, declared.length ? undefined : "declare it under `operations:`"));
    return false;
  };
  const all = new Set<string>();
  let everything = false;
  const explicit = new Map<string, Exposure>();
  const add = (e: Exposure, loc: SourceLocation) => {
    if (explicit.has(e.op)) {
      diagnostics.error("duplicate-operation", `${what} lists ${e.op} twice`, loc, "remove one of them");
      return;
    }
    explicit.set(e.op, e);
  };
  const entries = raw.operations;
  if (entries !== undefined && !Array.isArray(entries)) {
    diagnostics.error("bad-value", `${what}: operations should be a list (\`- listPosts\`, \`- createPost: author\`, \`- all\`)`, parsed.locate([...path, "operations"]));
    return undefined;
  }
  (entries ?? []).forEach((item: unknown, i: number) => {
    const at: ConfigPath = [...path, "operations", i];
    const loc = parsed.locate(at);
    if (typeof item === "string") {
      if (item === "all") everything = true;
      else if (checkName(item, loc)) add({ op: item, loc }, loc);
      return;
    }
    if (!isRecord(item)) {
      diagnostics.error("bad-value", `${what}: each operation is a name, \`name: policy\` or {operation, policy, path}`, loc);
      return;
    }
    if ("operation" in item) {
      for (const key of Object.keys(item)) {
        if (!ENTRY_KEYS.includes(key)) diagnostics.error("unknown-key", `unknown key "${key}" in an operation of ${what}`, parsed.locate([...at, key], "key"), hint(key, ENTRY_KEYS, `allowed here: ${ENTRY_KEYS.join(", ")}`));
      }
      const op = item.operation;
      if (typeof op !== "string") {
        diagnostics.error("bad-value", `${what}: \`operation\` should be an operation name`, parsed.locate([...at, "operation"]));
        return;
      }
      const opLoc = parsed.locate([...at, "operation"]);
      if (!checkName(op, opLoc)) return;
      const e: Exposure = { op, loc: opLoc };
      if (item.policy !== undefined) {
        if (typeof item.policy !== "string") diagnostics.error("bad-value", `${what}: the policy of ${op} should be a policy name`, parsed.locate([...at, "policy"]));
        else e.policy = { name: item.policy, loc: parsed.locate([...at, "policy"]) };
      }
      if (item.path !== undefined && ops.has(op)) {
        const route = checkRoute(item.path, ops.get(op)!.route, op, parsed.locate([...at, "path"]), a);
        if (route) e.route = route;
      }
      add(e, opLoc);
      return;
    }
    const keys = Object.keys(item);
    if (keys.length !== 1) {
      diagnostics.error("bad-value", `${what}: write one \`name: policy\` per list item`, loc, "or `{operation: name, policy: p, path: /x}`");
      return;
    }
    const op = keys[0]!;
    const opLoc = parsed.locate([...at, op], "key");
    if (!checkName(op, opLoc)) return;
    const value = item[op];
    const e: Exposure = { op, loc: opLoc };
    if (typeof value === "string") e.policy = { name: value, loc: parsed.locate([...at, op]) };
    else if (isRecord(value)) {
      for (const key of Object.keys(value)) {
        if (key !== "policy" && key !== "path") diagnostics.error("unknown-key", `unknown key "${key}" in ${op} of ${what}`, parsed.locate([...at, op, key], "key"), hint(key, ["policy", "path"], "allowed here: policy, path"));
      }
      if (typeof value.policy === "string") e.policy = { name: value.policy, loc: parsed.locate([...at, op, "policy"]) };
      if (value.path !== undefined && ops.has(op)) {
        const route = checkRoute(value.path, ops.get(op)!.route, op, parsed.locate([...at, op, "path"]), a);
        if (route) e.route = route;
      }
    } else if (value !== null) {
      diagnostics.error("bad-value", `${what}: the policy of ${op} should be a policy name`, parsed.locate([...at, op]));
    }
    add(e, opLoc);
  });

  const include = raw.include;
  if (include === "all") everything = true;
  else if (Array.isArray(include)) {
    include.forEach((name: unknown, i: number) => {
      const loc = parsed.locate([...path, "include", i]);
      if (name === "all") everything = true;
      else if (typeof name !== "string") diagnostics.error("bad-value", `${what}: include lists operation names`, loc);
      else if (checkName(name, loc)) all.add(name);
    });
  } else if (include !== undefined) diagnostics.error("bad-value", `${what}: include should be \`all\` or a list of operation names`, parsed.locate([...path, "include"]));

  const excluded = new Map<string, SourceLocation>();
  if (raw.exclude !== undefined) {
    if (!Array.isArray(raw.exclude)) diagnostics.error("bad-value", `${what}: exclude should be a list of operation names`, parsed.locate([...path, "exclude"]));
    else raw.exclude.forEach((name: unknown, i: number) => {
      const loc = parsed.locate([...path, "exclude", i]);
      if (typeof name !== "string") diagnostics.error("bad-value", `${what}: exclude lists operation names`, loc);
      else if (checkName(name, loc)) {
        excluded.set(name, loc);
        if (explicit.has(name)) diagnostics.error("excluded-operation", `${what} lists ${name} and also excludes it`, loc, "remove it from one of the two lists");
      }
    });
  }
  // An API with only `exclude:` exposes every other operation.
  if (entries === undefined && include === undefined && excluded.size > 0) everything = true;

  const paths = raw.paths;
  const overrides = new Map<string, string>();
  if (paths !== undefined) {
    if (!isRecord(paths)) diagnostics.error("bad-value", `${what}: paths should map operation names to paths`, parsed.locate([...path, "paths"]));
    else for (const [op, p] of Object.entries(paths)) {
      if (!checkName(op, parsed.locate([...path, "paths", op], "key")) || !ops.has(op)) continue;
      const route = checkRoute(p, ops.get(op)!.route, op, parsed.locate([...path, "paths", op]), a);
      if (route) overrides.set(op, route);
    }
  }

  const out: Exposure[] = [];
  const apiLoc = parsed.locate(path, "key");
  for (const op of declared) {
    if (excluded.has(op)) continue;
    const e = explicit.get(op) ?? (everything || all.has(op) ? { op, loc: apiLoc } : undefined);
    if (!e) continue;
    const route = e.route ?? overrides.get(op);
    out.push(route ? { ...e, route } : e);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

/** Orders routes so a literal segment is tried before a parameter at the same place (`/posts/search` before `/posts/:id`). */
function routeOrder(a: EndpointIR, b: EndpointIR): number {
  const sa = a.path.split("/");
  const sb = b.path.split("/");
  for (let i = 0; i < Math.min(sa.length, sb.length); i++) {
    const pa = sa[i]!.startsWith(":");
    const pb = sb[i]!.startsWith(":");
    if (pa !== pb) return pa ? 1 : -1;
    if (!pa && sa[i] !== sb[i]) return sa[i]! < sb[i]! ? -1 : 1;
  }
  return sa.length - sb.length;
}

const routeKey = (method: string, path: string) => `${method} ${path.replace(/:[A-Za-z_]\w*/g, ":")}`;

/**
 * Builds the endpoints of every API's `operations`. `existing` are the endpoints already
 * declared (`endpoints:`), whose names and routes the new ones must not reuse.
 */
export function analyzeOperations(
  policies: ReadonlyMap<string, AuthRequirementIR>,
  config: RawConfig,
  ctx: FieldContext,
  entities: readonly EntityIR[],
  schemas: readonly SchemaIR[],
  host: ProjectHost | undefined,
  existing: readonly EndpointIR[],
): EndpointIR[] {
  const { parsed, diagnostics } = ctx;
  const a: Analysis = {
    parsed, diagnostics, ctx, entities, host,
    byName: new Map(entities.map((e) => [e.name, e])),
    schemas: new Map(schemas.map((s) => [s.name, s])),
    schemaNames: new Set(schemas.map((s) => s.name)),
  };

  const rawOps = config.operations;
  const ops = new Map<string, Operation>();
  let declared: string[] = [];
  if (rawOps !== undefined && rawOps !== null) {
    if (!isRecord(rawOps)) diagnostics.error("bad-value", "operations should be a mapping of operation names (listPosts: PostSummary[])", parsed.locate(["operations"]));
    else {
      declared = Object.keys(rawOps);
      for (const [name, raw] of Object.entries(rawOps)) {
        const op = analyzeOperation(name, raw, a);
        if (op) ops.set(name, op);
      }
    }
  }

  const out: EndpointIR[] = [];
  const exposed = new Set<string>();
  /** Operations whose missing required inputs were reported (once each, whichever API exposes them). */
  const reportedUnset = new Set<string>();
  /** Operations that already have an endpoint: the next API's endpoint is named `<api><Operation>`. */
  const routed = new Set<string>();
  const names = new Set(existing.map((e) => e.name));
  const inlineNames = new Set(existing.flatMap((e) => (e.body && "inline" in e.body ? [e.body.inline.name] : [])));
  const sharedBodies = new Map<string, SchemaIR>();
  for (const api of restApis(config)) {
    if (api.raw.enabled === false) continue;
    for (const key of Object.keys(api.raw)) {
      if (!API_KEYS.includes(key)) diagnostics.error("unknown-key", `unknown key "${key}" in API ${api.name}`, parsed.locate([...api.path, key], "key"), hint(key, API_KEYS, `allowed here: ${API_KEYS.join(", ")}`));
    }
    if (api.raw.operations === undefined && api.raw.include === undefined && api.raw.exclude === undefined && api.raw.defaultPolicy === undefined && api.raw.paths === undefined) continue;
    if (declared.length === 0) {
      diagnostics.error("unknown-operation", `API ${api.name} exposes operations, but none are declared under \`operations:\``, parsed.locate(api.path, "key"), "declare them, e.g. `operations: {listPosts: Post[]}`");
      continue;
    }
    const basePath = typeof api.raw.basePath === "string" ? api.raw.basePath.replace(/\/$/, "") : "";
    let defaultPolicy: AuthRequirementIR | undefined;
    let defaultOk = true;
    if (api.raw.defaultPolicy !== undefined) {
      const name = api.raw.defaultPolicy;
      const at = parsed.locate([...api.path, "defaultPolicy"]);
      if (typeof name !== "string") {
        diagnostics.error("bad-value", `API ${api.name}: defaultPolicy should be a policy name`, at);
        defaultOk = false;
      } else {
        defaultPolicy = policies.get(name);
        if (!defaultPolicy && isDeclaredPolicy(config, name)) defaultOk = false;
        else if (!defaultPolicy) {
          diagnostics.error("unknown-policy", `API ${api.name} uses policy ${name}, which is not declared under \`policies:\``, at, hint(name, policies.keys(), policies.size ? `declared policies: ${[...policies.keys()].join(", ")}` : "declare it, e.g. `policies: {public: {auth: false}}`"));
          defaultOk = false;
        }
      }
    }
    const exposures = readExposures(api, declared, ops, a);
    if (!exposures) continue;
    for (const e of exposures) {
      let auth = defaultPolicy;
      if (e.policy) {
        auth = policies.get(e.policy.name);
        if (!auth && isDeclaredPolicy(config, e.policy.name)) continue;
        if (!auth) {
          diagnostics.error("unknown-policy", `${e.op} in API ${api.name} uses policy ${e.policy.name}, which is not declared under \`policies:\``, e.policy.loc, hint(e.policy.name, policies.keys(), policies.size ? `declared policies: ${[...policies.keys()].join(", ")}` : "declare it under `policies:`"));
          continue;
        }
      } else if (!defaultOk) continue;
      exposed.add(e.op);
      const op = ops.get(e.op);
      if (!op) continue;
      const unset = (op.unsetRequired ?? []).filter((u) => !auth?.where?.some((w) => w.field === u.column));
      if (unset.length) {
        if (!reportedUnset.has(op.name)) for (const u of unset) u.report();
        reportedUnset.add(op.name);
        continue;
      }
      if (auth?.where?.length) {
        const what = `${e.op} in API ${api.name}`;
        if (op.handler.kind !== "operation") {
          diagnostics.error("policy-where-not-applied", `policy ${auth.policy} filters rows (\`where:\`), but ${what} runs a handler of its own, which the filter cannot reach`, e.policy?.loc ?? op.loc, "check ownership inside the handler (ctx.auth.user.id), or expose an operation without a handler file");
          continue;
        }
        if (!checkPolicyFields(auth, a.byName.get(op.handler.entity)!, what, diagnostics)) continue;
      }
      let name = routed.has(e.op) ? camelCase(`${api.name} ${wordsOf(e.op).join(" ")}`) : e.op;
      routed.add(e.op);
      if (names.has(name)) {
        let i = 2;
        while (names.has(`${name}${i}`)) i++;
        name = `${name}${i}`;
      }
      names.add(name);
      let body = op.body;
      if (body && "inline" in body) {
        // One schema per operation, shared by every API exposing it.
        const shared = sharedBodies.get(op.name);
        if (shared) body = { ref: { kind: "schema", name: shared.name, array: false } };
        else {
          while (inlineNames.has(body.inline.name) || a.schemaNames.has(body.inline.name)) body.inline.name = `${body.inline.name}_`;
          inlineNames.add(body.inline.name);
          sharedBodies.set(op.name, body.inline);
        }
      }
      const path = honoPath(`${basePath}${e.route ?? op.route}`).replace(/(.)\/$/, "$1");
      out.push({
        name, method: op.method, path, description: op.description, params: [...op.params], query: [...op.query], body, ...(op.bodyOptional ? { bodyOptional: op.bodyOptional } : {}), ...(op.bodyPartial ? { bodyPartial: op.bodyPartial } : {}), response: op.response,
        status: op.status, handler: op.handler, loc: op.loc, operation: { name: op.name, api: api.name }, ...(auth ? { auth } : {}),
      });
    }
  }
  for (const name of declared) {
    if (!exposed.has(name) && !reportedUnset.has(name)) for (const u of ops.get(name)?.unsetRequired ?? []) u.report();
    if (!exposed.has(name) && ops.has(name)) diagnostics.warn("unexposed-operation", `operation ${name} is not exposed by any API, so it has no route`, parsed.locate(["operations", name], "key"), "list it in `apis.rest.<name>.operations`");
  }

  // Literal segments before parameters, so /posts/search is not taken for /posts/:id.
  out.sort(routeOrder);
  const routes = new Map(existing.map((e) => [routeKey(e.method, e.path), e]));
  const clean: EndpointIR[] = [];
  for (const ep of out) {
    const key = routeKey(ep.method, ep.path);
    const other = routes.get(key);
    if (other) {
      diagnostics.error("duplicate-route", `${ep.method} ${ep.path} (${ep.operation!.name} in API ${ep.operation!.api}) is also ${other.operation ? `${other.operation.name} in API ${other.operation.api}` : `declared at line ${other.loc.line}`}`, ep.loc, "give one of them another `path:`");
      continue;
    }
    routes.set(key, ep);
    clean.push(ep);
  }
  return clean;
}
