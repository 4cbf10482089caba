/**
 * `policies:`: named access rules, given to dialect-B operations by their API (`defaultPolicy`,
 * `- op: policy`) and to CRUD routes by `crud.policy` (or `policy:` on a method group).
 *
 *   policies:
 *     public: {auth: false}
 *     editor: {auth: {roles: [editor, admin]}}
 *     owner:  {auth: {required: true}, where: {authorId: auth.user.id}}
 *
 * `where:` restricts the rows a caller may touch: each field is compared with the caller's id
 * (`auth.user.id`), another claim of their token (`auth.user.tenantId`) or a constant. The
 * conditions become part of the WHERE of every statement the route runs (checked per entity
 * by checkPolicyFields).
 */
import { closest, type DiagnosticBag } from "../diagnostics.js";
import type { AuthRequirementIR, EntityIR, RowConditionIR } from "../ir.js";
import type { ConfigPath, ParsedConfig } from "../1-parse/parse.js";
import type { RawConfig } from "./config-schema.js";
import { STRING_TYPES } from "./types.js";

const POLICY_KEYS = ["auth", "where", "description"];
const AUTH_KEYS = ["required", "roles", "permissions", "check"];
const CALLER = /^auth\.user\.([A-Za-z_][A-Za-z0-9_]*)$/;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const hint = (name: string, candidates: Iterable<string>, otherwise?: string): string | undefined => {
  const s = closest(name, candidates);
  return s ? `did you mean "${s}"?` : otherwise;
};

function readWhere(name: string, raw: unknown, path: ConfigPath, parsed: ParsedConfig, diagnostics: DiagnosticBag): RowConditionIR[] | undefined {
  if (!isRecord(raw) || Object.keys(raw).length === 0) {
    diagnostics.error("bad-policy", `policy ${name}.where should map fields to values, e.g. \`{authorId: auth.user.id}\``, parsed.locate(path));
    return undefined;
  }
  const out: RowConditionIR[] = [];
  for (const [field, value] of Object.entries(raw)) {
    const loc = parsed.locate([...path, field]);
    // A condition is located at its field's name: what checkPolicyFields reports about it.
    const at = parsed.locate([...path, field], "key");
    if (typeof value === "string") {
      const caller = CALLER.exec(value);
      if (caller) out.push({ field, value: { kind: "caller", claim: caller[1]! }, loc: at });
      else if (value.startsWith("auth.")) {
        diagnostics.error("bad-policy", `policy ${name}.where.${field}: "${value}" is not a caller value`, loc, "write `auth.user.id` (the caller's id) or `auth.user.<claim>` (a claim of their token)");
        return undefined;
      } else out.push({ field, value: { kind: "literal", value }, loc: at });
    } else if (typeof value === "number" || typeof value === "boolean" || value === null) {
      out.push({ field, value: { kind: "literal", value }, loc: at });
    } else {
      diagnostics.error("bad-policy", `policy ${name}.where.${field} should be \`auth.user.id\`, \`auth.user.<claim>\` or a constant`, loc);
      return undefined;
    }
  }
  return out;
}

/** Reads `policies:`; each one resolved into the rule (and row conditions) of the routes that use it. */
export function readPolicies(config: RawConfig, parsed: ParsedConfig, diagnostics: DiagnosticBag): Map<string, AuthRequirementIR> {
  const out = new Map<string, AuthRequirementIR>();
  const raw = config.policies;
  if (raw === undefined || raw === null) return out;
  if (!isRecord(raw)) {
    diagnostics.error("bad-value", "policies should be a mapping of policy names to `{auth: …}`", parsed.locate(["policies"]));
    return out;
  }
  for (const [name, def] of Object.entries(raw)) {
    const path = ["policies", name];
    if (!isRecord(def)) {
      diagnostics.error("bad-value", `policy ${name} should be a mapping such as \`{auth: true}\``, parsed.locate(path), "write `auth: false`, `auth: true` or `auth: {required: true, roles: [admin]}`");
      continue;
    }
    for (const key of Object.keys(def)) {
      if (!POLICY_KEYS.includes(key)) diagnostics.error("unknown-key", `unknown key "${key}" in policy ${name}`, parsed.locate([...path, key], "key"), hint(key, POLICY_KEYS, `allowed here: ${POLICY_KEYS.join(", ")}`));
    }
    const where = def.where === undefined ? [] : readWhere(name, def.where, [...path, "where"], parsed, diagnostics);
    if (!where) continue;
    const withWhere = (rule: AuthRequirementIR): AuthRequirementIR => {
      if (where.length === 0) return rule;
      if (!rule.required && where.some((c) => c.value.kind === "caller")) {
        diagnostics.error("bad-policy", `policy ${name} compares rows with the caller (\`auth.user…\`) but does not require a signed-in caller`, parsed.locate([...path, "auth"]), "write `auth: {required: true}`");
      }
      return { ...rule, where };
    };
    const auth = def.auth;
    if (typeof auth === "boolean") {
      out.set(name, withWhere({ required: auth, roles: [], permissions: [], policy: name }));
      continue;
    }
    if (!isRecord(auth)) {
      diagnostics.error("bad-value", `policy ${name} needs \`auth:\` set to true, false or {required, roles, permissions}`, parsed.locate(auth === undefined ? path : [...path, "auth"], auth === undefined ? "key" : "value"));
      continue;
    }
    let ok = true;
    for (const key of Object.keys(auth)) {
      if (!AUTH_KEYS.includes(key)) {
        diagnostics.error("unknown-key", `unknown key "${key}" in policy ${name}.auth`, parsed.locate([...path, "auth", key], "key"), hint(key, AUTH_KEYS, `allowed here: ${AUTH_KEYS.join(", ")}`));
        ok = false;
      }
    }
    const list = (key: "roles" | "permissions"): string[] => {
      const value = auth[key];
      if (value === undefined) return [];
      if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value as string[];
      diagnostics.error("bad-value", `policy ${name}.auth.${key} should be a list of names`, parsed.locate([...path, "auth", key]));
      ok = false;
      return [];
    };
    if (auth.required !== undefined && typeof auth.required !== "boolean") {
      diagnostics.error("bad-value", `policy ${name}.auth.required should be true or false`, parsed.locate([...path, "auth", "required"]));
      ok = false;
    }
    const roles = list("roles");
    const permissions = list("permissions");
    if (auth.check !== undefined) {
      diagnostics.error("auth-check-not-compiled", `policy ${name}: \`check\` handlers are not compiled by this version of yamac; its routes would be less protected than written`, parsed.locate([...path, "auth", "check"], "key"), "express the rule with `roles:`, `permissions:` and `where:`, or check inside the handler with ctx.auth");
    }
    if (ok) out.set(name, withWhere({ required: typeof auth.required === "boolean" ? auth.required : true, roles, permissions, policy: name }));
  }
  return out;
}

/** Whether `policies:` declares this name (a policy that failed to read was already reported: its uses are not). */
export function isDeclaredPolicy(config: RawConfig, name: string): boolean {
  return isRecord(config.policies) && Object.hasOwn(config.policies, name);
}

/** Field types a caller value can be compared with. */
const CALLER_COLUMN = (f: { type: string; array: boolean }) => !f.array && (f.type === "uuid" || STRING_TYPES.has(f.type as never) || ["smallint", "integer", "bigint"].includes(f.type));

/**
 * Checks that every field a policy's `where:` names exists on `entity` (the rows the routes
 * `what` read), and that caller values are compared with id-like columns.
 */
export function checkPolicyFields(rule: AuthRequirementIR, entity: EntityIR, what: string, diagnostics: DiagnosticBag): boolean {
  let ok = true;
  for (const cond of rule.where ?? []) {
    const field = entity.fields.find((f) => f.name === cond.field);
    if (!field) {
      const s = closest(cond.field, entity.fields.map((f) => f.name));
      diagnostics.error("unknown-field", `policy ${rule.policy} filters on ${cond.field}, but ${entity.name} (${what}) has no such field`, cond.loc, s ? `did you mean "${s}"?` : `fields of ${entity.name}: ${entity.fields.map((f) => f.name).join(", ")}`);
      ok = false;
    } else if (cond.value.kind === "caller" && !CALLER_COLUMN(field)) {
      diagnostics.error("bad-policy", `policy ${rule.policy} compares ${entity.name}.${field.name} (${field.type}${field.array ? "[]" : ""}) with the caller's ${cond.value.claim}; it must be a uuid, text or integer field`, cond.loc);
      ok = false;
    } else if (field.sensitive || field.writeOnly) {
      diagnostics.error("bad-policy", `policy ${rule.policy} filters on ${entity.name}.${field.name}, which is ${field.sensitive ? "sensitive" : "writeOnly"}`, cond.loc, "filter on a field clients may see, such as the owner's id");
      ok = false;
    }
  }
  return ok;
}

/** Two "any one of" lists that must both hold, as one list; undefined when no list says the same. */
function bothLists(a: readonly string[], b: readonly string[]): string[] | undefined {
  if (a.length === 0) return [...b];
  if (b.length === 0) return [...a];
  if (a.every((x) => b.includes(x))) return [...a];
  if (b.every((x) => a.includes(x))) return [...b];
  return undefined;
}

/**
 * The rule of a CRUD route whose access rule is `rule` (its most specific key) while `rowPolicies`
 * (policies with `where:`, from that key or less specific ones) cover it too. A row policy is
 * never replaced by a more specific key: its conditions stay in the route's SQL and its own
 * access check still holds, with the route's rule added. Returns the reason when the two cannot
 * hold together as one rule (a public route under a policy that needs a caller, role or
 * permission lists that only a caller with two roles could satisfy).
 */
export function withRowPolicies(rule: AuthRequirementIR, rowPolicies: readonly AuthRequirementIR[]): { rule: AuthRequirementIR } | { conflict: { policy: string; reason: string } } {
  let out: AuthRequirementIR = { ...rule, roles: [...rule.roles], permissions: [...rule.permissions] };
  const where: RowConditionIR[] = [];
  const seen = new Set<string>();
  const names: string[] = [];
  for (const p of rowPolicies) {
    if (!names.includes(p.policy)) names.push(p.policy);
    for (const cond of p.where ?? []) {
      const id = `${cond.field}=${JSON.stringify(cond.value)}`;
      if (seen.has(id)) continue;
      seen.add(id);
      where.push(cond);
    }
    if (p === rule) continue;
    if (p.required && !out.required) return { conflict: { policy: p.policy, reason: "it needs a signed-in caller, so the route cannot be public" } };
    const roles = bothLists(out.roles, p.roles);
    if (!roles) return { conflict: { policy: p.policy, reason: `it requires role ${p.roles.join(" or ")} and the route's rule role ${out.roles.join(" or ")}; one rule cannot ask for both` } };
    const permissions = bothLists(out.permissions, p.permissions);
    if (!permissions) return { conflict: { policy: p.policy, reason: `it requires permission ${p.permissions.join(" or ")} and the route's rule permission ${out.permissions.join(" or ")}; one rule cannot ask for both` } };
    let providers = out.providers;
    if (p.providers?.length) {
      providers = providers?.length ? providers.filter((x) => p.providers!.includes(x)) : [...p.providers];
      if (providers.length === 0) return { conflict: { policy: p.policy, reason: `it accepts credentials from ${p.providers.join(" or ")} only, which the route's rule does not accept` } };
    }
    out = { ...out, required: out.required || p.required, roles, permissions, ...(providers?.length ? { providers } : {}) };
  }
  if (where.length === 0) return { rule: out };
  return { rule: { ...out, policy: names.join(" and "), where } };
}
