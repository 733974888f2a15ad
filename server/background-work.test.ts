import { expect, test, vi } from "vitest";
import { connectDatabase } from "@/db/client";
import { closeRoundExchange } from "@/server/jobs/round-exchange";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { ensureBackgroundWork, isBackgroundLeader, stopBackgroundWork } from "./background-work";

const testDb = useTestDatabase();

test("of several portal processes on one database exactly one runs the sweeper and coordinator; another takes over when it stops", async () => {
  const processes = Array.from({ length: 3 }, () => connectDatabase(testDb.url(), { poolMax: 4 }));
  try {
    for (const { db } of processes) ensureBackgroundWork(db);
    const leaders = () => processes.filter(({ db }) => isBackgroundLeader(db));
    await vi.waitFor(() => expect(leaders()).toHaveLength(1), { timeout: 10_000 });
    // Several passes later it is still the same one, alone.
    const first = leaders()[0]!;
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(leaders()).toEqual([first]);

    stopBackgroundWork(first.db);
    await vi.waitFor(
      () => {
        expect(leaders()).toHaveLength(1);
        expect(leaders()[0]).not.toBe(first);
      },
      { timeout: 10_000 },
    );
  } finally {
    for (const { db } of processes) stopBackgroundWork(db);
    await Promise.all(processes.map(({ db }) => closeRoundExchange(db)));
    await Promise.all(processes.map(({ pool }) => pool.end()));
  }
});
