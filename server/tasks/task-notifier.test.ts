import pg from "pg";
import { afterEach, describe, expect, test, vi } from "vitest";
import { ChangeFeed, FEED_CONNECTION_NAME } from "@/server/database/change-feed";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { TASK_CHANNEL, taskNotifierOf } from "./task-notifier";

const testDb = useTestDatabase();

afterEach(() => {
  vi.useRealTimers();
});

describe("waking claims", () => {
  test("a task queued through another connection wakes its own site's waiters only", async () => {
    const feed = new ChangeFeed(testDb.db().$client);
    const notifier = taskNotifierOf(feed);
    const elsewhere = new pg.Client({ connectionString: testDb.url() });
    await elsewhere.connect();
    try {
      await notifier.ready();
      const mine = notifier.subscribe("site-a");
      const theirs = notifier.subscribe("site-b");
      let isTheirsWoken = false;
      void theirs.wait(60_000).then(() => (isTheirsWoken = true));
      await elsewhere.query("SELECT pg_notify($1, $2)", [TASK_CHANNEL, "site-a"]);
      await mine.wait(60_000);
      expect(isTheirsWoken).toBe(false);
      mine.dispose();
      theirs.dispose();
    } finally {
      await elsewhere.end();
      await feed.close();
    }
  });

  test("losing the listening connection wakes every waiter, to check the queue again", async () => {
    const feed = new ChangeFeed(testDb.db().$client);
    const notifier = taskNotifierOf(feed);
    try {
      await notifier.ready();
      expect(feed.isListening).toBe(true);
      const waiting = notifier.subscribe("site-a");
      const woken = waiting.wait(60_000);
      await testDb
        .db()
        .$client.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()",
          [FEED_CONNECTION_NAME],
        );
      await woken;
      waiting.dispose();
    } finally {
      await feed.close();
    }
  });

  test("where notifications never arrive (a connection pooler in transaction mode), a waiter checks again every second, not at its deadline", async () => {
    // Listens on this database, but its probe goes through another database's pool, as in the change feed's own test.
    const other = new pg.Pool({ connectionString: testDb.url().replace(/\/[^/]+$/, "/postgres"), max: 1 });
    const pool = new Proxy(testDb.db().$client, {
      get: (target, property) => (property === "query" ? other.query.bind(other) : Reflect.get(target, property)),
    });
    const feed = new ChangeFeed(pool, 300);
    const notifier = taskNotifierOf(feed);
    try {
      await notifier.ready();
      expect(feed.isListening).toBe(false);
      vi.useFakeTimers();
      const waiting = notifier.subscribe("site-a");
      let isDone = false;
      void waiting.wait(60_000).then(() => (isDone = true));
      await vi.advanceTimersByTimeAsync(999);
      expect(isDone).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(isDone).toBe(true);
      waiting.dispose();
    } finally {
      vi.useRealTimers();
      await feed.close();
      await other.end();
    }
  });
});
