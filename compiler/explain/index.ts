/**
 * `yamac explain [dir] [route]`: per route, the SQL it runs (with $n placeholders), where each
 * parameter comes from, the auth it requires and the indexes it relies on. `--db` (database.ts)
 * adds PostgreSQL's plan for each statement and warns about scans no index can avoid.
 */
import { is, Param, Placeholder } from "drizzle-orm";
import type { ProjectIR } from "../ir.js";
import { authEnabled, describeRule, routeAccess } from "../plugins/auth/rules.js";
import { scopeSetText, scopeText } from "../4-emit/policies.js";
import type { PlanResult } from "./database.js";
import { indexUses, suggestIndex, type IndexUse } from "./indexes.js";
import { routeStatements, type Condition, type Statement } from "./statements.js";

export interface ExplainedStatement {
  label: string;
  table: string;
  /** The statement with every condition it may have. */
  sql: string;
  /** `$1` → where its value comes from. */
  params: { placeholder: string; source: string }[];
  /** Inputs whose condition is only part of the WHERE when the request sends them. */
  optional: string[];
  runs?: string;
  notes: string[];
  indexes: IndexUse[];
  /** Kept for `--db`: the statement and its conditions. */
  statement: Statement;
}

export interface ExplainedRoute {
  method: string;
  path: string;
  kind: string;
  auth: string;
  /** The config file name, for suggestions. */
  configFile: string;
  statements: ExplainedStatement[];
  notes: string[];
}

/** Renders a statement with these conditions; parameters described by their source. */
export function renderStatement(s: Statement, conditions: readonly Condition[]): { sql: string; params: { placeholder: string; source: string }[] } {
  const { sql, params } = s.render(conditions);
  return {
    sql,
    params: params.map((p, i) => {
      const inner = is(p, Param) ? (p as Param).value : p;
      const source = is(inner, Placeholder) ? (s.params[(inner as Placeholder).name] ?? (inner as Placeholder).name) : `constant ${JSON.stringify(inner)}`;
      return { placeholder: `$${i + 1}`, source };
    }),
  };
}

/**
 * Whether a route matches a filter: `GET /products/:id` (exactly that route: see explainProject), `/products` (that path and the ones
 * under it), `/products/*` (a glob), `GET` (every GET route) or `products` (paths containing it).
 */
export function matchesRoute(filter: string, method: string, path: string): boolean {
  const m = /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)(?:\s+(.*))?$/i.exec(filter.trim());
  if (m && m[1]!.toUpperCase() !== method) return false;
  const pattern = (m ? m[2] ?? "" : filter).trim();
  if (pattern === "") return true;
  if (pattern.includes("*")) {
    const re = new RegExp(`^${pattern.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
    return re.test(path);
  }
  if (pattern.startsWith("/")) return path === pattern || path.startsWith(pattern.endsWith("/") ? pattern : `${pattern}/`);
  return path.includes(pattern);
}

export function explainProject(ir: ProjectIR, filter?: string): ExplainedRoute[] {
  const access = routeAccess(ir);
  const withAuth = authEnabled(ir);
  let selected = routeStatements(ir).filter((r) => filter === undefined || matchesRoute(filter, r.method, r.path));
  // A filter naming one route exactly (`GET /products/:id`) shows that route, not the ones under it.
  const exact = selected.filter((r) => filter !== undefined && `${r.method} ${r.path}` === filter.trim());
  if (exact.length) selected = exact;
  return selected
    .map((r) => {
      const rule = access.find((a) => a.method === r.method && a.path === r.path)?.rule;
      const who = rule ? describeRule(rule) : withAuth ? "public" : "public (the config has no auth: section)";
      // The row policy is part of who may do what: name it with what it does to the rows.
      const auth = rule?.where?.length ? `${who}; ${(r.creates ? scopeSetText : scopeText)(rule.policy, rule.where).replace(/^Policy/, "policy").replace(/\.$/, "")}` : who;
      return {
        method: r.method,
        path: r.path,
        kind: r.kind,
        auth,
        configFile: ir.configFile,
        notes: r.notes,
        statements: r.statements.map((s) => {
          const { sql, params } = renderStatement(s, s.conditions);
          return {
            label: s.label,
            table: s.entity?.table ?? "",
            sql,
            params,
            optional: s.conditions.flatMap((c) => (c.when ? [c.when] : [])),
            ...(s.runs ? { runs: s.runs } : {}),
            notes: s.notes,
            indexes: s.label === "sql" ? [] : indexUses(s.conditions, ir),
            statement: s,
          };
        }),
      };
    });
}

/** "indexes: a (?x), b (:id)" and one line per group of conditions no index serves, with the fix. */
function indexLines(uses: readonly IndexUse[], configFile: string): string[] {
  if (uses.length === 0) return [];
  const used = [...new Set(uses.filter((i) => i.index).map((i) => `${i.index} (${i.what})`))];
  const lines = [`    indexes: ${used.length ? used.join(", ") : "none"}`];
  const missing = new Map<string, IndexUse[]>();
  for (const u of uses.filter((x) => !x.index)) {
    const key = `${u.entity.name}|${u.how === "like" || u.how === "fulltext" ? `${u.how}|${u.origin}` : "btree"}`;
    missing.set(key, [...(missing.get(key) ?? []), u]);
  }
  for (const group of missing.values()) {
    const first = group[0]!;
    const suggestion = suggestIndex(first.entity, group.map((u) => u.field), first.how, first.origin, configFile);
    lines.push(`    no index for ${group.map((u) => `${u.what} (${u.entity.table}.${u.field.column})`).join(", ")}: ${suggestion}`);
  }
  return lines;
}

/** The text report; with `plans` (from --db), each statement's plan per shape under it. */
export function formatExplain(routes: readonly ExplainedRoute[], plans?: PlanResult): string {
  const out: string[] = [];
  for (const r of routes) {
    out.push(`${r.method} ${r.path}  (${r.kind})`);
    out.push(`  auth: ${r.auth}`);
    if (r.statements.length === 0) out.push("  sql: none known at compile time");
    let previous: string[] = [];
    for (const s of r.statements) {
      out.push(`  ${s.label}${s.runs ? ` (${s.runs})` : ""}:`);
      out.push(`    ${s.sql.trim().split("\n").join("\n    ")}`);
      if (s.params.length) out.push(`    params: ${s.params.map((p) => `${p.placeholder} ${p.source}`).join(", ")}`);
      if (s.optional.length) out.push(`    only when sent: ${s.optional.join(", ")} (each condition is left out of the WHERE otherwise)`);
      for (const n of s.notes) out.push(`    note: ${n}`);
      const lines = indexLines(s.indexes, r.configFile);
      if (lines.join("\n") === previous.join("\n") && lines.length) out.push("    indexes: as above");
      else out.push(...lines);
      previous = lines;
      const name = `${r.method} ${r.path}`;
      for (const p of plans?.plans.filter((x) => x.route === name && x.statement === s.label) ?? []) out.push(`    plan (${p.when}): ${p.plan}`);
      for (const w of plans?.warnings.filter((x) => x.route === name && x.statement === s.label) ?? []) out.push(`    warning (${w.when}): ${w.scan} filtering ${w.filter}`);
    }
    for (const n of r.notes) out.push(`  note: ${n}`);
    out.push("");
  }
  return out.join("\n");
}

/** The report as JSON (without the internal statement objects). */
export function explainJson(routes: readonly ExplainedRoute[]): unknown {
  return routes.map((r) => ({
    ...r,
    statements: r.statements.map(({ statement: _statement, indexes, ...s }) => ({
      ...s,
      indexes: indexes.map((i) => ({ what: i.what, table: i.entity.table, column: i.field.column, ...(i.index ? { index: i.index } : { suggestion: i.suggestion }) })),
    })),
  }));
}
