import { connectDatabase } from "@/db/client";
import { ensureBackgroundWork } from "@/server/background-work";
import { startHubServer } from "./hub-server";

/**
 * The hub's router in a process of its own (DATABASE_URL, PORT), so a test can kill it with
 * SIGKILL and start a new one: a real restart, with nothing in memory carried over.
 */
async function main() {
  const { db } = connectDatabase(process.env.DATABASE_URL!);
  const hub = await startHubServer(db, Number(process.env.PORT));
  // As instrumentation.ts does for the portal: deadlines are handled from start-up, not first traffic.
  ensureBackgroundWork(db);
  process.stdout.write(`ready ${hub.url}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
