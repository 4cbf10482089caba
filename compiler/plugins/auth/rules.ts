/**
 * Access rules: reading `auth:` on endpoints, CRUD methods and policies, checking them against
 * the `auth:` section, and deciding the rule of every route (secure by default: with `auth:`
 * configured, a route without a rule needs an authenticated caller).
 */
import type { ConfigPath, ParsedConfig } from "../../1-parse/parse.js";
import { closest, type DiagnosticBag } from "../../diagnostics.js";
import type { AuthRequirementIR, CrudIR, EndpointIR, EntityIR, ProjectIR } from "../../ir.js";
import { type AuthOptions, authRoutes, isOAuth } from "./options.js";
import { entityNamed } from "../../ir-lookup.js";
import { bulkPath } from "../../3-lower/crud.js";

export const AUTH_PLUGIN = "@betagors/yama-auth";

type CrudOperation = CrudIR["methods"][number];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : typeof v === "string" ? [v] : []);

/** Where a rule is written, for its diagnostics. */
export interface RuleSite {
  parsed: ParsedConfig;
  diagnostics: DiagnosticBag;
  /** Path of the `auth` key itself, e.g. `["endpoints", 0, "auth"]`. */
  path: ConfigPath;
  /** The routes the rule is for, in messages: `GET /me`, `Post CRUD (write)`. */
  what?: string;
}

/** What the config's `auth:` section declares, read from the raw config (rules are read before plugins are analyzed). */
export function declaredAuth(parsed: ParsedConfig): { present: boolean; roles: string[]; providers: string[] } {
  const auth = isRecord(parsed.value) ? parsed.value.auth : undefined;
  if (!isRecord(auth)) return { present: false, roles: [], providers: [] };
  const roles = isRecord(auth.roles) ? Object.keys(auth.roles) : [];
  const providers = Array.isArray(auth.providers) ? auth.providers.map((p) => (isRecord(p) && typeof p.type === "string" ? p.type : "")).filter((t) => t !== "") : [];
  return { present: true, roles, providers };
}

const NO_AUTH_HINT = "add an `auth:` section with providers (see docs/auth.md), or make the route public with `auth: false`";

function checkRoles(roles: readonly string[], path: ConfigPath, what: string, site: Omit<RuleSite, "path">, declared: readonly string[]): void {
  roles.forEach((role, i) => {
    if (declared.includes(role)) return;
    const s = closest(role, declared);
    site.diagnostics.error("unknown-role", `${what} names role "${role}", which auth.roles does not declare`, site.parsed.locate([...path, i]), s ? `did you mean "${s}"?` : `declare it: \`auth: {roles: {${role}: {permissions: [...]}}}\``);
  });
}

/**
 * Reads `auth:` on an endpoint or CRUD method: a boolean or `{required, roles, permissions, provider}`.
 * Listing roles or permissions implies `required: true`. With a `site`, the rule is checked:
 * a rule that needs a caller in a config without `auth:` is an error (the route would be public),
 * as are undeclared roles, unknown providers and custom check handlers (not compiled).
 */
export function authRequirement(raw: unknown, site?: RuleSite, policy = ""): AuthRequirementIR | undefined {
  let rule: AuthRequirementIR | undefined;
  if (typeof raw === "boolean") rule = { required: raw, roles: [], permissions: [], policy };
  else if (isRecord(raw)) {
    const roles = strings(raw.roles);
    const permissions = strings(raw.permissions);
    const providers = strings(raw.provider ?? raw.providers);
    rule = { required: raw.required !== false || roles.length > 0 || permissions.length > 0, roles, permissions, policy, ...(providers.length ? { providers } : {}) };
    if (site) {
      const at = site.path;
      const declared = declaredAuth(site.parsed);
      if (raw.handler !== undefined) {
        site.diagnostics.error("auth-check-not-compiled", "custom access checks (`auth.handler`) are not compiled by this version of yamac; the route would be less protected than written", site.parsed.locate([...at, "handler"], "key"), "express the rule with `roles:` and `permissions:`, or check inside the handler with ctx.auth");
      }
      if (raw.required === false && (roles.length > 0 || permissions.length > 0)) {
        site.diagnostics.error("bad-auth-rule", "`required: false` contradicts the roles or permissions listed next to it", site.parsed.locate([...at, "required"]), "remove `required: false` (roles and permissions imply a signed-in caller), or remove the roles and permissions to make the route public");
      }
      if (declared.present) {
        checkRoles(roles, [...at, "roles"], "this rule", site, declared.roles);
        const key = raw.provider !== undefined ? "provider" : "providers";
        providers.forEach((p, i) => {
          if (declared.providers.includes(p)) return;
          const s = closest(p, declared.providers);
          site.diagnostics.error("unknown-provider", `this rule accepts provider "${p}", which auth.providers does not configure`, site.parsed.locate(Array.isArray(raw[key]) ? [...at, key, i] : [...at, key]), s ? `did you mean "${s}"?` : `configured providers: ${declared.providers.join(", ") || "none"}`);
        });
      }
    }
  }
  if (rule && site && rule.required && !declaredAuth(site.parsed).present) {
    site.diagnostics.warn("auth-not-configured", `${site.what ?? "this route"} requires authentication, but the config has no \`auth:\` section: no caller can sign in, so it answers 401 to every request`, site.parsed.locate(site.path, "key"), NO_AUTH_HINT);
  }
  return rule;
}

/**
 * Rules that come from dialect-B policies (`EndpointIR.auth` with a policy name): checked once per
 * policy at the policy's own position, like rules written on routes.
 */
export function checkPolicyRules(endpoints: readonly EndpointIR[], parsed: ParsedConfig, diagnostics: DiagnosticBag): void {
  const declared = declaredAuth(parsed);
  const seen = new Set<string>();
  for (const ep of endpoints) {
    const rule = ep.auth;
    if (!rule || !rule.policy || seen.has(rule.policy)) continue;
    seen.add(rule.policy);
    const path = ["policies", rule.policy, "auth"];
    if (rule.required && !declared.present) {
      diagnostics.warn("auth-not-configured", `policy ${rule.policy} requires authentication and routes use it (${ep.method} ${ep.path}, …), but the config has no \`auth:\` section: no caller can sign in, so those routes answer 401 to every request`, parsed.locate(path, "key"), NO_AUTH_HINT);
    } else if (declared.present) {
      checkRoles(rule.roles, [...path, "roles"], `policy ${rule.policy}`, { parsed, diagnostics }, declared.roles);
    }
  }
}

export const authEnabled = (ir: ProjectIR): boolean => ir.plugins.some((p) => p.name === AUTH_PLUGIN);

/** The rule of a route that says nothing: any authenticated caller. */
const AUTHENTICATED: AuthRequirementIR = { required: true, roles: [], permissions: [], policy: "" };

/** Where a route's rule comes from, for `yamac check` and generated comments. */
export type RuleOrigin = "route" | "crud" | "policy" | "default";

export interface RouteAccess {
  method: string;
  path: string;
  /** Absent: public. */
  rule?: AuthRequirementIR;
  origin: RuleOrigin;
}

/** The rule of a CRUD route (`undefined` rule: public). Apps without `auth:` have only public routes. */
export function crudAccess(ir: ProjectIR, entity: EntityIR, operation: CrudOperation): Pick<RouteAccess, "rule" | "origin"> {
  const explicit = entity.crud?.auth?.[operation];
  // A rule written without an \`auth:\` section still guards its route: with no provider nobody
  // authenticates, so the route answers 401 (secure, never silently public).
  if (explicit) return { rule: explicit.required ? explicit : undefined, origin: "crud" };
  if (!authEnabled(ir)) return { origin: "default" };
  return { rule: AUTHENTICATED, origin: "default" };
}

/**
 * Whether every caller `outer` lets through also satisfies `inner` (undefined: public), judged
 * from the names alone: wildcard permissions are not expanded, so a "no" only costs a check.
 */
export function ruleImplies(outer: AuthRequirementIR | undefined, inner: AuthRequirementIR | undefined): boolean {
  if (!inner) return true;
  if (!outer) return false;
  const within = (a: readonly string[] | undefined, b: readonly string[] | undefined) => !b?.length || (a !== undefined && a.length > 0 && a.every((x) => b.includes(x)));
  return within(outer.roles, inner.roles) && within(outer.permissions, inner.permissions) && within(outer.providers, inner.providers);
}

/** The rule of an endpoint: its own `auth:` or policy, else the rule of the CRUD route it replaces, else authenticated. */
export function endpointAccess(ir: ProjectIR, ep: EndpointIR): Pick<RouteAccess, "rule" | "origin"> {
  if (ep.auth) return { rule: ep.auth.required ? ep.auth : undefined, origin: ep.auth.policy ? "policy" : "route" };
  if (!authEnabled(ir)) return { origin: "default" };
  if (ep.crudOverride) {
    const entity = ir.entities.find((e) => e.name === ep.crudOverride!.entity);
    if (entity) return crudAccess(ir, entity, ep.crudOverride.operation);
  }
  return { rule: AUTHENTICATED, origin: "default" };
}

/** The routes the auth module itself adds (`auth.endpoints`, OAuth sign-in), with their rules. */
function authModuleRoutes(ir: ProjectIR): RouteAccess[] {
  const use = ir.plugins.find((p) => p.name === AUTH_PLUGIN);
  if (!use) return [];
  const opts = use.options as AuthOptions;
  const signedIn: AuthRequirementIR = AUTHENTICATED;
  const out: RouteAccess[] = authRoutes(opts).map(({ route, path }) => ({
    method: route === "me" ? "GET" : "POST",
    path,
    ...(route === "me" || route === "logout" || route === "changePassword" ? { rule: signedIn } : {}),
    origin: "route" as const,
  }));
  const prefix = (typeof opts.auth.endpoints === "object" ? opts.auth.endpoints.prefix : "/auth").replace(/\/$/, "");
  for (const p of opts.auth.providers) {
    if (!isOAuth(p)) continue;
    const name = p.type.slice("oauth-".length);
    out.push({ method: "GET", path: `${prefix}/${name}`, origin: "route" }, { method: "GET", path: `${prefix}/${name}/callback`, origin: "route" });
  }
  return out;
}

/** Every route the app serves with its rule, in mount order (CRUD bulk inserts follow the create rule). */
export function routeAccess(ir: ProjectIR): RouteAccess[] {
  const out: RouteAccess[] = authModuleRoutes(ir);
  for (const route of ir.routes) {
    if (route.kind === "endpoint") {
      out.push({ method: route.endpoint.method, path: route.endpoint.path, ...endpointAccess(ir, route.endpoint) });
      continue;
    }
    const entity = entityNamed(ir, route.entity);
    out.push({ method: route.method, path: route.path, ...crudAccess(ir, entity, route.operation) });
    if (route.operation === "create" && entity.crud?.bulk) out.push({ method: "POST", path: bulkPath(route.path), ...crudAccess(ir, entity, "create") });
  }
  return out;
}

/** Every route with its requirement (`required: false` for public routes), for tools that list them. */
export function routeRequirements(ir: ProjectIR): { method: string; path: string; requirement: AuthRequirementIR; explicit: boolean }[] {
  return routeAccess(ir).map((r) => ({ method: r.method, path: r.path, requirement: r.rule ?? { required: false, roles: [], permissions: [], policy: "" }, explicit: r.origin !== "default" }));
}

/** A rule in words: "roles editor or admin", "any signed-in caller". */
export function describeRule(rule: AuthRequirementIR | undefined): string {
  if (!rule) return "public";
  const parts = [
    rule.roles.length ? `role ${rule.roles.join(" or ")}` : "",
    rule.permissions.length ? `permission ${rule.permissions.join(" or ")}` : "",
    rule.providers?.length ? `credentials from ${rule.providers.join(" or ")}` : "",
  ].filter((p) => p !== "");
  return parts.length ? `requires ${parts.join("; ")}` : "requires a signed-in caller";
}
