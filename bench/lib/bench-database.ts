import { randomBytes } from "node:crypto";
import path from "node:path";
import { connectDatabase, migrateDatabase, type Database } from "@/db/client";
import { dropDatabase, ensureDatabase, startEmbeddedServer } from "@/server/database/embedded-server";
import { withDatabase } from "@/db/pg-connection";
import { startHubServer } from "@/server/lib/test-support/hub-server";

/**
 * A throwaway, migrated hub database for one benchmark run, removed afterwards. Uses
 * TEST_DATABASE_URL / DATABASE_URL, else an embedded server. With `keep`, the database of that name
 * is used (created if missing) and kept, so a later run can reuse what this one loaded.
 */
export async function withBenchDatabase<T>(
  run: (db: Database, url: string) => Promise<T>,
  options: { keep?: string } = {},
): Promise<T> {
  const adminUrl =
    process.env.TEST_DATABASE_URL ??
    process.env.DATABASE_URL ??
    (await startEmbeddedServer({ dataDir: path.resolve(".data", "bench-postgres"), port: 54359 })).adminUrl;
  const name = options.keep ?? `flip_bench_${randomBytes(4).toString("hex")}`;
  await ensureDatabase(adminUrl, name);
  const url = withDatabase(adminUrl, name);
  const { db, pool } = connectDatabase(url);
  pool.on("error", () => undefined);
  try {
    await migrateDatabase(db);
    return await run(db, url);
  } finally {
    await pool.end();
    if (!options.keep) await dropDatabase(adminUrl, name);
  }
}

/** withBenchDatabase plus the hub's router over loopback HTTP, closed before the database goes. */
export async function withBenchHub<T>(
  run: (db: Database, hubUrl: string, databaseUrl: string) => Promise<T>,
): Promise<T> {
  return withBenchDatabase(async (db, databaseUrl) => {
    const hub = await startHubServer(db);
    try {
      return await run(db, hub.url, databaseUrl);
    } finally {
      await hub.close();
    }
  });
}
