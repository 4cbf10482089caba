/**
 * Cloudflare Workers: a module worker (`export default { fetch }`) serving src/app.ts. The
 * database is PostgreSQL through a Hyperdrive binding, with one small postgres.js client per
 * request (Workers cannot share a socket between requests; Hyperdrive pools the real
 * connections). `yamac build --target workers` bundles src/worker.ts for workerd and puts
 * src/db/client.workers.ts in place of src/db/client.ts, so the routes keep importing `db`.
 */
import { file, header, Imports, ts } from "../../compiler/4-emit/writer.js";
import type { ProjectIR } from "../../compiler/ir.js";
import type { Target } from "../types.js";

/** Workers allow six simultaneous outgoing connections per request; Cloudflare's guidance for postgres.js is five. */
const MAX_CONNECTIONS = 5;

function workerEntry(ir: ProjectIR): string {
  const imports = new Imports().add("./app.js", "app").add("./db/client.workers.js", "openDatabase", "withDatabase").type("hono", "ExecutionContext");
  const body = `/** The bindings wrangler.toml declares. Variables and secrets are also in process.env (nodejs_compat). */
export interface Env {
  /** Hyperdrive in front of PostgreSQL (\`[[hyperdrive]] binding = "HYPERDRIVE"\`). */
  HYPERDRIVE: { readonly connectionString: string };
}

/** One database client per request, closed once the response is sent. */
export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const database = openDatabase(env.HYPERDRIVE.connectionString);
    try {
      return await withDatabase(database, () => app.fetch(request, env, ctx));
    } finally {
      ctx.waitUntil(database.close());
    }
  },
};`;
  return header("Cloudflare Workers entry", ir.configFile) + file(imports.toString(), body);
}

function requestClient(ir: ProjectIR): string {
  const arrays = ir.entities.some((e) => e.fields.some((f) => f.array));
  const imports = new Imports()
    .add("node:async_hooks", "AsyncLocalStorage")
    .add("drizzle-orm/postgres-js", "drizzle")
    .default("postgres", "postgres")
    .type("postgres", "Sql")
    .type("../lib/db.js", "DatabaseHandle")
    .namespace("./schema.js", "schema");
  const body = `/** One request's database: its own postgres.js client. */
type RequestDatabase = DatabaseHandle<typeof schema> & { client: Sql };

/**
 * The database on Cloudflare Workers, in place of ./client.ts: a postgres.js client per request
 * through Hyperdrive, with at most ${MAX_CONNECTIONS} connections.${arrays ? "" : "\n * No type lookup on connect: the schema has no array columns."}
 * Migrations run as a deploy step (\`npm run migrate\` against the database), never in a Worker.
 */
export function openDatabase(connectionString: string): RequestDatabase {
  const client = postgres(connectionString, { max: ${MAX_CONNECTIONS}, ${arrays ? "" : "fetch_types: false, "}onnotice: () => {} });
  // drizzle() also gives the client the type parsers drizzle expects.
  const requestDb = drizzle(client, { schema });
  return {
    db: requestDb,
    client,
    driver: "postgres",
    migrate: () => Promise.reject(new Error("migrations run as a deploy step (npm run migrate), not inside a Worker")),
    session: () => Promise.reject(new Error("migration sessions run as a deploy step (npm run migrate), not inside a Worker")),
    ping: async () => {
      await client\`select 1\`;
    },
    close: () => client.end({ timeout: 5 }),
  };
}

const requestDatabase = new AsyncLocalStorage<RequestDatabase>();

/** Runs \`handle\` (one request) with \`database\` as the database the routes use. */
export function withDatabase<T>(database: RequestDatabase, handle: () => T): T {
  return requestDatabase.run(database, handle);
}

function current(): RequestDatabase {
  const database = requestDatabase.getStore();
  if (!database) throw new Error("the database is only available while a request is handled");
  return database;
}

/** What drizzle calls on its client, forwarded to the client of the request being handled. */
const forward = (method: "unsafe" | "begin") => (...args: unknown[]): unknown => {
  const client = current().client;
  return Reflect.apply(client[method], client, args);
};
const requestClient = { options: { parsers: {}, serializers: {} }, unsafe: forward("unsafe"), begin: forward("begin") } as unknown as Sql;

/**
 * The names ./client.ts exports. Queries built (and prepared) when modules load run, per
 * request, on that request's client.
 */
export const db = drizzle(requestClient, { schema });

export const database: DatabaseHandle<typeof schema> = {
  db,
  driver: "postgres",
  migrate: (folder) => current().migrate(folder),
  session: (fn) => current().session(fn),
  ping: () => current().ping(),
  close: () => current().close(),
};`;
  return header("database client for Cloudflare Workers", ir.configFile) + file(imports.toString(), body);
}

function wranglerToml(ir: ProjectIR): string {
  const w = ir.deployment.workers;
  return `# Cloudflare Workers configuration for ${ir.name} (generated once by yamac; yours to edit).
# Build first: \`yamac build --target workers\` writes ${ts("dist/workers/worker.mjs")} (bundled for workerd).
name = ${ts(w.name)}
main = "dist/workers/worker.mjs"
compatibility_date = ${ts(w.compatibilityDate)}
compatibility_flags = ["nodejs_compat"]
# The bundle is complete: wrangler uploads it as it is.
no_bundle = true

# PostgreSQL through Hyperdrive: \`wrangler hyperdrive create ${w.name}-db --connection-string="postgres://…"\`
# prints the id. For \`wrangler dev\`, localConnectionString (or the
# CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE variable) points at a local database.
[[hyperdrive]]
binding = "HYPERDRIVE"
id = ${ts(w.hyperdriveId ?? "<your-hyperdrive-id>")}
localConnectionString = "postgres://postgres@127.0.0.1:5432/${ir.name.toLowerCase().replace(/[^a-z0-9_]+/g, "_")}"

[vars]
NODE_ENV = "production"
`;
}

export const workersTarget: Target = {
  name: "workers",
  emit(ir) {
    return [
      { path: "src/worker.ts", content: workerEntry(ir) },
      { path: "src/db/client.workers.ts", content: requestClient(ir) },
      { path: "wrangler.toml", content: wranglerToml(ir), ifMissing: true },
    ];
  },
};
