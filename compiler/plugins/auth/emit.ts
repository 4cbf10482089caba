/**
 * What the auth module writes: src/plugins/auth.ts (the providers and the role table, run on
 * every request) and, on each protected route, a `requireAuth(rule)` middleware in front of its
 * handler, so a route's access rule sits next to its code.
 */
import { parseConfigString } from "../../2-analyze/config-string.js";
import { envExpression, envText } from "../../4-emit/env.js";
import { file, header, Imports, key, ts } from "../../4-emit/writer.js";
import type { AuthRequirementIR, CrudIR, EndpointIR, EntityIR, ProjectIR } from "../../ir.js";
import type { OutputFile } from "../../4-emit/index.js";
import { type AuthOptions, isOAuth, jwtAlgorithms, type ProviderOptions, rolePermissions } from "./options.js";
import { resolveApiKeyTable, resolveBasicTable } from "./model.js";
import { crudAccess, describeRule, endpointAccess } from "./rules.js";

/** A list of strings as TypeScript. */
const strings = (values: readonly string[]) => `[${values.map(ts).join(", ")}]`;
const oneOrMore = (v: string | string[]) => (Array.isArray(v) ? strings(v) : ts(v));

/** A config value that must come from the environment, read once at start-up; missing is fatal. */
export function secret(value: string, imports: Imports, what: string): string {
  const parsed = parseConfigString(value);
  const names = parsed.kind === "env" ? parsed.parts.flatMap((p) => ("env" in p ? [p.env] : [])) : [];
  imports.add("../lib/auth.js", "requireSecret");
  return `requireSecret(${envExpression(parsed)}, ${ts(`${names.join(", ") || what} (${what})`)})`;
}

/** A value that may be written literally or come from the environment (public keys, JWKS URLs). */
export function plain(value: string): string {
  return envText(parseConfigString(value));
}

/** The name of a provider's prepared lookup, suffixed with its position in auth.providers. */
function lookupName(i: number, base: string): string {
  return `${base}${i}`;
}

/** The provider's constructor call, or undefined for providers that do not authenticate requests (OAuth sign-in). */
/**
 * A prepared one-row lookup of `entity` by one column, run through `direct()` (postgres.js
 * without Drizzle's per-call layers); soft-deleted rows never match.
 */
function singleRowLookup(
  entity: EntityIR,
  imports: Imports,
  q: { doc: string; name: string; columns: string[]; key: string; placeholder: string; statement: string },
): string {
  const t = entity.varName;
  imports.add("../lib/prepared.js", "direct").add("../db/client.js", "db").add(`../db/tables/${entity.fileName}.js`, t).add("drizzle-orm", "eq", "sql");
  let where = `eq(${t}.${q.key}, sql.placeholder(${ts(q.placeholder)}))`;
  if (entity.softDelete) {
    imports.add("drizzle-orm", "and", "isNull");
    where = `and(${where}, isNull(${t}.${entity.softDelete.field}))`;
  }
  return `/** ${q.doc} */
const ${q.name} = direct(
  db
    .select({ ${q.columns.join(", ")} })
    .from(${t})
    .where(${where})
    .limit(1)
    .prepare(${ts(q.statement)}),
);`;
}

function providerCall(p: ProviderOptions, i: number, opts: AuthOptions, ir: ProjectIR, imports: Imports, statements: string[]): string | undefined {
  const app = ir.name;
  if (isOAuth(p)) return undefined;
  const at = `auth.providers[${i}]`;
  if (p.type === "jwt") {
    imports.add("../lib/auth-jwt.js", "jwtProvider");
    const keyArg = p.secret !== undefined
      ? `secret: ${secret(p.secret, imports, `${at}.secret`)}`
      : p.publicKey !== undefined
        ? `publicKey: ${parseConfigString(p.publicKey).kind === "env" ? secret(p.publicKey, imports, `${at}.publicKey`) : plain(p.publicKey)}`
        : `jwksUrl: ${parseConfigString(p.jwksUrl!).kind === "env" ? secret(p.jwksUrl!, imports, `${at}.jwksUrl`) : plain(p.jwksUrl!)}`;
    const source = p.secret ?? p.publicKey ?? p.jwksUrl!;
    const env = parseConfigString(source);
    const label = env.kind === "env" ? env.parts.flatMap((x) => ("env" in x ? [x.env] : [])).join(", ") : `${at}.${p.secret !== undefined ? "secret" : p.publicKey !== undefined ? "publicKey" : "jwksUrl"}`;
    const fields = [
      keyArg,
      `algorithms: ${strings(jwtAlgorithms(p))}`,
      ...(p.issuer !== undefined ? [`issuer: ${oneOrMore(p.issuer)}`] : []),
      ...(p.audience !== undefined ? [`audience: ${oneOrMore(p.audience)}`] : []),
      `clockToleranceSeconds: ${p.clockSkew}`,
      `requireExpiration: ${p.requireExpiration}`,
      `claims: { id: ${ts(p.claims.id)}, roles: ${ts(p.claims.roles)}, permissions: ${ts(p.claims.permissions)} }`,
      `source: ${ts(label)}`,
    ];
    return `  jwtProvider({\n${fields.map((f) => `    ${f},`).join("\n")}\n  }),`;
  }
  if (p.type === "api-key" && p.entity !== undefined) {
    const table = resolveApiKeyTable(p, i, ir.entities)!;
    const t = table.entity.varName;
    imports.add("../lib/auth-db.js", "entityApiKeyProvider");
    const columns = [`id: ${t}.${table.entity.primaryKey}`, ...(table.user ? [`userId: ${t}.${table.user.name}`] : []), ...(table.roles ? [`roles: ${t}.${table.roles.name}`] : [])];
    statements.push(
      singleRowLookup(table.entity, imports, {
        doc: `The ${table.entity.name} whose ${table.key.name} is the SHA-256 digest of the presented key${table.entity.softDelete ? " (deleted keys are revoked)" : ""}.`,
        name: lookupName(i, "apiKeyByDigest"),
        columns,
        key: table.key.name,
        placeholder: "digest",
        statement: `auth_api_key_${i}`,
      }),
    );
    return `  entityApiKeyProvider({
    header: ${ts(p.header.toLowerCase())},
    lookup: async (digest) => (await ${lookupName(i, "apiKeyByDigest")}.execute({ digest }))[0],
    roles: ${strings(p.roles)},
    permissions: ${strings(p.permissions)},
  }),`;
  }
  if (p.type === "api-key") {
    imports.add("../lib/auth.js", "apiKeyProvider");
    const env = parseConfigString(p.keys!);
    const label = env.kind === "env" ? env.parts.flatMap((x) => ("env" in x ? [x.env] : [])).join(", ") : `${at}.keys`;
    return `  apiKeyProvider({ header: ${ts(p.header.toLowerCase())}, hashes: ${secret(p.keys!, imports, `${at}.keys`)}, source: ${ts(label)}, roles: ${strings(p.roles)}, permissions: ${strings(p.permissions)} }),`;
  }
  if (p.type === "basic" && p.mode === "database") {
    const table = resolveBasicTable(p, i, opts, ir.entities)!;
    const t = table.entity.varName;
    imports.add("../lib/auth-db.js", "databaseBasicProvider");
    const columns = [`id: ${t}.${table.entity.primaryKey}`, `passwordHash: ${t}.${table.password.name}`, ...(table.roles ? [`roles: ${t}.${table.roles.name}`] : [])];
    statements.push(
      singleRowLookup(table.entity, imports, {
        doc: `The ${table.entity.name} signing in with basic credentials, by ${table.identifier.name}.`,
        name: lookupName(i, "userByIdentifier"),
        columns,
        key: table.identifier.name,
        placeholder: "identifier",
        statement: `auth_basic_user_${i}`,
      }),
    );
    return `  databaseBasicProvider({
    realm: ${ts(app)},
    findUser: async (identifier) => (await ${lookupName(i, "userByIdentifier")}.execute({ identifier${table.identifier.type === "email" ? ": identifier.toLowerCase()" : ""} }))[0],
    roles: ${strings(p.roles)},
    permissions: ${strings(p.permissions)},
    defaultRoles: ${strings(opts.auth.defaultRole ? [opts.auth.defaultRole] : [])},
  }),`;
  }
  if (p.type === "basic") {
    imports.add("../lib/auth.js", "basicProvider");
    return `  basicProvider({ identifier: ${secret(p.identifier!, imports, `${at}.identifier`)}, password: ${secret(p.password!, imports, `${at}.password`)}, roles: ${strings(p.roles)}, permissions: ${strings(p.permissions)}, realm: ${ts(app)} }),`;
  }
  throw new Error(`auth provider ${p.type} is not compiled`);
}

export function emitAuthModule(opts: AuthOptions, ir: ProjectIR): OutputFile {
  const imports = new Imports().add("../lib/auth.js", "authenticate").type("../lib/auth.js", "RolePermissions");
  const statements: string[] = [];
  const providers = opts.auth.providers.flatMap((p, i) => providerCall(p, i, opts, ir, imports, statements) ?? []);
  const roles = Object.entries(rolePermissions(opts)).map(([role, permissions]) => `  ${key(role)}: ${strings(permissions)},`);
  const body = `${statements.length ? `${statements.join("\n\n")}\n\n` : ""}/** Permissions each role grants (\`*\` and \`resource:*\` are wildcards). */
export const rolePermissions: RolePermissions = {
${roles.join("\n")}
};

/**
 * Who is calling, on every request: the providers are tried in order and the first that
 * recognises the credentials decides. Secrets are read from the environment at start-up.
 * Each protected route checks the result with its own \`requireAuth(…)\`.
 */
export const authentication = authenticate(
  [
${providers.map((p) => p.replace(/^/gm, "  ")).join("\n")}
  ],
  rolePermissions,
);`;
  return { path: "src/plugins/auth.ts", content: header("authentication", ir.configFile) + file(imports.toString(), body) };
}

/** A rule as runtime-lib's `AccessRule` literal (`{ roles: ["admin"] }`), or "" for any signed-in caller. */
export function accessRule(rule: AuthRequirementIR): string {
  const fields = [
    rule.roles.length ? `roles: ${strings(rule.roles)}` : "",
    rule.permissions.length ? `permissions: ${strings(rule.permissions)}` : "",
    rule.providers?.length ? `providers: ${strings(rule.providers)}` : "",
  ].filter((f) => f !== "");
  return fields.length ? `{ ${fields.join(", ")} }` : "";
}

/** `requireAuth({…}), ` for a protected route, "" for a public one. */
function guard(rule: AuthRequirementIR | undefined, imports: Imports): string {
  if (!rule) return "";
  imports.add("../lib/auth.js", "requireAuth");
  return `requireAuth(${accessRule(rule)}), `;
}

/** The access check a CRUD route registers before its handler (empty when the route is public). */
export function crudGuard(ir: ProjectIR, entity: EntityIR, operation: CrudIR["methods"][number], imports: Imports): string {
  return guard(crudAccess(ir, entity, operation).rule, imports);
}

/** The access check an endpoint registers before its handler (empty when the route is public). */
export function endpointGuard(ir: ProjectIR, ep: EndpointIR, imports: Imports): string {
  return guard(endpointAccess(ir, ep).rule, imports);
}

/** The rule in words, for route comments. */
export function endpointRuleText(ir: ProjectIR, ep: EndpointIR): string {
  return describeRule(endpointAccess(ir, ep).rule);
}
