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

/**
 * A pool of PostgreSQL connections. An idle connection is kept `idleSeconds` (10 minutes unless
 * told otherwise), not node-postgres's 10 s: a round's claims, downloads and updates come in a burst
 * after minutes of training, and a connection opened for each burst costs a new server process,
 * whose first statements are parsed, planned and run in fresh memory again. Measured on a 2-core VM
 * (bench:round with 12 s of training, six interleaved pairs): a median round overhead of 659 ms with
 * connections closed in between, 558 ms with them kept. TCP keepalives (from a minute idle) stop a firewall or load balancer in between from
 * dropping a connection kept that long, and find a dead one. Idle connections do not keep a process
 * from exiting.
 */
export function connectDatabase(
  url: string,
  options: { poolMax?: number; idleSeconds?: number } = {},
): { db: Database; pool: pg.Pool } {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolMax ?? 10,
    idleTimeoutMillis: (options.idleSeconds ?? 600) * 1000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 60_000,
    allowExitOnIdle: true,
  });
  // An idle connection ended by the server (a restart, or shutdown stopping the database first)
  // is replaced on next use; unhandled, node-postgres would crash the process instead.
  pool.on("error", (error) =>
    console.warn(`[db] idle connection closed: ${(error as { code?: string }).code ?? error.message}`),
  );
  return { db: drizzle(pool, { schema }), pool };
}

// "FLPM": held while one process migrates, so portal processes starting together take turns.
const MIGRATION_LOCK = 0x464c504d;

/**
 * Applies pending migrations. Several portal processes may start at once against one database:
 * each waits for a session advisory lock, so one migrates and the others then find nothing to do.
 */
export async function migrateDatabase(db: Database): Promise<void> {
  const client = await db.$client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
    await migrate(db, { migrationsFolder: MIGRATIONS_DIR });
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
}
