/**
 * `yamac explain --db <url|pglite>`: PostgreSQL plans each statement and we look for tables it
 * would read in full to evaluate a route's condition.
 *
 * The schema comes from the database when it already has every table, otherwise from the
 * project's migrations (applied with drizzle-orm's migrator, as `yamac migrate` does). Each
 * statement is planned once per shape: with only the conditions it always applies, then with
 * each optional one (`?category=`) on its own, so a warning names the input that causes it.
 *
 * Plans are generic (plan_cache_mode = force_generic_plan, so no parameter value is needed) and
 * sequential scans are disabled for the session: PostgreSQL then uses any index that can serve a
 * condition, and a Seq Scan (or a full index scan without an Index Cond) that still filters on
 * the condition's column means no index can. Table sizes do not matter, so a fresh database works.
 * EXPLAIN without ANALYZE executes nothing: inserts, updates and deletes are only planned.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { EntityIR, ProjectIR } from "../ir.js";
import type { ExplainedRoute } from "./index.js";
import { suggestIndex } from "./indexes.js";
import type { Condition } from "./statements.js";

export interface PlanWarning {
  route: string;
  statement: string;
  /** The input whose condition causes it (`?search`), or "always". */
  when: string;
  /** "Seq Scan on products", with PostgreSQL's filter text. */
  scan: string;
  filter: string;
  suggestion: string;
}

export interface PlanResult {
  /** route → statement label → the plan's top line per shape. */
  plans: { route: string; statement: string; when: string; plan: string }[];
  warnings: PlanWarning[];
  errors: { route: string; statement: string; message: string }[];
  schema: "existing" | "migrated";
}

interface Session {
  query(text: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

async function openSession(target: string, projectDir: string, ir: ProjectIR): Promise<{ session: Session; schema: PlanResult["schema"] }> {
  const folder = join(projectDir, ir.database.migrations.folder);
  const hasMigrations = existsSync(join(folder, "meta", "_journal.json"));
  const noSchema = () => new Error(`the database lacks the app's tables and ${ir.database.migrations.folder}/ has no migrations: run \`yamac migrate generate\` first`);
  if (target === "pglite") {
    const { PGlite } = await import("@electric-sql/pglite");
    const pg = new PGlite();
    if (!hasMigrations) throw noSchema();
    const { drizzle } = await import("drizzle-orm/pglite");
    const { migrate } = await import("drizzle-orm/pglite/migrator");
    await migrate(drizzle(pg), { migrationsFolder: folder });
    return { session: { query: async (text) => (await pg.query<Record<string, unknown>>(text)).rows, close: () => pg.close() }, schema: "migrated" };
  }
  const { default: postgres } = await import("postgres");
  // One connection: the session settings below must hold for every statement.
  const sql = postgres(target, { max: 1, prepare: false, onnotice: () => {} });
  const session: Session = { query: async (text) => [...(await sql.unsafe(text))] as Record<string, unknown>[], close: () => sql.end({ timeout: 5 }) };
  try {
    const tables = ir.entities.map((e) => e.table);
    const found = await sql<{ name: string | null }[]>`select to_regclass(quote_ident(t)) as name from unnest(${tables}::text[]) as t`;
    if (found.every((r) => r.name !== null)) return { session, schema: "existing" };
    if (!hasMigrations) throw noSchema();
    const { drizzle } = await import("drizzle-orm/postgres-js");
    const { migrate } = await import("drizzle-orm/postgres-js/migrator");
    await migrate(drizzle(sql), { migrationsFolder: folder });
    return { session, schema: "migrated" };
  } catch (err) {
    await session.close();
    throw err;
  }
}

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  Alias?: string;
  Filter?: string;
  "Index Cond"?: string;
  "Index Name"?: string;
  Plans?: PlanNode[];
}

function* nodes(n: PlanNode): Generator<PlanNode> {
  yield n;
  for (const c of n.Plans ?? []) yield* nodes(c);
}

/** A node that reads a whole table (or a whole index) and filters it. */
const fullScan = (n: PlanNode) =>
  n.Filter !== undefined && n["Relation Name"] !== undefined && (n["Node Type"] === "Seq Scan" || ((n["Node Type"] === "Index Scan" || n["Node Type"] === "Index Only Scan") && n["Index Cond"] === undefined));

const mentions = (text: string, column: string) => new RegExp(`(^|[^A-Za-z0-9_])"?${column}"?([^A-Za-z0-9_]|$)`).test(text);

function describePlan(n: PlanNode): string {
  const parts = [n["Node Type"], n["Relation Name"] ? `on ${n["Relation Name"]}` : "", n["Index Name"] ? `${n["Node Type"] === "Bitmap Index Scan" ? "on" : "using"} ${n["Index Name"]}` : ""].filter(Boolean);
  return parts.join(" ");
}

/** Shapes of a statement: its fixed conditions, then each optional one added alone. */
function shapes(conditions: readonly Condition[]): { when: string; conditions: Condition[]; tested: Condition[] }[] {
  const fixed = conditions.filter((c) => !c.when);
  const out = [{ when: "always", conditions: fixed, tested: fixed }];
  for (const c of conditions.filter((x) => x.when)) out.push({ when: c.when!, conditions: [...fixed, c], tested: [c] });
  return out;
}

export async function explainOnDatabase(ir: ProjectIR, routes: readonly ExplainedRoute[], projectDir: string, target: string): Promise<PlanResult> {
  const { session, schema } = await openSession(target, projectDir, ir);
  const result: PlanResult = { plans: [], warnings: [], errors: [], schema };
  const byTable = new Map<string, EntityIR>(ir.entities.map((e) => [e.table, e]));
  try {
    await session.query("set plan_cache_mode = force_generic_plan");
    await session.query("set enable_seqscan = off");
    let n = 0;
    for (const route of routes) {
      const name = `${route.method} ${route.path}`;
      for (const s of route.statements) {
        if (/^insert/i.test(s.sql.trim())) continue; // an INSERT reads no table
        const st = s.statement;
        for (const shape of shapes(st.conditions)) {
          const { sql, params } = s.statement.render(shape.conditions);
          const text = s.label === "sql" ? s.sql : sql;
          const count = s.label === "sql" ? Math.max(0, ...[...text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]))) : params.length;
          const id = `yamac_explain_${++n}`;
          let plan: PlanNode;
          try {
            await session.query(`prepare ${id} as ${text}`);
            const rows = await session.query(`explain (format json) execute ${id}${count ? `(${Array.from({ length: count }, () => "null").join(", ")})` : ""}`);
            await session.query(`deallocate ${id}`);
            const raw = rows[0]!["QUERY PLAN"];
            plan = ((typeof raw === "string" ? JSON.parse(raw) : raw) as { Plan: PlanNode }[])[0]!.Plan;
          } catch (err) {
            result.errors.push({ route: name, statement: s.label, message: (err as Error).message });
            await session.query(`deallocate ${id}`).catch(() => undefined);
            break;
          }
          result.plans.push({ route: name, statement: s.label, when: shape.when, plan: [...nodes(plan)].filter((x) => x["Relation Name"] || x["Index Name"]).map(describePlan).join(", ") || describePlan(plan) });
          for (const node of [...nodes(plan)].filter(fullScan)) {
            const entity = byTable.get(node["Relation Name"]!);
            if (!entity) continue;
            if (s.label === "sql") {
              result.warnings.push({ route: name, statement: s.label, when: shape.when, scan: describePlan(node), filter: node.Filter!, suggestion: `add an index on ${entity.table} for the columns this statement filters on (\`indexed\` on the field, or \`${entity.name}.indexes\` in ${ir.configFile})` });
              continue;
            }
            for (const c of shape.tested) {
              const use = c.uses.find((u) => !u.softDelete && u.entity.table === entity.table && mentions(node.Filter!, u.field.column));
              if (!use) continue;
              const fields = c.uses.filter((u) => u.entity === use.entity && !u.softDelete).map((u) => u.field);
              result.warnings.push({ route: name, statement: s.label, when: shape.when === "always" ? (c.label ?? "always") : shape.when, scan: describePlan(node), filter: node.Filter!, suggestion: suggestIndex(use.entity, fields, use.how, c.origin, ir.configFile) });
              break;
            }
          }
        }
      }
    }
  } finally {
    await session.close();
  }
  return result;
}

export function formatPlanResult(result: PlanResult): string {
  const out: string[] = [];
  out.push(result.schema === "existing" ? "database: using its existing tables" : "database: migrations applied");
  // The page and the count of a list share their WHERE: one warning names both.
  const merged = new Map<string, PlanWarning & { statements: string[] }>();
  for (const w of result.warnings) {
    const key = `${w.route}|${w.when}|${w.scan.replace(/ using .*/, "")}|${w.suggestion}`;
    const seen = merged.get(key);
    if (seen) seen.statements.push(w.statement);
    else merged.set(key, { ...w, statements: [w.statement] });
  }
  for (const w of merged.values()) out.push(`warning: ${w.route} (${w.statements.join(", ")}, ${w.when}): ${w.scan} filtering ${w.filter}\n  ${w.suggestion}`);
  for (const e of result.errors) out.push(`error: ${e.route} (${e.statement}): cannot plan: ${e.message}`);
  out.push(`${result.plans.length} statement shape${result.plans.length === 1 ? "" : "s"} planned, ${result.warnings.length} warning${result.warnings.length === 1 ? "" : "s"}`);
  return out.join("\n");
}
