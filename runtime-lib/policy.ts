/**
 * Row policies and field rules on CRUD routes: the caller's values a policy compares rows with
 * (`where: {authorId: auth.user.id}` puts the caller's id into the statement as a parameter),
 * and fields only some roles may set.
 */
import type { Context } from "hono";
import { ApiError } from "./errors.js";
import type { AppEnv, RequestAuth } from "./http.js";

/** The type of the column a caller value is compared with: a value of another type can never match. */
export type ColumnKind = "uuid" | "text" | "integer";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The caller's `claim` (`id` or another claim of the token) as a value of the column's type, or undefined. */
export function callerClaim(auth: RequestAuth | undefined, claim: string, kind: "integer"): number | undefined;
export function callerClaim(auth: RequestAuth | undefined, claim: string, kind: "uuid" | "text"): string | undefined;
export function callerClaim(auth: RequestAuth | undefined, claim: string, kind: ColumnKind): string | number | undefined;
export function callerClaim(auth: RequestAuth | undefined, claim: string, kind: ColumnKind): string | number | undefined {
  const user = auth?.authenticated ? auth.user : undefined;
  if (!user) return undefined;
  const value = claim === "id" ? user.id : user[claim];
  if (kind === "integer") {
    const n = typeof value === "number" ? value : typeof value === "string" && /^-?\d{1,15}$/.test(value) ? Number(value) : NaN;
    return Number.isSafeInteger(n) ? n : undefined;
  }
  if (typeof value !== "string" && typeof value !== "number") return undefined;
  const text = String(value);
  if (kind === "uuid" && !UUID.test(text)) return undefined;
  return text;
}

/**
 * The caller's value for a policy on a route that requires a signed-in caller. A caller whose
 * identity cannot own rows of this kind (no such claim, or an id of another type, such as an
 * API key's) gets a 403: no row could ever match.
 */
export function callerValue(c: Context<AppEnv>, claim: string, kind: "integer"): number;
export function callerValue(c: Context<AppEnv>, claim: string, kind: "uuid" | "text"): string;
export function callerValue(c: Context<AppEnv>, claim: string, kind: ColumnKind): string | number {
  const auth = c.get("auth");
  if (!auth?.authenticated) throw new ApiError(401, "AUTH_REQUIRED", "Authentication required");
  const value = callerClaim(auth, claim, kind);
  if (value === undefined) throw new ApiError(403, "AUTHZ_POLICY", `This identity has no ${claim === "id" ? "user id" : `"${claim}" claim`} the rows can be matched with`);
  return value;
}

/**
 * Refuses a body that sets fields reserved to some roles (`writableBy: [admin]`): 403
 * AUTHZ_INSUFFICIENT_ROLE naming each field. Fields left out of the body are fine.
 */
export function checkFieldRoles(c: Context<AppEnv>, entity: string, rows: readonly object[], rules: Readonly<Record<string, readonly string[]>>): void {
  const auth = c.get("auth");
  const roles = auth?.authenticated ? auth.user?.roles ?? [] : [];
  const denied = new Map<string, readonly string[]>();
  for (const row of rows) {
    for (const [field, allowed] of Object.entries(rules)) {
      if ((row as Record<string, unknown>)[field] !== undefined && !allowed.some((r) => roles.includes(r))) denied.set(field, allowed);
    }
  }
  if (denied.size === 0) return;
  const details = [...denied].map(([field, allowed]) => ({ field, message: `only ${allowed.join(" or ")} may set ${entity}.${field}`, rule: "roles" }));
  throw new ApiError(403, "AUTHZ_INSUFFICIENT_ROLE", `Not allowed to set: ${[...denied.keys()].join(", ")}`, details);
}
