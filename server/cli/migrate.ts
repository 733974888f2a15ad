import { connectDatabase, migrateDatabase } from "@/db/client";
import { getHubConfigOrExit } from "@/server/config";
import { resolveDatabaseUrl } from "@/server/database/embedded-server";
import { shutdown } from "@/server/lib/shutdown";

async function main() {
  // A bad setting stops here with exit code 2, before any database is started.
  getHubConfigOrExit();
  const { db, pool } = connectDatabase(await resolveDatabaseUrl());
  await migrateDatabase(db);
  await pool.end();
  console.log("Migrations applied.");
  await shutdown(0);
}

main().catch(async (error: unknown) => {
  console.error(`Migration failed: ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
});
