/**
 * Providers whose credentials live in the app's own tables: API keys stored as SHA-256
 * digests in an entity, and `Authorization: Basic` against a user entity whose passwords are
 * argon2id or bcrypt hashes. The generated src/plugins/auth.ts passes each one a prepared
 * lookup; this module never builds SQL.
 */
import { createHash } from "node:crypto";
import { type AuthProvider, basicCredentials, names } from "./auth.js";
import { requestHeader } from "./http.js";
import { verifyNothing, verifyPassword } from "./passwords.js";

/** What an API-key lookup returns for a known digest. */
export interface StoredApiKey {
  /** The key row's id, used as the caller's id when the key belongs to no user. */
  id: string | number;
  /** The user the key acts for (`userField`), when configured and set. */
  userId?: string | number | null;
  /** Roles stored with the key (`rolesField`): a list, or names separated by spaces or commas. */
  roles?: unknown;
}

export interface EntityApiKeyOptions {
  /** Lower-case header name. */
  header: string;
  /** Finds the key whose SHA-256 digest (hex) this is; undefined when none (or it is revoked). */
  lookup(digest: string): Promise<StoredApiKey | undefined>;
  roles: readonly string[];
  permissions: readonly string[];
}

/** The SHA-256 digest (hex) of an API key, as stored in the key entity. */
export function apiKeyDigest(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/** An API key in a header, accepted when its digest is stored in the key entity. Keys are never stored in clear. */
export function entityApiKeyProvider(options: EntityApiKeyOptions): AuthProvider {
  return {
    name: "api-key",
    async authenticate(c) {
      const key = requestHeader(c, options.header.toLowerCase());
      if (key === undefined || key === "") return { kind: "absent" };
      if (key.length > 512) return { kind: "invalid", reason: "unknown API key" };
      const row = await options.lookup(apiKeyDigest(key));
      if (!row) return { kind: "invalid", reason: "unknown API key" };
      const id = row.userId !== undefined && row.userId !== null ? String(row.userId) : `api-key:${row.id}`;
      return { kind: "user", user: { id, roles: [...new Set([...options.roles, ...names(row.roles)])], permissions: [...options.permissions] } };
    },
  };
}

/** What a user lookup returns for a known identifier. */
export interface StoredUser {
  id: string | number;
  /** The argon2id or bcrypt hash; null for users without a password (signed up through OAuth). */
  passwordHash: string | null;
  roles?: unknown;
}

export interface DatabaseBasicOptions {
  realm: string;
  findUser(identifier: string): Promise<StoredUser | undefined>;
  roles: readonly string[];
  permissions: readonly string[];
  /** Roles of users whose row lists none. */
  defaultRoles: readonly string[];
}

/** `Authorization: Basic` against the user entity: the identifier selects the row, the password must match its hash. */
export function databaseBasicProvider(options: DatabaseBasicOptions): AuthProvider {
  return {
    name: "basic",
    challenge: `Basic realm=${JSON.stringify(options.realm)}, charset="UTF-8"`,
    async authenticate(c) {
      const credentials = basicCredentials(requestHeader(c, "authorization"));
      if (credentials === "absent") return { kind: "absent" };
      if (credentials === "malformed") return { kind: "invalid", reason: "malformed basic credentials" };
      const { password } = credentials;
      const user = await options.findUser(credentials.identifier);
      // An unknown identifier costs one verification too, so timing does not tell which users exist.
      const ok = user ? await verifyPassword(password, user.passwordHash) : await verifyNothing(password);
      if (!user || !ok) return { kind: "invalid", reason: "invalid credentials" };
      const own = names(user.roles);
      return { kind: "user", user: { id: String(user.id), roles: [...new Set([...options.roles, ...(own.length ? own : options.defaultRoles)])], permissions: [...options.permissions] } };
    },
  };
}
