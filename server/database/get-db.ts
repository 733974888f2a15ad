import { connectDatabase, migrateDatabase, type Database } from "@/db/client";
import { getHubConfig } from "@/server/config";
import { resolveDatabaseUrl } from "./embedded-server";

const globalForDb = globalThis as unknown as { flipDb?: Promise<Database> };

/** The process-wide database handle, migrated on first use. */
export function getDb(): Promise<Database> {
  globalForDb.flipDb ??= (async () => {
    const { FLIP_DB_POOL_MAX, FLIP_DB_POOL_IDLE_S } = getHubConfig();
    const { db } = connectDatabase(await resolveDatabaseUrl(), {
      poolMax: FLIP_DB_POOL_MAX,
      idleSeconds: FLIP_DB_POOL_IDLE_S,
    });
    await migrateDatabase(db);
    return db;
  })().catch((error: unknown) => {
    globalForDb.flipDb = undefined;
    throw error;
  });
  return globalForDb.flipDb;
}

/** Has `getDb` answer with `db` (a test's own database), for tests that drive the portal's request path. @internal for tests */
export function serveDatabaseForTests(db: Database): void {
  globalForDb.flipDb = Promise.resolve(db);
}
