/** `yamac explain [dir] [route] [--db <url|pglite>] [--json]`. */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { formatDiagnostics } from "../diagnostics.js";
import { compileProject, findConfig } from "../index.js";
import { explainJson, explainProject, formatExplain } from "./index.js";

const isProject = (p: string) => existsSync(p) && statSync(p).isDirectory() && findConfig(p) !== undefined;

export async function explainCommand(args: string[], color: boolean): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { db: { type: "string" }, json: { type: "boolean" }, color: { type: "boolean" }, "no-color": { type: "boolean" } } });
  const [first, ...rest] = positionals;
  const dir = first !== undefined && isProject(first) ? first : ".";
  const route = (dir === first ? rest : positionals).join(" ").trim() || undefined;
  const compiled = compileProject(dir, { check: true });
  if (compiled.diagnostics.length) console.error(formatDiagnostics(compiled.diagnostics, { color, sources: compiled.sources }));
  if (!compiled.ok) return 1;
  const ir = compiled.ir!;
  const routes = explainProject(ir, route);
  if (route !== undefined && routes.length === 0) {
    console.error(`yamac: no route matches "${route}"; routes: ${ir.routes.length ? "run `yamac explain` without a route to list them" : "none"}`);
    return 1;
  }
  let plans;
  if (values.db !== undefined) {
    const { explainOnDatabase, formatPlanResult } = await import("./database.js");
    const target = values.db === "" ? process.env.DATABASE_URL ?? "" : values.db;
    if (target === "") {
      console.error("yamac: explain --db needs a PostgreSQL URL (or `pglite`)");
      return 2;
    }
    try {
      plans = await explainOnDatabase(ir, routes, resolve(dir), target);
    } catch (err) {
      console.error(`yamac: cannot explain against the database: ${(err as Error).message}`);
      return 1;
    }
    if (values.json) {
      console.log(JSON.stringify({ routes: explainJson(routes), plans }, null, 2));
      return 0;
    }
    console.log(formatExplain(routes, plans));
    console.log(formatPlanResult(plans));
    return 0;
  }
  console.log(values.json ? JSON.stringify({ routes: explainJson(routes) }, null, 2) : formatExplain(routes));
  return 0;
}
