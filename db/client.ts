import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import path from "node:path";
import pg from "pg";
import * as schema from "./schema";

export type Database = NodePgDatabase<typeof schema> & { $client: pg.Pool };
/** A transaction handle; services that write audit events take one of these. */
export type Tx = Parameters<Parameters<Database["transaction"]>[0]>[0];
export type DbOrTx = Database | Tx;

const MIGRATIONS_DIR = path.resolve(process.cwd(), "db/migrations");

export function connectDatabase(url: string, options: { poolMax?: number } = {}): { db: Database; pool: pg.Pool } {
  const pool = new pg.Pool({ connectionString: url, max: options.poolMax ?? 10 });
  // An idle connection ended by the server (a restart, or shutdown stopping the database first)
  // is replaced on next use; unhandled, node-postgres would crash the process instead.
  pool.on("error", (error) =>
    console.warn(`[db] idle connection closed: ${(error as { code?: string }).code ?? error.message}`),
  );
  return { db: drizzle(pool, { schema }), pool };
}

export async function migrateDatabase(db: Database): Promise<void> {
  await migrate(db, { migrationsFolder: MIGRATIONS_DIR });
}
