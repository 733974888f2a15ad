import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, inject, test } from "vitest";
import {
  jobEvents,
  jobs,
  jobTasks,
  modelVersions,
  privacyReports,
  secaggSites,
  siteTasks,
  trainingRounds,
} from "@/db/schema";
import { getModelCard } from "@/server/models/model-card";
import { estimateEpsilon } from "@/protocol/privacy/dp-settings";
import { dropDatabase } from "@/server/database/embedded-server";
import { withDatabase } from "@/db/pg-connection";
import { PROSTATE_PROJECT } from "@/server/cli/demo-projects";
import { getCohortRun, runCohort } from "@/server/cohorts/cohorts.service";
import { cancelJob, createTrainJob } from "@/server/jobs/jobs.service";
import { loadWeights } from "@/server/jobs/job-context";
import type { Viewer } from "@/server/auth/permissions";
import { makeUser, viewerOf } from "@/server/lib/test-support/fixtures";
import { trainResult } from "@/server/lib/test-support/round-harness";
import { trainJobInput } from "@/server/lib/test-support/training-fixtures";
import { startHubServer } from "@/server/lib/test-support/hub-server";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { createApprovedProject, type ApprovedProjectSpec } from "@/server/projects/approved-project";
import { quantisationBound, quantise } from "@/protocol/secagg/quantise";
import type { NamedTensor } from "@/protocol/tensor-codec";
import { ZTrainPayload } from "@/protocol/training";
import { CLAIM_MAX_WAIT_MS } from "@/protocol/contract";
import { generateSiteData } from "./site-data/generate";
import { makeSiteWithToken, waitFor } from "./test-support/hub-fixture";
import { killWorker, spawnWorker, type WorkerProcess } from "./test-support/worker-process";
import {
  findWindow,
  recomputeUpdate,
  standInSite,
  startRecordingProxy,
  watchHubStorage,
} from "./test-support/secure-round";

/**
 * Secure aggregation in real rounds: three real worker processes and a fourth site the test plays
 * itself (its worker counted the cohort, then stopped), all through the hub's HTTP routes. The
 * fourth site lets a test drop out at an exact step and look at the hub while it holds everything.
 */
const testDb = useTestDatabase();
const adminUrl = inject("pgAdminUrl");
const SITES = ["KCH", "GSTT", "UCLH", "RFH"] as const;
const PERSONS = 1500;
const policyOf = (code: string) => ({ site: code, allowedTaskKinds: ["cohort_count", "train"] });
const siteUrls: string[] = [];
const dataDirs: string[] = [];
const tokens: string[] = [];
const siteIds: string[] = [];
const workers = new Map<number, WorkerProcess>();
let hub: { url: string; close: () => Promise<void> };
let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;
let researcher: Viewer;
let project: { projectId: string; versionId: string };
const jobIds: string[] = [];

const startWorker = (i: number) =>
  workers.set(
    i,
    spawnWorker({
      hubUrl: proxy.url,
      token: tokens[i],
      siteDatabaseUrl: siteUrls[i],
      policy: policyOf(SITES[i]!),
      env: { FLIP_SITE_DB_SCHEMA: "public", FLIP_SITE_DATA_DIR: dataDirs[i], FLIP_TFJS_BACKEND: "wasm" },
    }),
  );
/**
 * Stops a site's worker and lets the long-poll claim it left at the hub run out, so the stand-in
 * that takes the site over, not that dead request, leases the site's next task.
 */
const stopWorker = async (i: number, { handOver = false } = {}) => {
  const worker = workers.get(i);
  workers.delete(i);
  if (worker) await killWorker(worker);
  if (handOver) await new Promise((resolve) => setTimeout(resolve, CLAIM_MAX_WAIT_MS + 1_000));
};

beforeAll(async () => {
  const db = testDb.db();
  hub = await startHubServer(db);
  proxy = await startRecordingProxy(hub.url);
  await Promise.all(
    SITES.map(async (code, i) => {
      siteUrls[i] = withDatabase(adminUrl, `flip_secagg_${code.toLowerCase()}_${process.pid}`);
      dataDirs[i] = mkdtempSync(path.join(tmpdir(), `flip-secagg-${code}-`));
      await generateSiteData({
        site: code,
        persons: PERSONS,
        seed: 20 + i,
        databaseUrl: siteUrls[i]!,
        dataDir: dataDirs[i]!,
      });
    }),
  );
  researcher = await viewerOf(db, (await makeUser(db, [{ role: "researcher" }])).id);
  const approvers = [];
  for (const [i, code] of SITES.entries()) {
    const { site, token } = await makeSiteWithToken(db, code, { skipFirstInventory: true });
    tokens.push(token);
    siteIds.push(site.id);
    approvers.push({
      approver: await viewerOf(db, (await makeUser(db, [{ role: "approver", siteId: site.id }])).id),
      siteId: site.id,
    });
    startWorker(i);
  }
  project = await createApprovedProject(db, researcher, {
    ...PROSTATE_PROJECT,
    privacy: { minCellCount: 10, secureAggregation: true },
    title: "Secure aggregation",
    approvers,
  } as ApprovedProjectSpec);
  const run = await runCohort(db, researcher, { projectId: project.projectId, purpose: "approved", siteIds });
  await waitFor(
    async () =>
      (await getCohortRun(db, { projectId: project.projectId, runId: run.id })).isFinished ? true : undefined,
    "the approved cohort count",
    90_000,
  );
  // From here on the fourth site is the test's stand-in.
  await stopWorker(3, { handOver: true });
}, 240_000);

afterEach(async () => {
  for (const jobId of jobIds.splice(0))
    await cancelJob(testDb.db(), researcher, { projectId: project.projectId, jobId }).catch(() => undefined);
});

afterAll(async () => {
  await Promise.all([...workers.keys()].map((i) => stopWorker(i)));
  await proxy?.close();
  await hub?.close();
  await Promise.all(siteUrls.map((url) => dropDatabase(adminUrl, new URL(url).pathname.slice(1))));
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

async function startSecureJob(extra: Partial<Parameters<typeof trainJobInput>[2]> = {}) {
  const job = await createTrainJob(
    testDb.db(),
    researcher,
    trainJobInput(project, siteIds, {
      hyperparameters: { rounds: 1, localEpochs: 1, batchSize: 32, learningRate: 0.05, optimizer: "adam" },
      participation: { minSites: 3, roundDeadlineSeconds: 240 },
      normBound: 1,
      validationFraction: 0.25,
      secureAggregation: true,
      ...extra,
    }),
  );
  jobIds.push(job.id);
  return job.id;
}

/** Waits for round 1 of the job to close or fail. */
async function roundOutcome(jobId: string) {
  const db = testDb.db();
  const round = await waitFor(
    async () => {
      const [r] = await db
        .select()
        .from(trainingRounds)
        .where(and(eq(trainingRounds.jobId, jobId), eq(trainingRounds.number, 1)));
      return r && r.status !== "open" ? r : undefined;
    },
    "round 1 to end",
    180_000,
  );
  const [job] = await db.select().from(jobs).where(eq(jobs.id, jobId));
  const log = await db.select().from(jobEvents).where(eq(jobEvents.jobId, jobId));
  return { round, job: job!, dropped: log.filter((e) => e.type === "site_dropped").map((e) => e.siteCode) };
}

/** The stand-in's own update: small, inside the norm bound, shaped like the global model. */
const standInUpdate = (global: NamedTensor[]) =>
  global.map((t, k) => ({ ...t, data: Float32Array.from(t.data, (_, i) => 0.01 * Math.sin(i + 7 * k)) }));

/** Each site's train payload in the job's first round. */
async function payloadOf(jobId: string, siteId: string) {
  const [row] = await testDb
    .db()
    .select({ payload: siteTasks.payload })
    .from(jobTasks)
    .innerJoin(siteTasks, eq(siteTasks.id, jobTasks.taskId))
    .where(and(eq(jobTasks.jobId, jobId), eq(jobTasks.siteId, siteId), eq(jobTasks.round, 1)));
  return ZTrainPayload.parse(row!.payload);
}

/** The round's parent and new weights, and the given real workers' updates recomputed here (DP noise left out). */
async function recomputeRound(jobId: string, versionId: string, workerSites: number[]) {
  const db = testDb.db();
  const [version] = await db.select().from(modelVersions).where(eq(modelVersions.id, versionId));
  const [parent] = await db.select().from(modelVersions).where(eq(modelVersions.id, version!.parentVersionId!));
  const global = { tensors: await loadWeights(db, parent!.weightsSha256), sha256: parent!.weightsSha256 };
  const updates: { update: NamedTensor[]; exampleCount: number }[] = [];
  for (const i of workerSites) {
    const payload = { ...(await payloadOf(jobId, siteIds[i]!)), differentialPrivacy: undefined };
    const site = { databaseUrl: siteUrls[i]!, dataDir: dataDirs[i]!, policy: policyOf(SITES[i]!), global };
    updates.push(await recomputeUpdate({ payload, ...site }));
  }
  const { params, weightDivisor } = (await payloadOf(jobId, siteIds[0]!)).secureAggregation!;
  return { global, next: await loadWeights(db, version!.weightsSha256), updates, params, weightDivisor };
}

/**
 * The new version against plain FedAvg of the stand-ins' updates and the real workers' (recomputed
 * here): every coordinate within the quantisation bound, plus float32 rounding of global + mean.
 * Returns every site's plain update and its encoding in the ring.
 */
async function expectFedAvg(
  jobId: string,
  versionId: string,
  workerSites: number[],
  standIns: { update: NamedTensor[]; exampleCount: number }[],
) {
  const round = await recomputeRound(jobId, versionId, workerSites);
  const { global, next, params, weightDivisor } = round;
  const updates = [...standIns, ...round.updates];
  const totalExamples = updates.reduce((n, u) => n + u.exampleCount, 0);
  const bound = quantisationBound(params, updates.length, totalExamples / weightDivisor);
  let worst = 0;
  global.tensors.forEach((t, k) =>
    t.data.forEach((g, i) => {
      const mean = updates.reduce((s, u) => s + u.exampleCount * u.update[k]!.data[i]!, 0) / totalExamples;
      const slack = bound + 2 ** -23 * (Math.abs(g) + Math.abs(mean)) * 2;
      worst = Math.max(worst, Math.abs(next[k]!.data[i]! - g - mean) / slack);
    }),
  );
  expect(worst).toBeLessThanOrEqual(1);
  return updates.map((u) => {
    const plain = new Float32Array(u.update.flatMap((t) => [...t.data]));
    return { plain, encoded: quantise(plain, u.exampleCount / weightDivisor, params) };
  });
}

describe("secure aggregation with real site workers", () => {
  test(
    "the aggregate equals plain FedAvg within the quantisation bound, and nothing the hub stores or receives holds one site's update",
    { timeout: 300_000 },
    async () => {
      const db = testDb.db();
      const storage = watchHubStorage(db);
      const receivedBefore = proxy.received.length;
      storage.start();
      const jobId = await startSecureJob();
      const standIn = standInSite(proxy.url, tokens[3]!);
      await standIn.join();
      const global = await loadWeights(db, standIn.payload().model.weightsSha256);
      const update = standInUpdate(global);
      const result = { ...trainResult(100) };
      const { masked } = await standIn.upload(update, result);
      // Everything is in: the three workers' masked updates, their unmasking shares; look before the last share.
      await waitFor(async () => ((await standIn.state()).phase === "unmasking" ? true : undefined), "unmasking");
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await storage.snapshot();
      await standIn.answerUnmasking();
      const { round, job, dropped } = await roundOutcome(jobId);
      await storage.stop();
      expect({ status: round.status, error: job.error, dropped }).toEqual({
        status: "closed",
        error: null,
        dropped: [],
      });

      const sites = await expectFedAvg(
        jobId,
        round.resultVersionId!,
        [0, 1, 2],
        [{ update, exampleCount: result.exampleCount }],
      );
      const haystack = [...storage.blobs(), ...proxy.received.slice(receivedBefore)];
      // The stand-in's masked upload reached the hub (so the search finds what is there), yet no row holds
      // it: masked updates only ever go into the round's sum.
      expect(findWindow(proxy.received.slice(receivedBefore), masked)).toBeGreaterThan(0);
      expect(findWindow(storage.blobs(), masked)).toBe(0);
      // No 32-byte run of any site's update, as float32 or as its encoding in the ring, was stored or received.
      for (const { plain, encoded } of sites)
        expect([findWindow(haystack, plain), findWindow(haystack, encoded)]).toEqual([0, 0]);
    },
  );

  test(
    "a site that drops out after the key exchange, before uploading, has its masks removed: the sum is the other three's",
    { timeout: 300_000 },
    async () => {
      const jobId = await startSecureJob();
      const standIn = standInSite(proxy.url, tokens[3]!);
      await standIn.join();
      await standIn.dropBeforeUpload();
      const { round, job, dropped } = await roundOutcome(jobId);
      expect({ status: round.status, error: job.error, dropped }).toEqual({
        status: "closed",
        error: null,
        dropped: ["RFH"],
      });
      await expectFedAvg(jobId, round.resultVersionId!, [0, 1, 2], []);
    },
  );

  test(
    "a site that drops out after uploading, before unmasking, is still in the sum: the others' shares remove its self mask",
    { timeout: 300_000 },
    async () => {
      const db = testDb.db();
      const jobId = await startSecureJob();
      const standIn = standInSite(proxy.url, tokens[3]!);
      await standIn.join();
      const update = standInUpdate(await loadWeights(db, standIn.payload().model.weightsSha256));
      const result = trainResult(100);
      await standIn.upload(update, result);
      // It never answers; the round closes once the unmasking wait is over, on the three answers it has.
      const { round, job, dropped } = await roundOutcome(jobId);
      expect({ status: round.status, error: job.error, dropped }).toEqual({
        status: "closed",
        error: null,
        dropped: [],
      });
      await expectFedAvg(jobId, round.resultVersionId!, [0, 1, 2], [{ update, exampleCount: result.exampleCount }]);
    },
  );

  test(
    "with DP each site adds its 1/t share of the noise, is charged the full Gaussian mechanism on the sum, and the card says so",
    { timeout: 300_000 },
    async () => {
      const db = testDb.db();
      const dp = { noiseMultiplier: 1.2, delta: 1e-5 };
      const jobId = await startSecureJob({ differentialPrivacy: dp });
      const standIn = standInSite(proxy.url, tokens[3]!);
      await standIn.join();
      const { threshold } = standIn.params();
      await standIn.dropBeforeUpload();
      const { round, job } = await roundOutcome(jobId);
      expect({ status: round.status, error: job.error }).toEqual({ status: "closed", error: null });
      // One round of site-level DP-FedAvg: what the site's ledger charged and reported, as with local DP.
      const oneRound = estimateEpsilon(dp, 1, { exampleCount: 1, batchSize: 1, localEpochs: 1 });
      const reports = await db.select().from(privacyReports).where(eq(privacyReports.jobId, jobId));
      expect(reports.map((r) => [r.secureAggregation, r.noiseMultiplier, r.epsilonSpent.toFixed(6)])).toEqual(
        Array.from({ length: 3 }, () => [true, 1.2, oneRound.toFixed(6)]),
      );
      // The noise on the aggregate: the version minus the noiseless FedAvg of the three clipped updates.
      const { global, next, updates } = await recomputeRound(jobId, round.resultVersionId!, [0, 1, 2]);
      const total = updates.reduce((n, u) => n + u.exampleCount, 0);
      const squares: number[] = [];
      global.tensors.forEach((t, k) =>
        t.data.forEach((g, i) => {
          const mean = updates.reduce((sum, u) => sum + u.exampleCount * u.update[k]!.data[i]!, 0) / total;
          squares.push((next[k]!.data[i]! - g - mean) ** 2);
        }),
      );
      const measured = Math.sqrt(squares.reduce((a, b) => a + b, 0) / squares.length);
      const share = (1.2 * 1) / Math.sqrt(threshold);
      const expected = (share * Math.sqrt(updates.reduce((n, u) => n + u.exampleCount ** 2, 0))) / total;
      // Within sampling error of the 1/t share; the full noise per site (local DP) would be √t = 1.7 times it.
      expect(measured / expected).toBeGreaterThan(0.6);
      expect(measured / expected).toBeLessThan(1.4);
      const versionId = round.resultVersionId!;
      const card = await getModelCard(db, { projectId: project.projectId, modelId: job.modelId, versionId });
      expect(card.privacy).toMatchObject({ secureAggregation: true });
      expect(card.privacy!.sites.map((s) => s.siteCode).sort()).toEqual(["GSTT", "KCH", "UCLH"]);
      expect(card.markdown).toContain("Secure aggregation: on");
    },
  );

  test(
    "losing more than n − t sites fails the round with a message naming the threshold, and writes no version",
    { timeout: 300_000 },
    async () => {
      const db = testDb.db();
      await stopWorker(2, { handOver: true });
      const jobId = await startSecureJob();
      const standIns = [standInSite(proxy.url, tokens[2]!), standInSite(proxy.url, tokens[3]!)];
      await Promise.all(standIns.map((s) => s.join()));
      expect(standIns[0]!.params()).toMatchObject({ sites: 4, threshold: 3 });
      await Promise.all(standIns.map((s) => s.dropBeforeUpload()));
      const { round, job } = await roundOutcome(jobId);
      expect({ round: round.status, job: job.status, error: job.error }).toEqual({
        round: "failed",
        job: "failed",
        error:
          "Round 1: secure aggregation needs 3 of the 4 sites to upload a masked update, and only 2 did, so the sum cannot be unmasked and no version was written. Check that the sites' workers are running and can reach the hub, then train again (with more sites, more can drop out: up to a third).",
      });
      expect(await db.select().from(modelVersions).where(eq(modelVersions.jobId, jobId))).toEqual([]);
      // Nothing of the round stays at the hub: its masked updates and shares went with it.
      expect(await db.select().from(secaggSites)).toEqual([]);
    },
  );
});
