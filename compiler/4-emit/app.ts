/**
 * Emits src/app.ts (the Hono app every target serves) and src/db/client.ts (the database
 * the app talks to).
 */
import type { ProjectIR } from "../ir.js";
import type { AppWiring, ErrorReporter } from "../plugins/types.js";
import { envExpression, envNumber } from "./env.js";
import type { OutputFile } from "./index.js";
import { endpointFile, endpointRouter } from "./endpoints.js";
import { routerName } from "./routes.js";
import { file, header, Imports, ts } from "./writer.js";
import { compareText } from "../order.js";

/** The error handler's reports: the plugins' reporters, and stderr unless one of them logs. */
function errorReports(reporters: readonly ErrorReporter[], imports: Imports): string {
  if (reporters.length === 0) return "";
  const sorted = [...reporters].sort((a, b) => a.order - b.order || compareText(a.name, b.name));
  for (const r of sorted) imports.add(r.from, r.name);
  const names = sorted.map((r) => r.name);
  if (!sorted.some((r) => r.logs)) {
    imports.add("./lib/http.js", "printError");
    names.unshift("printError");
  }
  return `report: ${names.length === 1 ? names[0] : `[${names.join(", ")}]`}`;
}

export function emitApp(ir: ProjectIR, wiring: readonly AppWiring[] = [], reporters: readonly ErrorReporter[] = []): OutputFile {
  const imports = new Imports().add("hono", "Hono").add("./lib/http.js", "errorHandler", "notFound").type("./lib/http.js", "AppEnv");
  const options: string[] = [];
  const reports = errorReports(reporters, imports);
  if (reports) options.push(reports);
  if (ir.entities.length > 0) {
    // Database errors name the field a request sent, not a column or constraint.
    imports.namespace("./db/schema.js", "schema").add("./lib/column-fields.js", "columnFields");
    options.push("fields: columnFields(schema)");
  }
  // Plugins may contribute the same statement (e.g. the request-id middleware): wire it once.
  const plugged = [...new Map(wiring.map((w) => [w.statement, w])).values()].sort((a, b) => a.order - b.order || compareText(a.statement, b.statement));
  for (const w of plugged) for (const [from, names] of Object.entries(w.imports)) imports.add(from, ...names);
  const mounts: string[] = [];
  for (const route of ir.routes) {
    if (route.kind !== "endpoint") continue;
    imports.add(`./${endpointFile(route.endpoint).replace(/^src\//, "").replace(/\.ts$/, ".js")}`, endpointRouter(route.endpoint));
    mounts.push(`app.route("/", ${endpointRouter(route.endpoint)});`);
  }
  const withCrudRoutes = new Set(ir.routes.flatMap((r) => (r.kind === "crud" ? [r.entity] : [])));
  for (const entity of [...ir.entities].sort((a, b) => compareText(a.crud?.basePath ?? "", b.crud?.basePath ?? ""))) {
    if (!entity.crud || !withCrudRoutes.has(entity.name)) continue;
    imports.add(`./routes/${entity.fileName}.js`, routerName(entity));
    mounts.push(`app.route(${ts(entity.crud.basePath)}, ${routerName(entity)});`);
  }
  const body = `/** The ${ir.name} API. Targets (src/server.ts, …) serve this app; it never reads the config. */
export const app = new Hono<AppEnv>();

app.onError(errorHandler(${options.length ? `{ ${options.join(", ")} }` : ""}));
app.notFound(notFound);`;
  // config: the environment is checked before any other module of the app reads it.
  const envCheck = ir.config.length ? 'import "./env.js";\n' : "";
  return { path: "src/app.ts", content: header("the Hono app", ir.configFile) + envCheck + file(imports.toString(), body, plugged.map((w) => w.statement).join("\n"), mounts.join("\n")) };
}

export function emitClient(ir: ProjectIR): OutputFile {
  const imports = new Imports().add("./lib/db.js".replace("./", "../"), "createDatabase").namespace("./schema.js", "schema");
  const url = envExpression(ir.database.url);
  const body = `/**
 * The database: PGlite (PostgreSQL in-process, files under ${ir.database.dataDir}) when DATABASE_URL
 * is unset, PostgreSQL through postgres.js when it is set. A new PGlite data directory is copied
 * from the pristine cluster in .yama/pglite-template (made on first use) instead of running initdb.
 */
export const database = await createDatabase({
  schema,
  url: ${url} || undefined,
  dataDir: process.env.YAMA_DATA_DIR ?? ${ts(ir.database.dataDir)},
  pgliteTemplate: process.env.YAMA_PGLITE_TEMPLATE ?? ".yama/pglite-template",
  poolMax: ${envNumber(ir.database.poolMax, 10)},
  ssl: ${ir.database.ssl === false ? "false" : ts(ir.database.ssl)},
});

export const db = database.db;`;
  return { path: "src/db/client.ts", content: header("database client", ir.configFile) + file(imports.toString(), body) };
}
