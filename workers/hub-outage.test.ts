import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, inject, test } from "vitest";
import { siteHealth, siteTasks } from "@/db/schema";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { startHubServer } from "@/server/lib/test-support/hub-server";
import { issueSiteToken, revokeSiteTokens } from "@/server/site-network/site-tokens.service";
import { sleep } from "./backoff";
import { createHubClient, HubError } from "./hub-client";
import { createLogger } from "./log";
import { startCountingProxy } from "./test-support/counting-proxy";
import { ADMIN, makeSiteWithToken, queueInventory, waitFor, waitForTask } from "./test-support/hub-fixture";
import { createOmopFixture, type OmopFixture } from "./test-support/omop-fixture";
import { killWorker, spawnWorker, type WorkerProcess } from "./test-support/worker-process";
import { asReleased } from "./test-support/released";

/** The hub going away, coming back, and refusing a token: the worker must ride it out without spinning. */
const testDb = useTestDatabase();
const adminUrl = inject("pgAdminUrl");
let hub: { url: string; close: () => Promise<void> };
let omop: OmopFixture;
const workers: WorkerProcess[] = [];
const quiet = createLogger({}, { write: () => undefined });

const heartbeatInput = asReleased({
  workerVersion: "test",
  capabilities: { tfjsBackend: "cpu", gpu: null, cpuCount: 1, memoryMb: 1024 },
  utilisation: { cpuPercent: 1, memoryPercent: 1 },
  tasksInFlight: [],
  selfChecks: [],
});

beforeAll(async () => {
  hub = await startHubServer(testDb.db());
  omop = await createOmopFixture(adminUrl);
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map(killWorker));
});
afterAll(async () => {
  await hub?.close();
  await omop?.drop();
});

describe("hub outages and tokens", () => {
  test(
    "a hub restarted on the same port: the waiting worker reconnects with backoff and completes work queued after the restart",
    { timeout: 60_000 },
    async () => {
      const db = testDb.db();
      const { site, token } = await makeSiteWithToken(db, "KCH");
      const worker = spawnWorker({
        hubUrl: hub.url,
        token,
        siteDatabaseUrl: omop.url,
        policy: { site: "KCH", minCellCount: 5 },
      });
      workers.push(worker);
      await waitForTask(db, site.id, (t) => t.status === "done", "the first inventory");

      const port = Number(new URL(hub.url).port);
      await hub.close();
      await worker.waitForLog((l) => l.msg === "Hub unreachable; retrying with backoff");
      hub = await startHubServer(db, port);

      const queued = await queueInventory(db, site, { minCellCount: 7 });
      const done = await waitForTask(
        db,
        site.id,
        (t) => t.id === queued.id && t.status === "done",
        "work queued after the restart",
      );
      expect(done).toMatchObject({ attempt: 1, result: { threshold: 7, persons: 20 } });
      await worker.waitForLog((l) => l.msg === "Hub reachable again");
    },
  );

  test(
    "a revoked token: the next call is refused with 401, the worker logs it clearly once and retries slowly",
    { timeout: 60_000 },
    async () => {
      const db = testDb.db();
      const { site, token } = await makeSiteWithToken(db, "GSTT", { skipFirstInventory: true });
      const proxy = await startCountingProxy(hub.url);
      try {
        const worker = spawnWorker({ hubUrl: proxy.url, token, siteDatabaseUrl: omop.url, policy: { site: "GSTT" } });
        workers.push(worker);
        await waitFor(
          async () =>
            (await db.select().from(siteHealth).where(eq(siteHealth.siteId, site.id)))[0]?.workerVersion ?? undefined,
          "a heartbeat",
        );
        await revokeSiteTokens(db, ADMIN, { siteId: site.id });

        const refused = await worker.waitForLog(
          (l) => l.level === "error" && l.msg.includes("refused this site token (401)"),
        );
        expect(refused.reason).toBe(
          "This site token is not valid (revoked, rotated out or mistyped). Ask a platform admin for a new one.",
        );
        // Heartbeats are due every 300 ms here; a worker that kept calling would rack up 401s quickly.
        await sleep(3_000);
        expect(proxy.count(401)).toBeLessThanOrEqual(2);
        expect(worker.logs.filter((l) => l.msg.includes("refused this site token"))).toHaveLength(1);
        expect(worker.output()).not.toContain(token);
      } finally {
        await proxy.close();
      }
    },
  );

  test(
    "a rotated token: the new one works at once, the old one works during the grace period and is refused after it",
    { timeout: 60_000 },
    async () => {
      const db = testDb.db();
      const { site, token: oldToken } = await makeSiteWithToken(db, "UCLH", { skipFirstInventory: true });
      const { token: newToken } = await issueSiteToken(db, ADMIN, { siteId: site.id, graceSeconds: 2 });
      const oldClient = createHubClient({ trpcUrl: `${hub.url}/api/trpc`, token: oldToken, log: quiet });
      const newClient = createHubClient({ trpcUrl: `${hub.url}/api/trpc`, token: newToken, log: quiet });

      await expect(newClient.heartbeat(heartbeatInput)).resolves.toMatchObject({ siteCode: "UCLH" });
      await expect(oldClient.heartbeat(heartbeatInput)).resolves.toMatchObject({ siteCode: "UCLH" });
      const refusal = await waitFor(
        () =>
          oldClient.heartbeat(heartbeatInput).then(
            () => undefined,
            (error: unknown) => error,
          ),
        "the old token's grace period to end",
      );
      expect(refusal).toBeInstanceOf(HubError);
      expect(refusal).toMatchObject({
        kind: "unauthorized",
        message: "This site token is not valid (revoked, rotated out or mistyped). Ask a platform admin for a new one.",
      });
      await expect(newClient.heartbeat(heartbeatInput)).resolves.toMatchObject({ siteCode: "UCLH" });
    },
  );

  test(
    "a token of another site than the policy file names: the worker stops with exit 2 before claiming anything",
    { timeout: 30_000 },
    async () => {
      const db = testDb.db();
      const { site, token } = await makeSiteWithToken(db, "NUTH");
      const worker = spawnWorker({ hubUrl: hub.url, token, siteDatabaseUrl: omop.url, policy: { site: "KCH" } });
      workers.push(worker);
      expect(await worker.exited).toEqual({ code: 2, signal: null });
      expect(worker.logs).toContainEqual(
        expect.objectContaining({ level: "error", hubSite: "NUTH", policySite: "KCH", policyFile: worker.policyPath }),
      );
      const [task] = await db.select().from(siteTasks).where(eq(siteTasks.siteId, site.id));
      expect(task).toMatchObject({ status: "queued", attempt: 0 });
    },
  );
});
