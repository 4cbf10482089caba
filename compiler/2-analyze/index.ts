/**
 * Phase 2: checks the parsed config against the format (config-schema.ts) and builds the IR.
 * Reports every problem it finds; returns an IR only when there are no errors.
 */
import type { core } from "zod";
import { closest, type DiagnosticBag } from "../diagnostics.js";
import type { AuthRequirementIR, CrudIR, DatabaseIR, EndpointIR, EntityIR, ProjectIR } from "../ir.js";
import type { ConfigPath, ParsedConfig } from "../1-parse/parse.js";
import { configSchema, knownKeysAt, NOT_YET_COMPILED, type RawConfig, type RawCrud } from "./config-schema.js";
import { parseConfigString } from "./config-string.js";
import { analyzeDeployment, LAMBDA_POOL_VAR, type DeploymentOverrides } from "./deployment.js";
import { analyzeComputed } from "./computed.js";
import { analyzeHooks } from "./hooks.js";
import { analyzeEndpoints, analyzeSchemas, type ProjectHost } from "./endpoints.js";
import { analyzeOperations } from "./operations.js";
import { checkPolicyFields, isDeclaredPolicy, readPolicies, withRowPolicies } from "./policies.js";
import { analyzeProjections } from "./projections.js";
import { analyzeEntities, collectEntitySources, createFieldContext } from "./entities.js";
import { explicitRelations, finalizeIndexes, linkRelations } from "./relations.js";
import { kebabCase, pluralWords } from "./types.js";
import { analyzeConfigVars, checkEnvReferenceSyntax, collectEnvReferences } from "./env-config.js";
import { analyzePlugins } from "../plugins/index.js";
import { rateLimitPlugin } from "../plugins/rate-limit.js";
import { cachePlugin, checkCacheOperations } from "../plugins/cache.js";
import { MONITORING_READERS } from "../plugins/monitoring.js";
import { REALTIME_PLUGIN } from "../plugins/realtime.js";
import { authRequirement, checkPolicyRules } from "../plugins/auth.js";
import { defaultDocsUse, DOCS_PLUGIN } from "../plugins/docs.js";

/** A plain mapping: not a list, and not what YAML tags such as !!binary, !!set or !!timestamp produce. */
function isRecord(value: unknown): value is Record<string, unknown> {
  return Object.prototype.toString.call(value) === "[object Object]";
}

/** Picks the union branch that matches the input's shape, so errors talk about what the user meant. */
function flattenIssues(issues: readonly core.$ZodIssue[]): core.$ZodIssue[] {
  const out: core.$ZodIssue[] = [];
  for (const issue of issues) {
    if (issue.code === "invalid_union" && issue.errors.length > 0) {
      const branches = issue.errors.map((branch) => branch.map((i) => ({ ...i, path: [...issue.path, ...i.path] })));
      const shaped = branches.filter((b) => !b.some((i) => i.code === "invalid_type" && i.path.length === issue.path.length));
      if (shaped.length === 1) {
        out.push(...flattenIssues(shaped[0]!));
        continue;
      }
    }
    out.push(issue);
  }
  return out;
}

function describeExpected(issue: core.$ZodIssue): string {
  if (issue.code === "invalid_union") {
    // When every branch rejected the value's type, say which types are accepted.
    const kinds = issue.errors.map((branch) => (branch.length === 1 && branch[0]!.code === "invalid_type" && branch[0]!.path.length === 0 ? branch[0]! : undefined));
    if (kinds.every((k) => k !== undefined)) return [...new Set(kinds.filter((k) => k.expected !== "null").map(describeExpected))].join(" or ");
    return "a value of another shape";
  }
  if (issue.code === "invalid_type") return `${issue.expected === "record" || issue.expected === "object" ? "a mapping (key: value)" : issue.expected === "array" ? "a list" : `a ${issue.expected}`}`;
  return "";
}

function reportSchemaIssues(parsed: ParsedConfig, issues: readonly core.$ZodIssue[], diagnostics: DiagnosticBag): void {
  for (const issue of flattenIssues(issues)) {
    const path = issue.path as (string | number)[];
    const where = path.length ? path.join(".") : "the top level";
    switch (issue.code) {
      case "unrecognized_keys": {
        const known = knownKeysAt(path);
        for (const key of issue.keys) {
          const suggestion = closest(key, known);
          diagnostics.error("unknown-key", `unknown key "${key}" in ${where}`, parsed.locate([...path, key], "key"), suggestion ? `did you mean "${suggestion}"?` : known.length ? `allowed here: ${known.join(", ")}` : undefined);
        }
        break;
      }
      case "invalid_value":
        diagnostics.error("bad-value", `${where} must be one of: ${issue.values.map(String).join(", ")}`, parsed.locate(path), (() => {
          const actual = path.reduce<unknown>((v, k) => (isRecord(v) || Array.isArray(v) ? (v as Record<string, unknown>)[k as string] : undefined), parsed.value);
          const s = typeof actual === "string" ? closest(actual, issue.values.map(String)) : undefined;
          return s ? `did you mean "${s}"?` : undefined;
        })());
        break;
      case "invalid_type":
      case "invalid_union":
        diagnostics.error("bad-value", `${where} should be ${describeExpected(issue)}`, parsed.locate(path), issue.code === "invalid_union" ? "see docs/yama-yaml.md for the accepted forms" : undefined);
        break;
      default:
        diagnostics.error("bad-value", `${where}: ${issue.message}`, parsed.locate(path));
    }
  }
}

/** Dialect C (OpenAPI-like, path-keyed endpoints) is not YAMA syntax: say how to write it. */
function checkOpenApiStyle(value: Record<string, unknown>, parsed: ParsedConfig, diagnostics: DiagnosticBag): boolean {
  const endpoints = value.endpoints;
  if (isRecord(endpoints) && Object.keys(endpoints).some((k) => k.startsWith("/"))) {
    const first = Object.keys(endpoints).find((k) => k.startsWith("/"))!;
    const methods = isRecord(endpoints[first]) ? Object.keys(endpoints[first] as object) : [];
    diagnostics.error(
      "openapi-style-endpoints",
      "endpoints keyed by path (OpenAPI style) are not YAMA syntax",
      parsed.locate(["endpoints", first], "key"),
      `write a list instead:\n      endpoints:\n        - path: ${first}\n          method: ${(methods[0] ?? "get").toUpperCase()}\n          handler: handlers/…`,
    );
    return true;
  }
  return false;
}

function analyzeCrud(entity: EntityIR, raw: RawCrud | undefined, path: ConfigPath, parsed: ParsedConfig, diagnostics: DiagnosticBag, policies: ReadonlyMap<string, AuthRequirementIR>, config: RawConfig): CrudIR | undefined {
  if (raw === undefined || raw === false) return undefined;
  const obj = raw === true ? {} : raw;
  if (obj.enabled === false) return undefined;
  const loc = parsed.locate(path, "key");
  const all = ["list", "get", "create", "replace", "update", "delete"] as const;
  let methods: CrudIR["methods"] = all;
  if (Array.isArray(obj.enabled)) {
    const set = new Set(obj.enabled);
    methods = all.filter((m) => set.has(({ list: "GET", get: "GET", create: "POST", replace: "PUT", update: "PATCH", delete: "DELETE" } as const)[m]));
  }
  const defaultLimit = typeof obj.pagination === "object" ? obj.pagination.limit ?? obj.pagination.defaultLimit ?? obj.pagination.pageSize ?? 20 : 20;
  const maxLimit = typeof obj.pagination === "object" ? obj.pagination.maxLimit ?? Math.max(100, defaultLimit) : 100;
  if (defaultLimit > maxLimit) {
    const pagination = typeof obj.pagination === "object" ? obj.pagination : {};
    const key = (["limit", "defaultLimit", "pageSize"] as const).find((k) => pagination[k] !== undefined);
    diagnostics.error("bad-crud-option", `the default page size ${defaultLimit} is above maxLimit ${maxLimit}`, parsed.locate([...path, "pagination", ...(key ? [key] : [])]), `lower it to ${maxLimit} or less, or raise maxLimit`);
  }
  const paging = typeof obj.pagination === "object" ? obj.pagination : {};
  if (paging.type === "page") {
    diagnostics.warn("page-pagination", `pagination type "page" is served as offset pagination (?limit=&offset=)`, parsed.locate([...path, "pagination", "type"]));
  }
  let cursorField: string | undefined;
  if (paging.type === "cursor") {
    cursorField = paging.cursorField ?? entity.primaryKey;
    const field = entity.fields.find((f) => f.name === cursorField);
    if (!field) {
      const s = closest(cursorField, entity.fields.map((f) => f.name));
      diagnostics.error("unknown-field", `pagination.cursorField names unknown field ${entity.name}.${cursorField}`, parsed.locate([...path, "pagination", "cursorField"]), s ? `did you mean "${s}"?` : undefined);
    } else if (!field.notNull || field.array || field.type === "json") {
      diagnostics.error("bad-crud-option", `pagination.cursorField ${entity.name}.${cursorField} must be a required scalar field (keyset paging cannot order by NULLs)`, parsed.locate([...path, "pagination", "cursorField"]), "use createdAt or the primary key");
    }
  }
  const fieldNames = entity.fields.map((f) => f.name);
  const scalar = entity.fields.filter((f) => !f.array && f.type !== "json" && f.type !== "binary" && !f.writeOnly && !f.sensitive && f.name !== entity.softDelete?.field);
  const pick = (option: boolean | string[] | undefined, key: string): string[] => {
    if (option === undefined || option === true) return scalar.map((f) => f.name);
    if (option === false) return [];
    // A belongsTo relation stands for its foreign key (`filters: [team]` is `?teamId=`), as in indexes and handler filters.
    const named = option.map((name) => entity.relations.find((r) => r.name === name && r.kind === "belongsTo")?.foreignKey ?? name);
    return named.filter((name, i) => {
      const field = entity.fields.find((f) => f.name === name);
      if (field?.array && key === "filters") {
        diagnostics.error("bad-crud-option", `crud.filters: ${entity.name}.${name} is an array (${field.type}[]), and ?field=value filters compare single values`, parsed.locate([...path, key, i]), `remove ${name} from crud.filters`);
        return false;
      }
      if (field) return true;
      const s = closest(name, fieldNames);
      diagnostics.error("unknown-field", `crud.${key} names unknown field ${entity.name}.${name}`, parsed.locate([...path, key, i]), s ? `did you mean "${s}"?` : undefined);
      return false;
    });
  };
  let search: CrudIR["search"];
  if (obj.search !== undefined && obj.search !== false) {
    const textFields = entity.fields.filter((f) => ["string", "text", "email", "url", "slug", "phone"].includes(f.type) && !f.array && !f.writeOnly && !f.sensitive).map((f) => f.name);
    const raw = obj.search;
    const listed = raw === true ? true : Array.isArray(raw) ? raw : raw.fields ?? true;
    const fields = listed === true ? textFields : listed.filter((name, i) => {
      const field = entity.fields.find((f) => f.name === name);
      const at = parsed.locate(Array.isArray(raw) ? [...path, "search", i] : [...path, "search", "fields", i]);
      if (!field) {
        const s = closest(name, fieldNames);
        diagnostics.error("unknown-field", `crud.search names unknown field ${entity.name}.${name}`, at, s ? `did you mean "${s}"?` : undefined);
        return false;
      }
      if (!textFields.includes(name)) {
        diagnostics.error("bad-crud-option", `crud.search: ${entity.name}.${name} is ${field.type}, not text`, at, "search works on string and text fields; filter other fields with ?field=value");
        return false;
      }
      return true;
    });
    if (fields.length === 0 && listed === true) {
      diagnostics.error("bad-crud-option", `crud.search is on, but ${entity.name} has no text fields to search`, parsed.locate([...path, "search"]), "remove `search`, or list text fields");
    }
    const options = typeof raw === "object" && !Array.isArray(raw) ? raw : {};
    if (fields.length) search = { fields, mode: options.mode ?? "contains", fullText: options.fullText === true };
  }
  for (const key of ["inputTypes", "responseTypes"] as const) {
    if (obj[key] !== undefined) diagnostics.warn("not-yet-compiled", `crud.${key} is not compiled yet; it is ignored`, parsed.locate([...path, key], "key"));
  }
  // Access rules: the most specific key wins (method > group > crud.auth), except that row
  // policies always apply (below). Groups and methods may also sit under `enabled:` (the object
  // form of the YAMA format); the top-level key wins.
  const auth: NonNullable<CrudIR["auth"]> = {};
  const enabledRules = isRecord(obj.enabled) ? obj.enabled : {};
  const GROUPS: [string, readonly CrudIR["methods"][number][]][] = [
    ["read", ["list", "get"]], ["mutate", ["create", "replace", "update", "delete"]], ["write", ["create", "replace", "update", "delete"]],
    ["create", ["create"]], ["update", ["replace", "update"]], ["delete", ["delete"]],
    ["GET", ["list", "get"]], ["POST", ["create"]], ["PUT", ["replace"]], ["PATCH", ["update"]], ["DELETE", ["delete"]],
  ];
  // A layer gives either an `auth:` rule or a `policy:` name (a rule that may also filter rows).
  type Layer = { ops: readonly CrudIR["methods"][number][]; owner: Record<string, unknown>; at: ConfigPath; what: string };
  const layers: Layer[] = [{ ops: all, owner: obj as Record<string, unknown>, at: path, what: `${entity.name} CRUD` }];
  for (const [group, ops] of GROUPS) {
    const top = (obj as Record<string, unknown>)[group];
    const nested = enabledRules[group];
    const has = (v: unknown): v is Record<string, unknown> => isRecord(v) && (v.auth !== undefined || v.policy !== undefined);
    if (has(top)) layers.push({ ops, owner: top, at: [...path, group], what: `${entity.name} CRUD (${group})` });
    else if (has(nested)) layers.push({ ops, owner: nested, at: [...path, "enabled", group], what: `${entity.name} CRUD (${group})` });
  }
  type Ruled = { rule: AuthRequirementIR; at: ConfigPath; what: string };
  const rules: Partial<Record<CrudIR["methods"][number], Ruled>> = {};
  const rowPolicies: Partial<Record<CrudIR["methods"][number], Ruled[]>> = {};
  for (const { ops, owner, at, what } of layers) {
    if (owner.auth !== undefined && owner.policy !== undefined) {
      diagnostics.error("bad-auth-rule", `${what} gives both \`auth:\` and \`policy:\``, parsed.locate([...at, "policy"], "key"), "keep one: the policy's own `auth:` is the rule of its routes");
      continue;
    }
    let requirement: AuthRequirementIR | undefined;
    if (typeof owner.policy === "string") {
      requirement = policies.get(owner.policy);
      if (!requirement && isDeclaredPolicy(config, owner.policy)) continue;
      if (!requirement) {
        const s = closest(owner.policy, policies.keys());
        diagnostics.error("unknown-policy", `${what} uses policy ${owner.policy}, which is not declared under \`policies:\``, parsed.locate([...at, "policy"]), s ? `did you mean "${s}"?` : "declare it, e.g. `policies: {owner: {auth: {required: true}, where: {authorId: auth.user.id}}}`");
        continue;
      }
      if (!checkPolicyFields(requirement, entity, what, diagnostics)) continue;
    } else if (owner.auth !== undefined) {
      requirement = authRequirement(owner.auth, { parsed, diagnostics, path: [...at, "auth"], what });
    }
    if (!requirement) continue;
    for (const op of ops) {
      rules[op] = { rule: requirement, at, what };
      if (requirement.where?.length) (rowPolicies[op] ??= []).push({ rule: requirement, at, what });
    }
  }
  // A row policy (a policy with `where:`) covers every route of its key, whatever more specific
  // keys say: they add to its access check, never remove its conditions from the SQL.
  const conflicts = new Set<string>();
  for (const op of all) {
    const own = rules[op];
    if (!own) continue;
    const scoped = rowPolicies[op] ?? [];
    const merged = withRowPolicies(own.rule, scoped.map((s) => s.rule));
    if ("rule" in merged) {
      auth[op] = merged.rule;
      continue;
    }
    const from = scoped.find((s) => s.rule.policy === merged.conflict.policy)!;
    const message = `${own.what} cannot keep policy ${merged.conflict.policy} of ${from.what}: ${merged.conflict.reason}`;
    if (conflicts.has(message)) continue;
    conflicts.add(message);
    diagnostics.error("bad-auth-rule", message, parsed.locate([...own.at, own.rule.policy ? "policy" : "auth"], "key"), `a policy with \`where:\` applies to every route it covers; give ${own.what} a rule the policy's callers can meet, or name the policy only on the groups it should cover`);
  }
  const basePath = obj.path ?? `/${kebabCase(pluralWords(entity.name).join("-"))}`;
  if (!/^\/[A-Za-z0-9/_-]*$/.test(basePath) || basePath.includes("//")) {
    diagnostics.error("bad-crud-option", `crud.path "${basePath}" is not a plain path`, parsed.locate([...path, "path"]), "use letters, digits, -, _ and /, e.g. /products");
  }
  return { basePath: basePath.replace(/\/$/, "") || "/", methods, pagination: { type: paging.type === "cursor" ? "cursor" : "offset", defaultLimit, maxLimit, cursorField, direction: paging.direction ?? "asc" }, bulk: obj.bulk === true, filterable: pick(obj.filters, "filters"), sortable: pick(obj.sort, "sort"), search, ...(Object.keys(auth).length ? { auth } : {}), loc };
}

function analyzeDatabase(config: RawConfig, diagnostics: DiagnosticBag, parsed: ParsedConfig): DatabaseIR {
  const db = config.database ?? {};
  const url = parseConfigString(db.url ?? "${DATABASE_URL}");
  if (url.kind === "literal" && /:\/\/[^/]*:[^@/]+@/.test(url.value)) {
    diagnostics.error("secret-in-config", "database.url contains a password", parsed.locate(["database", "url"]), "write `url: ${DATABASE_URL}` and put the URL in the environment");
  }
  const pool = db.pool?.max;
  const deploy = config.deployment?.migrations ?? {};
  const legacyAutoRun = db.migrations?.autoRun;
  if (legacyAutoRun !== undefined && deploy.autoRun !== undefined && legacyAutoRun !== deploy.autoRun) {
    diagnostics.error("conflicting-option", `database.migrations.autoRun is ${legacyAutoRun} but deployment.migrations.autoRun is ${deploy.autoRun}`, parsed.locate(["deployment", "migrations", "autoRun"]), "keep one of them (deployment.migrations is the newer place)");
  }
  return {
    url,
    poolMax: typeof pool === "string" ? parseConfigString(pool) : pool ?? 10,
    ssl: db.ssl === true ? "require" : db.ssl === false || db.ssl === undefined ? false : db.ssl,
    dataDir: db.dataDir ?? ".yama/data",
    migrations: {
      autoRun: deploy.autoRun ?? legacyAutoRun ?? true,
      rollbackOnFailure: deploy.rollbackOnFailure ?? true,
      verifyAfterRun: deploy.verifyAfterRun ?? false,
      folder: db.migrations?.folder ?? "drizzle",
    },
  };
}

export type { ProjectHost } from "./endpoints.js";

export interface AnalyzeOptions {
  /** Command-line deployment options (`--target`, `--pm2`, `--systemd`). */
  deployment?: DeploymentOverrides;
}

export function analyze(parsed: ParsedConfig, diagnostics: DiagnosticBag, host?: ProjectHost, options: AnalyzeOptions = {}): ProjectIR | undefined {
  const value = parsed.value;
  if (!isRecord(value)) {
    diagnostics.error("bad-config", value == null ? "the config is empty" : "the config must be a mapping of sections", parsed.locate([]), "start with e.g. `entities:`");
    return undefined;
  }
  if (checkOpenApiStyle(value, parsed, diagnostics)) return undefined;
  const result = configSchema.safeParse(value);
  if (!result.success) {
    reportSchemaIssues(parsed, result.error.issues, diagnostics);
    return undefined;
  }
  const config = result.data;

  for (const key of NOT_YET_COMPILED) {
    if (config[key] !== undefined) diagnostics.warn("not-yet-compiled", `\`${key}:\` is not compiled by this version of yamac; it is ignored`, parsed.locate([key], "key"));
  }
  for (const [name, def] of Object.entries(config.enums ?? {})) {
    if ((Array.isArray(def) ? def : def.values).length === 0) diagnostics.error("enum-values", `enum ${name} lists no values`, parsed.locate(["enums", name]), "write e.g. `Status: [draft, published]`");
  }
  const { entities, references } = analyzeEntities(config, parsed, diagnostics);
  const known = new Set(collectEntitySources(config).entities.keys());
  const refs = explicitRelations(config, parsed, diagnostics, known, references);
  const junctions = linkRelations(entities, refs, diagnostics);
  finalizeIndexes(entities, diagnostics);
  const junctionTables = new Map(entities.map((e) => [e.table, e.name]));
  for (const j of junctions) {
    const clash = junctionTables.get(j.table);
    if (clash) diagnostics.error("duplicate-table", `the many-to-many table "${j.table}" has the same name as entity ${clash}'s table`, entities.find((e) => e.name === clash)!.loc, "name the junction another way with through:<table>");
  }

  const sources = collectEntitySources(config).entities;
  const policies = readPolicies(config, parsed, diagnostics);
  const paths = new Map<string, string>();
  for (const entity of entities) {
    const source = sources.get(entity.name)!;
    // Computed fields are columns: CRUD filters and sorts by them like by any other.
    if (source.raw.computed) analyzeComputed(entity, source.raw.computed, [...source.path, "computed"], parsed, diagnostics);
    entity.crud = analyzeCrud(entity, source.raw.crud, [...source.path, "crud"], parsed, diagnostics, policies, config);
    if (entity.crud) {
      const other = paths.get(entity.crud.basePath);
      if (other) diagnostics.error("duplicate-path", `entities ${other} and ${entity.name} both serve CRUD at ${entity.crud.basePath}`, entity.crud.loc, "set `crud.path` on one of them");
      paths.set(entity.crud.basePath, entity.name);
    }
    if (source.raw.hooks) entity.hooks = analyzeHooks(entity, source.raw.hooks, [...source.path, "hooks"], parsed, diagnostics, host);
    if (source.raw.variants) diagnostics.warn("not-yet-compiled", `variants of ${entity.name} are not compiled yet; they are ignored`, parsed.locate([...source.path, "variants"], "key"));
  }
  const database = analyzeDatabase(config, diagnostics, parsed);
  const configVars = analyzeConfigVars(config, parsed, diagnostics);
  checkEnvReferenceSyntax(value, parsed, diagnostics);
  const plugins = analyzePlugins(value, parsed, diagnostics, host, entities);
  if (config.realtime !== undefined && config.realtime !== null && !plugins.some((p) => p.name === REALTIME_PLUGIN)) {
    diagnostics.warn("not-yet-compiled", "`realtime:` is read by @betagors/yama-realtime, which is not enabled, so it is ignored", parsed.locate(["realtime"], "key"), 'add `"@betagors/yama-realtime"` to `plugins:`');
  }
  if (config.monitoring !== undefined && !plugins.some((p) => MONITORING_READERS.includes(p.name))) {
    diagnostics.warn("not-yet-compiled", "`monitoring:` is read by the metrics, tracing and error-tracking plugins; none is enabled, so it is ignored", parsed.locate(["monitoring"], "key"), "add `@betagors/yama-metrics` to `plugins:`");
  }
  const fieldContext = createFieldContext(config, parsed, diagnostics);
  const schemas = analyzeSchemas(config, fieldContext);
  analyzeProjections(config, schemas, entities, parsed, diagnostics);
  const endpoints = analyzeEndpoints(config, fieldContext, entities, schemas, host);
  // An endpoint's own `rateLimit:` enables rate limiting even without a top-level section.
  const limited = endpoints.find((e) => e.rateLimit);
  if (limited && !plugins.some((p) => p.name === rateLimitPlugin.name)) plugins.push({ name: rateLimitPlugin.name, options: {}, loc: limited.loc });
  endpoints.push(...analyzeOperations(policies, config, fieldContext, entities, schemas, host, endpoints));
  checkPolicyRules(endpoints, parsed, diagnostics);
  checkOverridePolicies(endpoints, entities, diagnostics);
  checkCacheOperations(plugins.find((p) => p.name === cachePlugin.name), endpoints, parsed, diagnostics);
  const name = config.project?.name ?? config.name ?? "yama-app";
  const { targets, deployment } = analyzeDeployment(config, parsed, diagnostics, { name, plugins }, options.deployment);
  // On Lambda the pool is sized by the template (DATABASE_POOL_MAX=2) unless database.pool.max says otherwise.
  if (targets.includes("lambda") && config.database?.pool?.max === undefined) database.poolMax = parseConfigString(`\${${LAMBDA_POOL_VAR}}`);
  // Without a `docs:` key, the contract and its docs page are served in development only; not
  // on Workers, which cannot read the page's assets from node_modules (`docs: true` there is an error).
  if (!plugins.some((p) => p.name === DOCS_PLUGIN) && !targets.includes("workers")) plugins.push(defaultDocsUse(parsed.locate([])));
  if (diagnostics.hasErrors) return undefined;

  const port = config.server?.port;
  return {
    name,
    version: String(config.project?.version ?? config.version ?? "0.1.0"),
    configFile: parsed.file,
    entities,
    junctions,
    schemas,
    endpoints,
    database,
    plugins,
    targets,
    deployment,
    config: configVars,
    envReferences: collectEnvReferences(value, parsed),
    server: { port: typeof port === "string" ? parseConfigString(port) : port ?? parseConfigString("${PORT:-3000}") },
    routes: [],
  };
}

/**
 * A `crudOverrides:` entry keeps its CRUD route's access rule, but a row policy's `where:` lives in
 * the SQL of the route it replaces: neither a handler file's queries nor a declarative handler's
 * (query, template) are filtered by it, so the override would reach every caller's rows.
 */
function checkOverridePolicies(endpoints: readonly EndpointIR[], entities: readonly EntityIR[], diagnostics: DiagnosticBag): void {
  for (const endpoint of endpoints) {
    const override = endpoint.crudOverride;
    if (override === undefined) continue;
    const rule = entities.find((e) => e.name === override.entity)?.crud?.auth?.[override.operation];
    if (!rule?.where?.length) continue;
    diagnostics.error(
      "policy-where-not-applied",
      `policy ${rule.policy} filters ${override.entity} rows (\`where:\`), but the crudOverrides handler of its ${override.operation} route runs queries of its own, which the filter cannot reach`,
      "loc" in endpoint.handler ? endpoint.handler.loc : endpoint.loc,
      "check ownership in a handler file (ctx.auth.user.id), or drop the override and let the CRUD route apply the policy",
    );
  }
}
