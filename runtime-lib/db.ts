import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { connectWithCooldown } from "./db-connect.js";
import { migrateUp, type MigrationTarget, type SqlSession } from "./migrations.js";

/** Either driver, seen through the interface both implement. */
export type Database<TSchema extends Record<string, unknown>> = PgDatabase<PgQueryResultHKT, TSchema>;

export interface DatabaseOptions<TSchema extends Record<string, unknown>> {
  schema: TSchema;
  /** PostgreSQL connection string; when absent the embedded PGlite database is used. */
  url: string | undefined;
  /** Where PGlite keeps its files. */
  dataDir: string;
  /**
   * A pristine PGlite cluster a new data directory is copied from instead of running initdb
   * (made there on first use; see pglite.ts). Undefined or empty: PGlite runs initdb itself.
   */
  pgliteTemplate: string | undefined;
  /** Upper bound of the postgres.js pool. */
  poolMax: number;
  /** TLS for postgres.js: "require", "prefer", "verify-full" or false. */
  ssl: "require" | "prefer" | "verify-full" | false;
}

export interface DatabaseHandle<TSchema extends Record<string, unknown>> extends MigrationTarget {
  db: Database<TSchema>;
  driver: "pglite" | "postgres";
  /** Applies pending drizzle-kit migrations from `folder` (under the migration lock, in one transaction). */
  migrate(folder: string): Promise<void>;
  /** Cheap liveness probe used by readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Clients kept open across `createDatabase` calls, by connection string or PGlite data directory;
 * undefined (the default, and always in production) means every call opens its own client.
 *
 * `yamac dev` loads each new build of an app into the process that already serves the previous
 * one (src/lib is loaded once and shared; the app's own modules, src/db/client.ts included, are
 * evaluated again). Reopening the database there would cost a PGlite start (about a second) or a
 * new connection pool per save, and PGlite cannot have its data directory open twice. So the dev
 * host calls `keepConnectionsOpen()` once at start: after that, `createDatabase` reuses the client
 * already open for the same url (postgres.js) or data directory (PGlite): the handle it returns
 * has a fresh drizzle instance with the new schema over that client, and its `close()` does
 * nothing. `closeKeptConnections()` closes the real clients when the host shuts down.
 */
let kept: Map<string, { client: unknown; close: () => Promise<void> }> | undefined;

/** From now on, `createDatabase` shares one client per url or data directory, and handles do not close it (see `kept`). */
export function keepConnectionsOpen(): void {
  kept ??= new Map();
}

/** Closes the clients `keepConnectionsOpen` kept. */
export async function closeKeptConnections(): Promise<void> {
  const clients = [...(kept?.values() ?? [])];
  kept?.clear();
  await Promise.all(clients.map((c) => c.close()));
}

/** The kept client for `key`, opened with `open` the first time; without keepConnectionsOpen, always a new one. */
async function shared<T>(key: string, open: () => Promise<T> | T, close: (client: T) => Promise<void>): Promise<{ client: T; close: () => Promise<void> }> {
  if (!kept) {
    const client = await open();
    return { client, close: () => close(client) };
  }
  let entry = kept.get(key);
  if (!entry) {
    const client = await open();
    entry = { client, close: () => close(client) };
    kept.set(key, entry);
  }
  return { client: entry.client as T, close: async () => {} };
}

/**
 * PGlite is loaded only when it is used (no DATABASE_URL), so deployments on PostgreSQL never
 * load it and bundles can leave it out.
 */
export async function createDatabase<TSchema extends Record<string, unknown>>(options: DatabaseOptions<TSchema>): Promise<DatabaseHandle<TSchema>> {
  if (options.url) {
    // `socket` and `max_pipeline` are postgres.js options its type declarations leave out.
    const settings: postgres.Options<Record<string, never>> & { socket: ReturnType<typeof connectWithCooldown>; max_pipeline: number } = {
      max: options.poolMax,
      // At most one query waiting behind the running one on a connection; the others wait in
      // postgres.js's queue for a free connection. With its default (up to 100 pipelined per
      // connection), under sustained load every query that finds all connections busy is sent
      // down a busy one, and the pool's list of busy connections grows by an entry each time
      // while the pool stays busy: a scan of it took 15–19 % of the server's CPU, and throughput
      // fell the longer the load lasted (bench/RESULTS.md). With 1 the list stays as short as the
      // pool. (0 is not an option: sql.begin() would then not keep its connection.)
      max_pipeline: 1,
      ssl: options.ssl === false ? false : options.ssl,
      onnotice: () => {},
      connect_timeout: 10,
      // While the database is down, requests get a 503 at once instead of waiting: a failed
      // connection attempt makes the next ones fail immediately for a moment (db-connect.ts),
      // and no backoff delays the attempt after that. postgres.js's default backoff (up to 20 s
      // between attempts, growing with every failure) held requests in the queue and delayed
      // recovery by as much.
      socket: connectWithCooldown(),
      backoff: () => 0,
    };
    const { client, close } = await shared(`postgres:${options.url}`, () => postgres(options.url!, settings), (c) => c.end({ timeout: 5 }));
    const db = drizzlePostgres(client, { schema: options.schema });
    const handle: DatabaseHandle<TSchema> = {
      db,
      driver: "postgres",
      migrate: async (folder) => {
        await migrateUp(handle, folder);
      },
      async session(fn) {
        const reserved = await client.reserve();
        const session: SqlSession = {
          query: async <T extends Record<string, unknown>>(text: string, params: unknown[] = []) => [...(await reserved.unsafe(text, params as postgres.ParameterOrJSON<never>[]))] as unknown as T[],
          exec: async (text) => {
            await reserved.unsafe(text).simple();
          },
        };
        try {
          return await fn(session);
        } finally {
          reserved.release();
        }
      },
      ping: async () => {
        await client`select 1`;
      },
      close,
    };
    return handle;
  }
  const [{ forDrizzle, lockDataDir, openPglite }, { drizzle: drizzlePglite }] = await Promise.all([import("./pglite.js"), import("drizzle-orm/pglite")]);
  const { client, close } = await shared(
    `pglite:${options.dataDir}`,
    async () => {
      const release = lockDataDir(options.dataDir);
      try {
        return Object.assign(await openPglite(options.dataDir, options.pgliteTemplate || undefined), { release });
      } catch (err) {
        release();
        throw err;
      }
    },
    async (c) => {
      await c.close();
      c.release();
    },
  );
  const db = drizzlePglite(forDrizzle(client), { schema: options.schema });
  // PGlite is one connection in this process: the session is the client itself.
  const session: SqlSession = {
    query: async <T extends Record<string, unknown>>(text: string, params: unknown[] = []) => (await client.query<T>(text, params)).rows,
    exec: async (text) => {
      await client.exec(text);
    },
  };
  const handle: DatabaseHandle<TSchema> = {
    db,
    driver: "pglite",
    migrate: async (folder) => {
      await migrateUp(handle, folder);
    },
    session: (fn) => fn(session),
    ping: async () => {
      await client.query("select 1");
    },
    close,
  };
  return handle;
}
