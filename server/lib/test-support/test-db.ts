import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, inject } from "vitest";
import { connectDatabase, migrateDatabase, type Database } from "@/db/client";
import { dropDatabase, ensureDatabase } from "@/server/database/embedded-server";
import { withDatabase } from "@/db/pg-connection";
import { stopBackgroundWork } from "@/server/background-work";
import { closeChangeFeed } from "@/server/database/change-feed";
import { closeRoundExchange } from "@/server/jobs/round-exchange";

export type TestDatabase = { db: Database; url: string; name: string };

/**
 * Gives the calling test file its own freshly migrated database, dropped after the file's tests.
 * Use the returned getter inside tests: `const { db } = useTestDatabase(); ... db()`.
 */
export function useTestDatabase() {
  let state: (TestDatabase & { close: () => Promise<void> }) | undefined;
  const adminUrl = inject("pgAdminUrl");
  beforeAll(async () => {
    const name = `flip_test_${randomBytes(6).toString("hex")}`;
    await ensureDatabase(adminUrl, name);
    const url = withDatabase(adminUrl, name);
    const { db, pool } = connectDatabase(url);
    // DROP DATABASE ... WITH (FORCE) ends lingering sockets; that is expected at teardown.
    pool.on("error", () => undefined);
    await migrateDatabase(db);
    const close = async () => {
      stopBackgroundWork(db);
      await closeChangeFeed(db);
      await closeRoundExchange(db);
      // A request still in flight (a worker's long-poll claim, a killed worker's half-done call) can
      // hold a client; the forced DROP DATABASE below ends its socket, so teardown waits only so long.
      await Promise.race([pool.end(), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    };
    state = { db, url, name, close };
  });
  afterAll(async () => {
    if (!state) return;
    await state.close();
    await dropDatabase(adminUrl, state.name);
  });
  const current = () => {
    if (!state) throw new Error("test database not ready: call useTestDatabase() at the top level of the file");
    return state;
  };
  return { db: () => current().db, url: () => current().url };
}
