import { afterAll, afterEach, beforeAll } from "vitest";
import type { Database } from "@/db/client";
import { startHubServer } from "@/server/lib/test-support/hub-server";
import type { OmopFixture } from "./omop-fixture";
import { killWorker, spawnWorker, type WorkerProcess } from "./worker-process";

/**
 * The hub router over loopback HTTP for a test file, and real worker processes against it that
 * are killed after each test, so a failing test cannot leave one running into the next.
 */
export function useWorkerFleet(db: () => Database) {
  let hub: { url: string; close: () => Promise<void> } | undefined;
  const workers: WorkerProcess[] = [];
  beforeAll(async () => {
    hub = await startHubServer(db());
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map(killWorker));
  });
  afterAll(async () => {
    await hub?.close();
  });
  return {
    /** A worker for `site` reading `fixture`, with the tests' suppression threshold of 5 unless the policy says otherwise. */
    startWorker(
      token: string,
      site: string,
      fixture: Pick<OmopFixture, "url">,
      extra: { policy?: Record<string, unknown>; env?: Record<string, string> } = {},
    ): WorkerProcess {
      if (!hub) throw new Error("useWorkerFleet: the hub is not started yet");
      const worker = spawnWorker({
        hubUrl: hub.url,
        token,
        siteDatabaseUrl: fixture.url,
        policy: { site, minCellCount: 5, roundingBase: 1, ...extra.policy },
        env: extra.env,
      });
      workers.push(worker);
      return worker;
    },
  };
}
