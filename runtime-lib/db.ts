import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";

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

export interface DatabaseHandle<TSchema extends Record<string, unknown>> {
  db: Database<TSchema>;
  driver: "pglite" | "postgres";
  /** Applies pending drizzle-kit migrations from `folder`. */
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
    const client = postgres(options.url, {
      max: options.poolMax,
      ssl: options.ssl === false ? false : options.ssl,
      onnotice: () => {},
      connect_timeout: 10,
    });
    const db = drizzlePostgres(client, { schema: options.schema });
    return {
      db,
      driver: "postgres",
      migrate: (folder) => migratePostgres(db, { migrationsFolder: folder }),
      ping: async () => {
        await client`select 1`;
      },
      close: () => client.end({ timeout: 5 }),
    };
  }
  const [{ openPglite }, { drizzle: drizzlePglite }, { migrate: migratePglite }] = await Promise.all([
    import("./pglite.js"),
    import("drizzle-orm/pglite"),
    import("drizzle-orm/pglite/migrator"),
  ]);
  const client = await openPglite(options.dataDir, options.pgliteTemplate || undefined);
  const db = drizzlePglite(client, { schema: options.schema });
  return {
    db,
    driver: "pglite",
    migrate: (folder) => migratePglite(db, { migrationsFolder: folder }),
    ping: async () => {
      await client.query("select 1");
    },
    close: () => client.close(),
  };
}
