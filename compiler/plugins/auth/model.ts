/**
 * The tables auth reads: the user entity (`auth.user`) behind the /auth routes, OAuth sign-in
 * and basic auth in database mode, and the entities holding API-key digests. Resolved once
 * from the options and the analysed entities; analysis reports what does not fit (with the
 * position of the offending key), emission uses the result.
 */
import type { ConfigPath } from "../../1-parse/parse.js";
import { closest } from "../../diagnostics.js";
import { STRING_TYPES } from "../../2-analyze/types.js";
import type { EntityIR, FieldIR } from "../../ir.js";
import { type ApiKeyProviderOptions, type AuthOptions, type BasicProviderOptions, isOAuth, jwtAlgorithms, type JwtProviderOptions } from "./options.js";

/** A problem found while resolving, reported by analysis at `path`. */
export type Report = (code: string, message: string, path: ConfigPath, hint?: string, at?: "key" | "value") => void;

export interface UserModel {
  entity: EntityIR;
  id: FieldIR;
  /** The login name (`email` by default). */
  identifier: FieldIR;
  /** The password hash. */
  password: FieldIR;
  roles?: FieldIR;
  name?: FieldIR;
}

/** The JWT provider whose secret signs the tokens the app issues. */
export interface Signer {
  provider: JwtProviderOptions;
  index: number;
  algorithm: "HS256" | "HS384" | "HS512";
}

const isText = (f: FieldIR) => STRING_TYPES.has(f.type) && !f.array;
const isRoleList = (f: FieldIR) => (STRING_TYPES.has(f.type) || f.type === "enum");

function fieldOf(entity: EntityIR, name: string, path: ConfigPath, report: Report, what: string): FieldIR | undefined {
  const field = entity.fields.find((f) => f.name === name);
  if (!field) {
    const s = closest(name, entity.fields.map((f) => f.name));
    report("unknown-field", `${what} names unknown field ${entity.name}.${name}`, path, s ? `did you mean "${s}"?` : `fields of ${entity.name}: ${entity.fields.map((f) => f.name).join(", ")}`);
  }
  return field;
}

export function entityOf(name: string, entities: readonly EntityIR[], path: ConfigPath, report: Report, what: string): EntityIR | undefined {
  const entity = entities.find((e) => e.name === name);
  if (!entity) {
    const s = closest(name, entities.map((e) => e.name));
    report("unknown-entity", `${what} names unknown entity ${name}`, path, s ? `did you mean "${s}"?` : "declare it under `entities:`");
  }
  return entity;
}

/** The user entity and its fields, defaults applied (`email`, `passwordHash` or `password`, `roles` or `role`, `name`). */
export function resolveUserModel(opts: AuthOptions, entities: readonly EntityIR[], report: Report = () => {}): UserModel | undefined {
  const user = opts.auth.user;
  if (!user) return undefined;
  const at = (...rest: string[]): ConfigPath => ["auth", "user", ...rest];
  const entity = entityOf(user.entity, entities, at("entity"), report, "auth.user.entity");
  if (!entity) return undefined;
  const has = (n: string) => entity.fields.some((f) => f.name === n);
  const pick = (key: "id" | "email" | "password" | "roles" | "name", defaults: string[]): FieldIR | undefined => {
    const named = user.fields[key];
    if (named !== undefined) return fieldOf(entity, named, at("fields", key), report, `auth.user.fields.${key}`);
    const found = defaults.find(has);
    return found === undefined ? undefined : entity.fields.find((f) => f.name === found);
  };
  const id = pick("id", [entity.primaryKey]);
  const identifier = pick("email", ["email", "username"]);
  const password = pick("password", ["passwordHash", "password"]);
  const roles = pick("roles", ["roles", "role"]);
  const name = pick("name", ["name"]);
  if (!identifier && user.fields.email === undefined) report("auth-user-field", `auth.user: ${entity.name} has no email or username field to sign in with`, at("entity"), "name it: `fields: {email: login}`");
  if (!password && user.fields.password === undefined) report("auth-user-field", `auth.user: ${entity.name} has no passwordHash or password field`, at("entity"), "add `passwordHash: string? sensitive`, or name it: `fields: {password: secretHash}`");
  if (id && !id.primary) report("auth-user-field", `auth.user.fields.id: ${entity.name}.${id.name} is not the primary key`, at("fields", "id"), `use ${entity.primaryKey}`);
  if (identifier) {
    const where = user.fields.email !== undefined ? at("fields", "email") : at("entity");
    if (!isText(identifier)) report("auth-user-field", `the sign-in field ${entity.name}.${identifier.name} is ${identifier.type}; it must be text`, where);
    else if (!identifier.unique && !identifier.primary) report("auth-user-field", `the sign-in field ${entity.name}.${identifier.name} is not unique, so two users could share it`, where, `declare it \`${identifier.name}: ${identifier.type}! unique\``);
  }
  if (password) {
    const where = user.fields.password !== undefined ? at("fields", "password") : at("entity");
    if (!isText(password)) report("auth-user-field", `the password field ${entity.name}.${password.name} is ${password.type}; it holds a hash, which is text`, where);
    else if (!password.sensitive && !password.writeOnly) {
      report("auth-password-exposed", `the password field ${entity.name}.${password.name} is not marked sensitive, so its hash would be sent in responses`, where, `declare it \`${password.name}: string? sensitive\` (never returned, never logged)`);
    } else if (password.maxLength !== undefined && password.maxLength < 100) {
      report("auth-user-field", `the password field ${entity.name}.${password.name} holds at most ${password.maxLength} characters; an argon2id hash needs about 100`, where, `use \`${password.name}: text? sensitive\``);
    }
  }
  if (roles && !isRoleList(roles)) report("auth-user-field", `the roles field ${entity.name}.${roles.name} is ${roles.type}; it must be a string, an enum or a list of them`, user.fields.roles !== undefined ? at("fields", "roles") : at("entity"));
  if (!id || !identifier || !password) return undefined;
  return { entity, id, identifier, password, ...(roles ? { roles } : {}), ...(name ? { name } : {}) };
}

/** The first JWT provider with an HMAC secret: the key the app's own tokens are signed with. */
export function resolveSigner(opts: AuthOptions): Signer | undefined {
  for (const [index, p] of opts.auth.providers.entries()) {
    if (p.type !== "jwt" || p.secret === undefined) continue;
    const algorithm = jwtAlgorithms(p).find((a): a is Signer["algorithm"] => a === "HS256" || a === "HS384" || a === "HS512");
    if (algorithm) return { provider: p, index, algorithm };
  }
  return undefined;
}

/** Whether the app issues its own tokens: /auth routes or OAuth sign-in. */
export function issuesTokens(opts: AuthOptions, routes: number): boolean {
  return routes > 0 || opts.auth.providers.some(isOAuth);
}

export interface ApiKeyTable {
  entity: EntityIR;
  key: FieldIR;
  user?: FieldIR;
  roles?: FieldIR;
}

/** The entity and fields of an API-key provider with `entity:`. */
export function resolveApiKeyTable(p: ApiKeyProviderOptions, i: number, entities: readonly EntityIR[], report: Report = () => {}): ApiKeyTable | undefined {
  if (p.entity === undefined) return undefined;
  const at = (k: string): ConfigPath => ["auth", "providers", i, k];
  const entity = entityOf(p.entity, entities, at("entity"), report, `auth.providers[${i}].entity`);
  if (!entity) return undefined;
  const key = fieldOf(entity, p.keyField, at("keyField"), report, `auth.providers[${i}].keyField`);
  const user = p.userField === undefined ? undefined : fieldOf(entity, p.userField, at("userField"), report, `auth.providers[${i}].userField`);
  const roles = p.rolesField === undefined ? undefined : fieldOf(entity, p.rolesField, at("rolesField"), report, `auth.providers[${i}].rolesField`);
  if (key) {
    if (!isText(key)) report("bad-plugin-option", `auth.providers[${i}].keyField: ${entity.name}.${key.name} is ${key.type}; it must hold the SHA-256 digest (hex) as text`, at("keyField"));
    else if (!key.unique) report("bad-plugin-option", `auth.providers[${i}].keyField: ${entity.name}.${key.name} is not unique`, at("keyField"), `declare it \`${key.name}: string(64)! unique sensitive\``);
    else if (!key.sensitive && !key.writeOnly) report("auth-password-exposed", `the key digests in ${entity.name}.${key.name} are not marked sensitive, so they would be sent in responses`, at("keyField"), `declare it \`${key.name}: string(64)! unique sensitive\``);
  }
  if (roles && !isRoleList(roles)) report("bad-plugin-option", `auth.providers[${i}].rolesField: ${entity.name}.${roles.name} is ${roles.type}; it must be a string or a list of strings`, at("rolesField"));
  if (!key) return undefined;
  return { entity, key, ...(user ? { user } : {}), ...(roles ? { roles } : {}) };
}

export interface BasicTable {
  entity: EntityIR;
  identifier: FieldIR;
  password: FieldIR;
  roles?: FieldIR;
}

/** The user entity of a basic provider in database mode: its own keys, else `auth.user`. */
export function resolveBasicTable(p: BasicProviderOptions, i: number, opts: AuthOptions, entities: readonly EntityIR[], report: Report = () => {}): BasicTable | undefined {
  const at = (k: string): ConfigPath => ["auth", "providers", i, k];
  const model = resolveUserModel(opts, entities);
  const entityName = p.userEntity ?? opts.auth.user?.entity;
  if (entityName === undefined) {
    report("bad-plugin-option", `auth.providers[${i}] (basic, mode: database) needs the user entity`, at("mode"), "add `userEntity: User` (with identifierField and passwordField), or an `auth.user` section");
    return undefined;
  }
  const entity = entityOf(entityName, entities, p.userEntity !== undefined ? at("userEntity") : ["auth", "user", "entity"], report, `auth.providers[${i}].userEntity`);
  if (!entity) return undefined;
  const same = model?.entity === entity;
  const field = (key: "identifierField" | "passwordField" | "rolesField", fallback: FieldIR | undefined, plain: string | undefined): FieldIR | undefined => {
    const named = p[key];
    if (named !== undefined) return fieldOf(entity, named, at(key), report, `auth.providers[${i}].${key}`);
    if (same) return fallback;
    if (plain === undefined) return undefined;
    return fieldOf(entity, plain, at("userEntity"), report, `auth.providers[${i}] (default ${key})`);
  };
  const identifier = field("identifierField", model?.identifier, "email");
  const password = field("passwordField", model?.password, "passwordHash");
  const roles = field("rolesField", model?.roles, undefined);
  if (password && !password.sensitive && !password.writeOnly) report("auth-password-exposed", `the password field ${entity.name}.${password.name} is not marked sensitive, so its hash would be sent in responses`, p.passwordField !== undefined ? at("passwordField") : at("mode"), `declare it \`${password.name}: string? sensitive\``);
  if (identifier && !identifier.unique && !identifier.primary) report("auth-user-field", `the sign-in field ${entity.name}.${identifier.name} is not unique, so two users could share it`, p.identifierField !== undefined ? at("identifierField") : at("mode"), `declare it \`${identifier.name}: ${identifier.type}! unique\``);
  if (!identifier || !password) return undefined;
  return { entity, identifier, password, ...(roles ? { roles } : {}) };
}
