/**
 * What the auth module writes when the app issues its own tokens (`auth.endpoints`, OAuth):
 *
 *   src/db/tables/auth-refresh-token.ts   refresh tokens, stored as SHA-256 digests
 *   src/db/tables/auth-identity.ts        OAuth identities linked to users (with OAuth)
 *   src/auth/tokens.ts                    issuing, rotating and revoking tokens
 *   src/auth/routes.ts                    register, login, refresh, me, logout, change-password
 *   src/auth/oauth.ts                     /auth/<provider> and its callback (with OAuth)
 *
 * Every query is a Drizzle builder over the user entity's table; passwords are argon2id hashes.
 */
import { parseConfigString } from "../../2-analyze/config-string.js";
import { validationHelpers, zodForBody } from "../../4-emit/column-types.js";
import { envExpression } from "../../4-emit/env.js";
import type { OutputFile } from "../../4-emit/index.js";
import { columnKind } from "../../4-emit/policies.js";
import { hiddenFields } from "../../4-emit/validation.js";
import { file, header, Imports, key, ts } from "../../4-emit/writer.js";
import type { FieldIR, ProjectIR } from "../../ir.js";
import { secret } from "./emit.js";
import type { Signer, UserModel } from "./model.js";
import { type AuthOptions, type AuthRoute, isOAuth, type OAuthProviderOptions } from "./options.js";

export const REFRESH_TABLE = { file: "auth-refresh-token", varName: "authRefreshTokens", table: "auth_refresh_tokens" } as const;
export const IDENTITY_TABLE = { file: "auth-identity", varName: "authIdentities", table: "auth_identities" } as const;

/** The user's primary key as a foreign-key column of an auth table. */
function userIdColumn(model: UserModel, imports: Imports): string {
  const id = model.id;
  const call = id.type === "uuid" ? "uuid(\"user_id\")" : id.type === "bigint" ? "bigint(\"user_id\", { mode: \"number\" })" : ["integer", "smallint"].includes(id.type) ? "integer(\"user_id\")" : `varchar("user_id", { length: ${id.maxLength ?? id.length ?? 255} })`;
  imports.add("drizzle-orm/pg-core", call.slice(0, call.indexOf("(")));
  imports.add(`./${model.entity.fileName}.js`, model.entity.varName);
  return `${call}.notNull().references(() => ${model.entity.varName}.${id.name}, { onDelete: "cascade" })`;
}

export function emitAuthTables(model: UserModel, oauth: boolean, ir: ProjectIR): OutputFile[] {
  const out: OutputFile[] = [];
  const refresh = new Imports().add("drizzle-orm/pg-core", "pgTable", "uuid", "varchar", "timestamp", "index");
  const refreshUser = userIdColumn(model, refresh);
  out.push({
    path: `src/db/tables/${REFRESH_TABLE.file}.ts`,
    content: header("table auth_refresh_tokens, added by auth.endpoints", ir.configFile) + file(refresh.toString(), `/**
 * Refresh tokens of signed-in users. Only the SHA-256 digest of a token is stored; a token is
 * used once (revoked_at is set and a new one issued in the same family), and using a revoked
 * one revokes its whole family.
 */
export const ${REFRESH_TABLE.varName} = pgTable(${ts(REFRESH_TABLE.table)}, {
  id: uuid("id").primaryKey().defaultRandom(),
  userId: ${refreshUser},
  tokenHash: varchar("token_hash", { length: 64 }).notNull().unique(),
  familyId: uuid("family_id").notNull(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  revokedAt: timestamp("revoked_at", { withTimezone: true }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  index("auth_refresh_tokens_user_id_idx").on(t.userId),
  index("auth_refresh_tokens_family_id_idx").on(t.familyId),
]);`),
  });
  if (oauth) {
    const identity = new Imports().add("drizzle-orm/pg-core", "pgTable", "uuid", "varchar", "timestamp", "index", "uniqueIndex");
    const identityUser = userIdColumn(model, identity);
    out.push({
      path: `src/db/tables/${IDENTITY_TABLE.file}.ts`,
      content: header("table auth_identities, added by the OAuth providers", ir.configFile) + file(identity.toString(), `/** Which user each OAuth account (provider and the provider's user id) signs in as. */
export const ${IDENTITY_TABLE.varName} = pgTable(${ts(IDENTITY_TABLE.table)}, {
  id: uuid("id").primaryKey().defaultRandom(),
  provider: varchar("provider", { length: 32 }).notNull(),
  subject: varchar("subject", { length: 255 }).notNull(),
  userId: ${identityUser},
  email: varchar("email", { length: 320 }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  uniqueIndex("auth_identities_provider_subject_unique").on(t.provider, t.subject),
  index("auth_identities_user_id_idx").on(t.userId),
]);`),
    });
  }
  return out;
}

/** The user's columns clients may see, as a Drizzle selection. */
function profileSelection(model: UserModel): string {
  const hidden = hiddenFields(model.entity);
  return `{\n${model.entity.fields.filter((f) => !hidden.includes(f)).map((f) => `  ${key(f.name)}: ${model.entity.varName}.${f.name},`).join("\n")}\n}`;
}

/** `rolesOf(user)`: the roles a token carries. */
function rolesFunction(model: UserModel, defaults: readonly string[]): string {
  const fallback = `[${defaults.map(ts).join(", ")}]`;
  const r = model.roles;
  const body = !r ? `return ${fallback};` : r.array ? `return user.${r.name}?.length ? [...user.${r.name}] : ${fallback};` : `return user.${r.name} ? [user.${r.name}] : ${fallback};`;
  const param = r ? `user: { ${key(r.name)}: ${r.array ? "readonly string[] | null" : "string | null"} }` : "_user: object";
  return `/** The roles a token carries: the user's own, else the default role. */\nexport function rolesOf(${param}): string[] {\n  ${body}\n}`;
}

/** The values a new user's roles field starts with (`auth.defaultRole`), as `, roles: ["user"]`. */
function initialRoles(model: UserModel, defaultRole: string | undefined): string {
  if (!model.roles || defaultRole === undefined) return "";
  return `, ${key(model.roles.name)}: ${model.roles.array ? `[${ts(defaultRole)}]` : ts(defaultRole)}`;
}

export function emitTokensModule(opts: AuthOptions, model: UserModel, signer: Signer, ir: ProjectIR): OutputFile {
  const imports = new Imports()
    .add("drizzle-orm", "and", "eq", "gt", "inArray", "isNull", "sql")
    .add("../db/client.js", "db")
    .add(`../db/tables/${REFRESH_TABLE.file}.js`, REFRESH_TABLE.varName)
    .add("../lib/auth-tokens.js", "newOpaqueToken", "signAccessToken", "tokenDigest")
    .type("../lib/auth-tokens.js", "AccessTokenOptions")
    .type(`../db/tables/${model.entity.fileName}.js`, `${model.entity.name}Row`);
  const p = signer.provider;
  const t = REFRESH_TABLE.varName;
  const issuer = p.issuer === undefined ? undefined : Array.isArray(p.issuer) ? p.issuer[0]! : p.issuer;
  const fields = [
    `secret: ${secret(p.secret!, imports, `auth.providers[${signer.index}].secret`)}`,
    `algorithm: ${ts(signer.algorithm)}`,
    `expiresIn: ${p.accessToken?.expiresIn ?? 900}`,
    ...(issuer !== undefined ? [`issuer: ${ts(issuer)}`] : []),
    ...(p.audience !== undefined ? [`audience: ${Array.isArray(p.audience) ? `[${p.audience.map(ts).join(", ")}]` : ts(p.audience)}`] : []),
  ];
  const idType = `${model.entity.name}Row[${ts(model.id.name)}]`;
  const body = `/** Access tokens: signed with the secret of auth.providers[${signer.index}] (which verifies them). */
const accessTokens: AccessTokenOptions = {
${fields.map((f) => `  ${f},`).join("\n")}
};

/** Seconds a refresh token lives; it is rotated on every use. */
const REFRESH_SECONDS = ${p.refreshToken?.expiresIn ?? 604800};

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: "Bearer";
  /** Seconds until the access token expires. */
  expiresIn: number;
}

${rolesFunction(model, opts.auth.defaultRole ? [opts.auth.defaultRole] : [])}

/** A new token pair for a user. A sign-in starts a family of refresh tokens; a refresh continues its family. */
export async function issueTokens(user: { id: ${idType}; roles: readonly string[] }, familyId: string = crypto.randomUUID()): Promise<TokenPair> {
  const refreshToken = newOpaqueToken();
  await db.insert(${t}).values({
    userId: user.id,
    tokenHash: tokenDigest(refreshToken),
    familyId,
    expiresAt: new Date(Date.now() + REFRESH_SECONDS * 1000),
  });
  return { accessToken: await signAccessToken(user, accessTokens), refreshToken, tokenType: "Bearer", expiresIn: accessTokens.expiresIn };
}

/** Marks a live refresh token used, in one statement, so two requests cannot both use it. */
const consume = db
  .update(${t})
  .set({ revokedAt: sql\`now()\` })
  .where(and(eq(${t}.tokenHash, sql.placeholder("digest")), isNull(${t}.revokedAt), gt(${t}.expiresAt, sql\`now()\`)))
  .returning({ userId: ${t}.userId, familyId: ${t}.familyId })
  .prepare("auth_refresh_consume");

/**
 * Uses a refresh token: its user and family, or undefined when it is unknown, expired or already
 * used. Presenting a used token revokes every token of its family (the sign-in it came from):
 * either it was stolen or it is being replayed.
 */
export async function consumeRefreshToken(token: string): Promise<{ userId: ${idType}; familyId: string } | undefined> {
  const digest = tokenDigest(token);
  const [used] = await consume.execute({ digest });
  if (used) return used;
  const family = db.select({ familyId: ${t}.familyId }).from(${t}).where(eq(${t}.tokenHash, digest));
  await db.update(${t}).set({ revokedAt: sql\`now()\` }).where(and(inArray(${t}.familyId, family), isNull(${t}.revokedAt)));
  return undefined;
}

/** Revokes one refresh token of a user, or all of them (sign out everywhere). */
export async function revokeRefreshTokens(userId: ${idType}, token?: string): Promise<void> {
  const which = token === undefined ? undefined : eq(${t}.tokenHash, tokenDigest(token));
  await db.update(${t}).set({ revokedAt: sql\`now()\` }).where(and(eq(${t}.userId, userId), isNull(${t}.revokedAt), which));
}`;
  return { path: "src/auth/tokens.ts", content: header("tokens the app issues", ir.configFile) + file(imports.toString(), body) };
}

/** The fields a registration may set: the user entity's writable fields but the password hash, roles and role-restricted ones. */
export function registerFields(model: UserModel): FieldIR[] {
  return model.entity.fields.filter((f) => f !== model.password && f !== model.roles && !f.readonly && !(f.primary && f.generated) && !f.autoUpdate && !f.writableBy?.length && !f.primary);
}

export function emitAuthRoutes(opts: AuthOptions, model: UserModel, routes: readonly { route: AuthRoute; path: string }[], ir: ProjectIR): OutputFile {
  const u = model.entity.varName;
  const idField = model.identifier.name;
  const imports = new Imports()
    .add("hono", "Hono")
    .add("zod", "z")
    .add("drizzle-orm", "eq", "sql")
    .add("../db/client.js", "db")
    .add(`../db/tables/${model.entity.fileName}.js`, u)
    .add("../lib/http.js", "validate")
    .type("../lib/http.js", "AppEnv");
  const has = (r: AuthRoute) => routes.some((x) => x.route === r);
  const path = (r: AuthRoute) => routes.find((x) => x.route === r)!.path;
  const lower = model.identifier.type === "email";
  const login = (expr: string) => (lower ? `${expr}.toLowerCase()` : expr);
  const blocks: string[] = [`/** ${model.entity.name}'s columns sent to clients (never ${model.password.name}). */\nconst profile = ${profileSelection(model)};`];
  const helpers = new Set<string>();
  const use = (expr: string) => {
    for (const h of validationHelpers(expr)) helpers.add(h);
    return expr;
  };
  if (has("register") || has("changePassword")) blocks.push(`/** A new password: 8 to 256 characters. */\nconst password = z.string().min(8, "must be at least 8 characters").max(256);`);
  const handlers: string[] = [];
  const caller = () => {
    imports.add("../lib/policy.js", "callerValue").add("../lib/auth.js", "requireAuth");
    return `  const id = callerValue(c, "id", ${ts(columnKind(model.id))});\n`;
  };
  const lookups = new Set<string>();
  const byIdentifier = () => {
    if (!lookups.has("identifier")) {
      lookups.add("identifier");
      blocks.push(`const userBy${idField[0]!.toUpperCase()}${idField.slice(1)} = db.select({ user: profile, passwordHash: ${u}.${model.password.name} }).from(${u}).where(eq(${u}.${idField}, sql.placeholder("identifier"))).limit(1).prepare("auth_user_by_identifier");`);
    }
    return `userBy${idField[0]!.toUpperCase()}${idField.slice(1)}`;
  };
  const byId = () => {
    if (!lookups.has("id")) {
      lookups.add("id");
      blocks.push(`const userById = db.select({ user: profile, passwordHash: ${u}.${model.password.name} }).from(${u}).where(eq(${u}.${model.id.name}, sql.placeholder("id"))).limit(1).prepare("auth_user_by_id");`);
    }
    return "userById";
  };
  const tokens = (...names: string[]) => imports.add("./tokens.js", ...names);
  const invalidCredentials = () => {
    imports.add("../lib/errors.js", "ApiError");
    return `new ApiError(401, "AUTH_INVALID_CREDENTIALS", "Wrong ${idField} or password")`;
  };
  if (has("register")) {
    const fields = registerFields(model).map((f) => {
      let expr = use(zodForBody(f));
      if (f === model.identifier) return `  ${key(f.name)}: ${expr},`;
      if (!f.notNull) expr += ".nullable()";
      if (!(f.notNull && f.default === undefined && !f.generated)) expr += ".optional()";
      return `  ${key(f.name)}: ${expr},`;
    });
    blocks.push(`/** Body of POST ${path("register")}: the new user's fields, with a password instead of its hash. Unknown fields (roles among them) are rejected. */\nconst registerBody = z.strictObject({\n${fields.join("\n")}\n  password,\n});`);
    imports.add("../lib/http.js", "readJson").add("../lib/passwords.js", "hashPassword");
    tokens("issueTokens", "rolesOf");
    handlers.push(`/** POST ${path("register")}: creates a user (409 when the ${idField} is taken) and signs them in; 201 with the user and tokens. */
authRoutes.post(${ts(path("register"))}, async (c) => {
  const { password, ...fields } = validate(registerBody, await readJson(c), "VALIDATION_BODY", "Invalid request body");
  const [user] = await db
    .insert(${u})
    .values({ ...fields${lower ? `, ${key(idField)}: fields.${idField}.toLowerCase()` : ""}, ${key(model.password.name)}: await hashPassword(password)${initialRoles(model, opts.auth.defaultRole)} })
    .returning(profile);
  return c.json({ user: user!, ...(await issueTokens({ id: user!.${model.id.name}, roles: rolesOf(user!) })) }, 201);
});`);
  }
  if (has("login")) {
    imports.add("../lib/http.js", "readJson").add("../lib/passwords.js", "verifyNothing", "verifyPassword");
    tokens("issueTokens", "rolesOf");
    blocks.push(`/** Body of POST ${path("login")}. */\nconst loginBody = z.strictObject({\n  ${key(idField)}: z.string().min(1).max(320),\n  password: z.string().min(1).max(256),\n});`);
    handlers.push(`/** POST ${path("login")}: the user and a token pair, or 401 (the same answer for an unknown ${idField} and a wrong password). */
authRoutes.post(${ts(path("login"))}, async (c) => {
  const body = validate(loginBody, await readJson(c), "VALIDATION_BODY", "Invalid request body");
  const [found] = await ${byIdentifier()}.execute({ identifier: ${login(`body.${idField}`)} });
  const ok = found ? await verifyPassword(body.password, found.passwordHash) : await verifyNothing(body.password);
  if (!found || !ok) throw ${invalidCredentials()};
  return c.json({ user: found.user, ...(await issueTokens({ id: found.user.${model.id.name}, roles: rolesOf(found.user) })) });
});`);
  }
  if (has("refresh")) {
    imports.add("../lib/http.js", "readJson").add("../lib/errors.js", "ApiError");
    tokens("consumeRefreshToken", "issueTokens", "rolesOf");
    blocks.push(`/** Body of POST ${path("refresh")}. */\nconst refreshBody = z.strictObject({ refreshToken: z.string().min(1).max(256) });`);
    handlers.push(`/** POST ${path("refresh")}: a new token pair for a live refresh token, which is used up (rotation); 401 otherwise. */
authRoutes.post(${ts(path("refresh"))}, async (c) => {
  const { refreshToken } = validate(refreshBody, await readJson(c), "VALIDATION_BODY", "Invalid request body");
  const used = await consumeRefreshToken(refreshToken);
  const [found] = used ? await ${byId()}.execute({ id: used.userId }) : [];
  if (!used || !found) throw new ApiError(401, "AUTH_INVALID_TOKEN", "The refresh token is invalid, expired or already used");
  return c.json(await issueTokens({ id: found.user.${model.id.name}, roles: rolesOf(found.user) }, used.familyId));
});`);
  }
  if (has("me")) {
    imports.add("../lib/errors.js", "NotFoundError");
    handlers.push(`/** GET ${path("me")}: the signed-in user. */
authRoutes.get(${ts(path("me"))}, requireAuth(), async (c) => {
${caller()}  const [found] = await ${byId()}.execute({ id });
  if (!found) throw new NotFoundError("The signed-in user no longer exists");
  return c.json(found.user);
});`);
  }
  if (has("logout")) {
    imports.add("../lib/http.js", "readOptionalJson");
    tokens("revokeRefreshTokens");
    blocks.push(`/** Body of POST ${path("logout")}: the refresh token to revoke; without one, every refresh token of the user. */\nconst logoutBody = z.strictObject({ refreshToken: z.string().min(1).max(256).optional() });`);
    handlers.push(`/** POST ${path("logout")}: revokes the caller's refresh token (or all of them); 204. Access tokens run out on their own. */
authRoutes.post(${ts(path("logout"))}, requireAuth(), async (c) => {
${caller()}  const body = validate(logoutBody, (await readOptionalJson(c)) ?? {}, "VALIDATION_BODY", "Invalid request body");
  await revokeRefreshTokens(id, body.refreshToken);
  return c.body(null, 204);
});`);
  }
  if (has("changePassword")) {
    imports.add("../lib/http.js", "readJson").add("../lib/passwords.js", "hashPassword", "verifyPassword").add("../lib/errors.js", "ApiError");
    tokens("revokeRefreshTokens");
    blocks.push(`/** Body of POST ${path("changePassword")}. */\nconst changePasswordBody = z.strictObject({ currentPassword: z.string().min(1).max(256), newPassword: password });`);
    handlers.push(`/** POST ${path("changePassword")}: checks the current password, stores the new one's hash and signs the user out everywhere; 204. */
authRoutes.post(${ts(path("changePassword"))}, requireAuth(), async (c) => {
${caller()}  const body = validate(changePasswordBody, await readJson(c), "VALIDATION_BODY", "Invalid request body");
  const [found] = await ${byId()}.execute({ id });
  if (!found || !(await verifyPassword(body.currentPassword, found.passwordHash))) throw new ApiError(401, "AUTH_INVALID_CREDENTIALS", "The current password is wrong");
  await db.update(${u}).set({ ${key(model.password.name)}: await hashPassword(body.newPassword) }).where(eq(${u}.${model.id.name}, id));
  await revokeRefreshTokens(id);
  return c.body(null, 204);
});`);
  }
  if (helpers.size) imports.add("../lib/validation.js", ...[...helpers].sort());
  const router = `/** The /auth routes (auth.endpoints). Register, login and refresh are public; the others need a signed-in caller. */\nexport const authRoutes = new Hono<AppEnv>();`;
  return { path: "src/auth/routes.ts", content: header("auth endpoints", ir.configFile) + file(imports.toString(), ...blocks, router, ...handlers) };
}

const OAUTH_DEFAULTS = {
  "oauth-google": {
    name: "google",
    scopes: ["openid", "email", "profile"],
    authorizeUrl: "https://accounts.google.com/o/oauth2/v2/auth",
    tokenUrl: "https://oauth2.googleapis.com/token",
    userInfoUrl: "https://openidconnect.googleapis.com/v1/userinfo",
    emailsUrl: undefined,
  },
  "oauth-github": {
    name: "github",
    scopes: ["read:user", "user:email"],
    authorizeUrl: "https://github.com/login/oauth/authorize",
    tokenUrl: "https://github.com/login/oauth/access_token",
    userInfoUrl: "https://api.github.com/user",
    emailsUrl: "https://api.github.com/user/emails",
  },
} as const;

/** The `/auth/<provider>` prefix: that of auth.endpoints, or /auth. */
export function oauthPrefix(opts: AuthOptions): string {
  const e = opts.auth.endpoints;
  return (typeof e === "object" ? e.prefix : "/auth").replace(/\/$/, "");
}

export function emitOAuthRoutes(opts: AuthOptions, model: UserModel, signer: Signer, ir: ProjectIR): OutputFile {
  const u = model.entity.varName;
  const i = IDENTITY_TABLE.varName;
  const imports = new Imports()
    .add("hono", "Hono")
    .add("drizzle-orm", "and", "eq")
    .add("../db/client.js", "db")
    .add(`../db/tables/${model.entity.fileName}.js`, u)
    .add(`../db/tables/${IDENTITY_TABLE.file}.js`, i)
    .add("../lib/auth-oauth.js", "finishAuthorization", "startAuthorization")
    .type("../lib/auth-oauth.js", "OAuthClientOptions", "OAuthProfile")
    .add("../lib/errors.js", "ValidationError")
    .add("./tokens.js", "issueTokens", "rolesOf")
    .type("../lib/http.js", "AppEnv");
  const prefix = oauthPrefix(opts);
  const blocks: string[] = [];
  const routes: string[] = [];
  const providers = opts.auth.providers.map((p, index) => ({ p, index })).filter((x): x is { p: OAuthProviderOptions; index: number } => isOAuth(x.p));
  for (const { p, index } of providers) {
    const d = OAUTH_DEFAULTS[p.type];
    const at = `auth.providers[${index}]`;
    const value = (v: string | undefined, fallback: string) => (v === undefined ? ts(fallback) : parseConfigString(v).kind === "env" ? `${envExpression(parseConfigString(v))} ?? ${ts(fallback)}` : ts(v));
    const clientId = parseConfigString(p.clientId).kind === "env" ? secret(p.clientId, imports, `${at}.clientId`) : ts(p.clientId);
    const emails = p.type === "oauth-github" ? value(p.emailsUrl, d.emailsUrl!) : undefined;
    const fields = [
      `provider: ${ts(d.name)}`,
      `clientId: ${clientId}`,
      `clientSecret: ${secret(p.clientSecret, imports, `${at}.clientSecret`)}`,
      ...(p.redirectUri !== undefined ? [`redirectUri: ${parseConfigString(p.redirectUri).kind === "env" ? envExpression(parseConfigString(p.redirectUri)) : ts(p.redirectUri)}`] : []),
      `scopes: [${(p.scopes ?? d.scopes).map(ts).join(", ")}]`,
      `authorizeUrl: ${value(p.authorizeUrl, d.authorizeUrl)}`,
      `tokenUrl: ${value(p.tokenUrl, d.tokenUrl)}`,
      `userInfoUrl: ${value(p.userInfoUrl, d.userInfoUrl)}`,
      ...(emails ? [`emailsUrl: ${emails}`] : []),
      `callbackPath: ${ts(`${prefix}/${d.name}/callback`)}`,
      `cookieSecret: ${secret(signer.provider.secret!, imports, `auth.providers[${signer.index}].secret`)}`,
    ];
    blocks.push(`/** ${p.type} (${at}). */\nconst ${d.name}: OAuthClientOptions = {\n${fields.map((f) => `  ${f},`).join("\n")}\n};`);
    routes.push(`/** GET ${prefix}/${d.name}: redirects to ${d.name === "google" ? "Google" : "GitHub"} with a fresh state and PKCE challenge. */
oauthRoutes.get(${ts(`${prefix}/${d.name}`)}, async (c) => startAuthorization(c, ${d.name}));

/** GET ${prefix}/${d.name}/callback: checks the state, exchanges the code, signs the user in; the user and a token pair. */
oauthRoutes.get(${ts(`${prefix}/${d.name}/callback`)}, async (c) => {
  const user = await signIn(await finishAuthorization(c, ${d.name}));
  return c.json({ user, ...(await issueTokens({ id: user.${model.id.name}, roles: rolesOf(user) })) });
});`);
  }
  const name = model.name ? `, ${key(model.name.name)}: profile.name ?? ${model.name.notNull ? `profile.email` : "null"}` : "";
  blocks.push(`/** ${model.entity.name}'s columns sent to clients (never ${model.password.name}). */\nconst profileColumns = ${profileSelection(model)};

/**
 * The user an OAuth account signs in as: the one it is linked to; else the user with the same
 * address when the provider vouches for it (the account is linked); else a new user without a
 * password.
 */
async function signIn(profile: OAuthProfile) {
  const [linked] = await db
    .select({ user: profileColumns })
    .from(${i})
    .innerJoin(${u}, eq(${u}.${model.id.name}, ${i}.userId))
    .where(and(eq(${i}.provider, profile.provider), eq(${i}.subject, profile.subject)))
    .limit(1);
  if (linked) return linked.user;
  if (!profile.email) throw new ValidationError("The identity provider shares no verified e-mail address for this account", undefined, "OAUTH_NO_EMAIL");
  const [existing] = profile.emailVerified ? await db.select(profileColumns).from(${u}).where(eq(${u}.${model.identifier.name}, profile.email)).limit(1) : [];
  const [user] = existing
    ? [existing]
    : await db.insert(${u}).values({ ${key(model.identifier.name)}: profile.email${name}${initialRoles(model, opts.auth.defaultRole)} }).returning(profileColumns);
  await db.insert(${i}).values({ provider: profile.provider, subject: profile.subject, userId: user!.${model.id.name}, email: profile.email }).onConflictDoNothing();
  return user!;
}`);
  const router = `/** OAuth 2.0 sign-in (authorization code with PKCE S256 and state). */\nexport const oauthRoutes = new Hono<AppEnv>();`;
  return { path: "src/auth/oauth.ts", content: header("OAuth sign-in", ir.configFile) + file(imports.toString(), ...blocks, router, ...routes) };
}
