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
 * PGlite is loaded only when it is used (no DATABASE_URL), so deployments on PostgreSQL never
 * load it and bundles can leave it out.
 */
export async function createDatabase<TSchema extends Record<string, unknown>>(options: DatabaseOptions<TSchema>): Promise<DatabaseHandle<TSchema>> {
  if (options.url) {
    // `socket` is a postgres.js option its type declarations leave out.
    const settings: postgres.Options<Record<string, never>> & { socket: ReturnType<typeof connectWithCooldown> } = {
      max: options.poolMax,
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
    const client = postgres(options.url, settings);
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
      close: () => client.end({ timeout: 5 }),
    };
    return handle;
  }
  const [{ openPglite }, { drizzle: drizzlePglite }] = await Promise.all([import("./pglite.js"), import("drizzle-orm/pglite")]);
  const client = await openPglite(options.dataDir, options.pgliteTemplate || undefined);
  const db = drizzlePglite(client, { schema: options.schema });
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
    close: () => client.close(),
  };
  return handle;
}
