import { asc, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, test } from "vitest";
import { jobs, modelVersions, roundUpdates, trainingRounds } from "@/db/schema";
import { getArtifactStore } from "@/server/artifacts/artifact-store";
import { createTrainJob } from "@/server/jobs/jobs.service";
import { makeUser, viewerOf } from "@/server/lib/test-support/fixtures";
import { freePort, startHubProcess, type HubProcess } from "@/server/lib/test-support/hub-process";
import { startRoundRobinProxy } from "@/server/lib/test-support/round-robin-proxy";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import {
  makeTrainingProject,
  RELEASE_STATEMENT,
  RELEASED_METRICS,
  RELEASED_SPLIT,
  trainJobInput,
} from "@/server/lib/test-support/training-fixtures";
import { createHubClient, type HubClient } from "@/workers/hub-client";
import { createLogger } from "@/workers/log";
import { makeSiteWithToken } from "@/workers/test-support/hub-fixture";
import { asReleased } from "@/workers/test-support/released";
import { decodeTensors } from "@/protocol/tensor-codec";
import type { TrainResult } from "@/protocol/training";

/**
 * Two real portal processes behind a round-robin proxy, ten stand-in sites on the real worker
 * protocol client: a round's updates land in both processes' memory, and the round closes with
 * the sum of both.
 */
const testDb = useTestDatabase();
let hubs: HubProcess[] = [];
let proxy: { url: string; close: () => Promise<void> };

beforeAll(async () => {
  hubs = await Promise.all([0, 1].map(async () => startHubProcess(testDb.url(), await freePort())));
  proxy = await startRoundRobinProxy(hubs.map((h) => h.url));
}, 120_000);
afterAll(async () => {
  await proxy?.close();
  await Promise.all(hubs.map((h) => h.kill()));
});

const RESULT: TrainResult = {
  exampleCount: 40,
  ...RELEASE_STATEMENT,
  globalValidation: { ...RELEASED_METRICS, ...RELEASED_SPLIT },
  localValidation: RELEASED_METRICS,
  trainLoss: 0.5,
  epochs: 1,
  backend: "cpu",
  trainingMs: 5,
};

/** Claims, downloads, returns a delta of 0.01 everywhere; completes evaluations with released figures. */
async function runSite(client: HubClient, stop: AbortSignal) {
  while (!stop.aborted) {
    const task = await client.claim(1_000, stop).catch(() => null);
    if (!task) continue;
    const lease = { taskId: task.taskId, leaseId: task.leaseId };
    const { tensors } = await client.downloadWeights(lease, stop);
    if (task.kind === "evaluate") {
      await client.complete({
        ...lease,
        result: asReleased({ ...RELEASE_STATEMENT, ...RELEASED_SPLIT, metrics: RELEASED_METRICS, backend: "cpu" }),
      });
      continue;
    }
    const update = tensors.map((t) => ({ ...t, data: new Float32Array(t.data.length).fill(0.01) }));
    await client.uploadUpdate({ ...lease, result: asReleased(RESULT), update });
  }
}

test("a 10-site training job through two portal processes completes, with updates held by both and aggregated once", async () => {
  const db = testDb.db();
  const researcher = await viewerOf(db, (await makeUser(db, [{ role: "researcher" }])).id);
  const log = createLogger({}, { minLevel: "error" });
  const fleet = [];
  for (let i = 0; i < 10; i++) {
    const { site, token } = await makeSiteWithToken(db, `MP${i}`, { skipFirstInventory: true });
    fleet.push({ site, client: createHubClient({ trpcUrl: `${proxy.url}/api/trpc`, token, log }) });
  }
  const approvers = [];
  for (const { site } of fleet)
    approvers.push({
      approver: await viewerOf(db, (await makeUser(db, [{ role: "approver", siteId: site.id }])).id),
      siteId: site.id,
    });
  const project = await makeTrainingProject(db, researcher, approvers);
  const stop = new AbortController();
  const running = fleet.map(({ client }) => runSite(client, stop.signal));
  const job = await createTrainJob(
    db,
    researcher,
    trainJobInput(
      project,
      fleet.map((f) => f.site.id),
      { participation: { minSites: 10, roundDeadlineSeconds: 600 } },
    ),
  );
  try {
    for (;;) {
      const [row] = await db.select().from(jobs).where(eq(jobs.id, job.id));
      if (row!.status !== "running") {
        expect(row).toMatchObject({ status: "completed", error: null });
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    stop.abort();
    await Promise.allSettled(running);
  }
  const rounds = await db
    .select()
    .from(trainingRounds)
    .where(eq(trainingRounds.jobId, job.id))
    .orderBy(asc(trainingRounds.number));
  expect(rounds.map((r) => r.status)).toEqual(["closed", "closed"]);
  for (const round of rounds) {
    const [{ holders, updates }] = (await db
      .select({
        holders: sql<number>`count(DISTINCT ${roundUpdates.holder})::int`,
        updates: sql<number>`count(*)::int`,
      })
      .from(roundUpdates)
      .where(eq(roundUpdates.roundId, round.id))) as [{ holders: number; updates: number }];
    // Round robin: each process accepted some of the ten updates.
    expect({ holders, updates }).toEqual({ holders: 2, updates: 10 });
  }
  // Every site sent 0.01 everywhere: each round moves every weight by exactly that mean.
  const weightsOf = async (versionId: string) => {
    const [version] = await db.select().from(modelVersions).where(eq(modelVersions.id, versionId));
    return decodeTensors(await getArtifactStore().get(db, version!.weightsSha256)).tensors;
  };
  const start = await weightsOf(rounds[0]!.globalVersionId);
  const end = await weightsOf(rounds[1]!.resultVersionId!);
  end.forEach((t, ti) => t.data.forEach((x, i) => expect(x).toBeCloseTo(start[ti]!.data[i]! + 0.02, 5)));
}, 300_000);
