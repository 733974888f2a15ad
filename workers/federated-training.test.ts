import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, inject, test, vi } from "vitest";
import { jobEvents, jobs, models, modelVersions } from "@/db/schema";
import { dropDatabase } from "@/server/database/embedded-server";
import { withDatabase } from "@/db/pg-connection";
import { getArtifactStore } from "@/server/artifacts/artifact-store";
import { PROSTATE_PROJECT } from "@/server/cli/demo-projects";
import { getCohortRun, runCohort } from "@/server/cohorts/cohorts.service";
import { createTrainJob } from "@/server/jobs/jobs.service";
import { updateSlots } from "@/server/jobs/update-slots";
import { getHubConfig } from "@/server/config";
import type { Viewer } from "@/server/auth/permissions";
import { makeUser, viewerOf } from "@/server/lib/test-support/fixtures";
import { trainJobInput } from "@/server/lib/test-support/training-fixtures";
import { freePort, startHubProcess } from "@/server/lib/test-support/hub-process";
import { startHubServer } from "@/server/lib/test-support/hub-server";
import { findPatientData, siteFingerprints } from "@/server/lib/test-support/patient-data-scan";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { downloadModelVersion } from "@/server/models/model-download";
import { unzipTfjs } from "@/server/models/tfjs-files";
import { createApprovedProject, type ApprovedProjectSpec } from "@/server/projects/approved-project";
import { buildModel, writeWeights } from "@/protocol/models/weights";
import { decodeTensors } from "@/protocol/tensor-codec";
import { generateSiteData } from "./site-data/generate";
import { makeSiteWithToken, waitFor, waitForTask } from "./test-support/hub-fixture";
import { killWorker, spawnWorker, type WorkerProcess } from "./test-support/worker-process";

/**
 * The demo's tabular task end to end: three real worker processes, each on its own generated
 * OMOP database, train the "Prostate cancer risk" MLP for three FedAvg rounds through the hub's
 * HTTP routes; then the hub evaluates the result on every site's held-out split.
 */
// No update waits for a slot in this file's hubs: an upload that finds them all taken is answered 429 at once.
vi.stubEnv("FLIP_UPDATE_QUEUE_MAX", "0");
afterAll(() => void vi.unstubAllEnvs());
const testDb = useTestDatabase();
const adminUrl = inject("pgAdminUrl");
const SITES = [
  { code: "KCH", seed: 11 },
  { code: "GSTT", seed: 12 },
  { code: "UCLH", seed: 13 },
];
/** Large enough that each site's test split (a fifth of its cohort) has its threshold of positives and negatives. */
const PERSONS = 5000;
const siteUrls: string[] = [];
const dataDirs: string[] = [];
const workers: WorkerProcess[] = [];
let hub: { url: string; close: () => Promise<void> };
let researcher: Viewer;
const approvers: { approver: Viewer; siteId: string }[] = [];
const tokens: string[] = [];

beforeAll(async () => {
  hub = await startHubServer(testDb.db());
  await Promise.all(
    SITES.map(async ({ code, seed }, i) => {
      siteUrls[i] = withDatabase(adminUrl, `flip_fed_${code.toLowerCase()}_${process.pid}`);
      dataDirs[i] = mkdtempSync(path.join(tmpdir(), `flip-fed-${code}-`));
      await generateSiteData({ site: code, persons: PERSONS, seed, databaseUrl: siteUrls[i]!, dataDir: dataDirs[i]! });
    }),
  );
  const db = testDb.db();
  researcher = await viewerOf(db, (await makeUser(db, [{ role: "researcher" }])).id);
  for (const [i, { code }] of SITES.entries()) {
    const { site, token } = await makeSiteWithToken(db, code, { skipFirstInventory: true });
    tokens.push(token);
    approvers.push({
      approver: await viewerOf(db, (await makeUser(db, [{ role: "approver", siteId: site.id }])).id),
      siteId: site.id,
    });
    workers.push(spawnSiteWorker(i, hub.url));
  }
}, 180_000);

function spawnSiteWorker(i: number, hubUrl: string): WorkerProcess {
  return spawnWorker({
    hubUrl,
    token: tokens[i],
    siteDatabaseUrl: siteUrls[i],
    policy: { site: SITES[i]!.code, allowedTaskKinds: ["cohort_count", "train", "evaluate"] },
    env: { FLIP_SITE_DB_SCHEMA: "public", FLIP_SITE_DATA_DIR: dataDirs[i], FLIP_TFJS_BACKEND: "wasm" },
  });
}

/**
 * The demo project approved at the three sites, and its approved cohort counted there by the real
 * workers, as a researcher does before training: each site's weight is bounded by the count it released.
 */
async function countedProject(title: string) {
  const db = testDb.db();
  const project = await createApprovedProject(db, researcher, {
    ...PROSTATE_PROJECT,
    // These tests measure learning and recovery without DP noise (train-dp.test.ts covers DP at the site).
    privacy: { minCellCount: 10 },
    title,
    approvers,
  } as ApprovedProjectSpec);
  const run = await runCohort(db, researcher, {
    projectId: project.projectId,
    purpose: "approved",
    siteIds: approvers.map((a) => a.siteId),
  });
  const counted = await waitFor(
    async () => {
      const result = await getCohortRun(db, { projectId: project.projectId, runId: run.id });
      return result.isFinished ? result : undefined;
    },
    "the approved cohort count",
    60_000,
  );
  expect(counted.sites.map((s) => [s.code, s.status])).toEqual([
    ["GSTT", "done"],
    ["KCH", "done"],
    ["UCLH", "done"],
  ]);
  return project;
}

/** Waits for a job to end and returns it with the sites its log says dropped out. */
async function finishedJob(jobId: string, timeoutMs: number) {
  const db = testDb.db();
  const job = await waitFor(
    async () => {
      const [row] = await db.select().from(jobs).where(eq(jobs.id, jobId));
      return row && row.status !== "running" ? row : undefined;
    },
    "the job to finish",
    timeoutMs,
  );
  const log = await db
    .select({ type: jobEvents.type, round: jobEvents.round, site: jobEvents.siteCode, details: jobEvents.details })
    .from(jobEvents)
    .where(eq(jobEvents.jobId, jobId));
  return { job, dropped: log.filter((e) => e.type === "site_dropped") };
}

afterAll(async () => {
  await Promise.all(workers.splice(0).map(killWorker));
  await hub?.close();
  await Promise.all(siteUrls.map((url) => dropDatabase(adminUrl, new URL(url).pathname.slice(1))));
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

describe("federated training with real site workers", () => {
  test(
    "3 FedAvg rounds over 3 sites reach a pooled test AUC above 0.65; the version has full lineage and the download predicts like the hub's copy",
    { timeout: 300_000 },
    async () => {
      const db = testDb.db();
      const project = await countedProject(PROSTATE_PROJECT.title);
      const job = await createTrainJob(
        db,
        researcher,
        trainJobInput(
          project,
          approvers.map((a) => a.siteId),
          {
            hyperparameters: { rounds: 3, localEpochs: 5, batchSize: 32, learningRate: 0.01, optimizer: "adam" },
            participation: { minSites: 3, roundDeadlineSeconds: 240 },
            normBound: 100,
            validationFraction: 0.25,
          },
        ),
      );

      // The job log says why, should a site have dropped out.
      const { job: finished, dropped } = await finishedJob(job.id, 240_000);
      expect({ status: finished.status, error: finished.error, dropped }).toEqual({
        status: "completed",
        error: null,
        dropped: [],
      });

      const trained = await db
        .select()
        .from(modelVersions)
        .where(eq(modelVersions.jobId, job.id))
        .orderBy(asc(modelVersions.round));
      expect(trained.map((v) => v.round)).toEqual([1, 2, 3]);
      const final = trained[2]!;
      expect(final.parentVersionId).toBe(trained[1]!.id);
      expect(final.lineage).toMatchObject({
        kind: "training",
        round: 3,
        sites: ["GSTT", "KCH", "UCLH"].map((code) => ({ code, examples: expect.any(Number) })),
        revisionHash: expect.stringMatching(/^[0-9a-f]{64}$/),
        strategy: { kind: "fedavg" },
        hyperparameters: { rounds: 3, localEpochs: 5 },
        backends: { KCH: "wasm", GSTT: "wasm", UCLH: "wasm" },
      });
      // Every site evaluates its test split; one with fewer positives or negatives there than its threshold
      // releases no figures and is left out of the pool (workers/release/metrics-release.ts).
      const metrics = final.metrics!;
      expect(metrics.perSite.map((s) => s.siteCode).sort()).toEqual(["GSTT", "KCH", "UCLH"]);
      const released = metrics.perSite.filter((s) => typeof s.examples === "number").map((s) => s.siteCode);
      expect(released.length).toBeGreaterThanOrEqual(2);
      expect(metrics.validation).toMatchObject({ sites: released.length, counts: { sitesPooled: released } });
      // The pooled AUC comes from 20-bin histograms of small test splits, rounded to 5 and with small
      // cells suppressed, so its point figure is coarse (0.70 to 0.77 across runs); an untrained model
      // sits at 0.5. The bin interval must contain the point figure.
      expect(metrics.validation!.auc).toBeGreaterThan(0.65);
      const [binLow, binHigh] = metrics.validation!.counts!.aucBinInterval!;
      expect(binLow).toBeLessThanOrEqual(metrics.validation!.auc!);
      expect(binHigh).toBeGreaterThanOrEqual(metrics.validation!.auc!);

      // The zip a researcher downloads loads with tf.loadLayersModel and predicts as the hub's copy does.
      const files = unzipTfjs(
        (await downloadModelVersion(db, researcher, { projectId: project.projectId, versionId: final.id })).bytes,
      );
      const modelJson = JSON.parse(new TextDecoder().decode(files["model.json"]));
      const weights = files["weights.bin"]!;
      const downloaded = await tf.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: modelJson.modelTopology,
          weightSpecs: modelJson.weightsManifest[0].weights,
          weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer,
        }),
      );
      const [model] = await db.select().from(models).where(eq(models.id, project.modelId));
      const hubCopy = await buildModel(model!.architecture);
      writeWeights(hubCopy, decodeTensors(await getArtifactStore().get(db, final.weightsSha256)).tensors);
      const input = tf.randomNormal([16, 2], 0, 1, "float32", 7);
      const [a, b] = [downloaded.predict(input) as tf.Tensor, hubCopy.predict(input) as tf.Tensor];
      expect(Array.from(await a.data())).toEqual(Array.from(await b.data()));
      tf.dispose([input, a, b]);

      // Nothing patient-level reached the hub database.
      const fingerprints = (await Promise.all(siteUrls.map((url) => siteFingerprints(url)))).flat();
      expect(fingerprints.length).toBeGreaterThan(100);
      expect(await findPatientData(db, fingerprints)).toEqual([]);
    },
  );
  test(
    "a hub with every update slot taken answers 429: the workers keep their updates, retry, and the round closes with all three",
    { timeout: 300_000 },
    async () => {
      const db = testDb.db();
      const project = await countedProject("Prostate cancer risk, busy hub");
      // The test takes every update slot of the (in-process) hub until a worker has been turned away.
      let free = () => undefined as void;
      const taken = new Promise<void>((resolve) => (free = resolve));
      const holding = Array.from({ length: getHubConfig().FLIP_UPDATE_CONCURRENCY }, () =>
        updateSlots().run(() => taken),
      );
      const job = await createTrainJob(
        db,
        researcher,
        trainJobInput(
          project,
          approvers.map((a) => a.siteId),
          {
            hyperparameters: { rounds: 1, localEpochs: 1, batchSize: 32, learningRate: 0.01, optimizer: "adam" },
            participation: { minSites: 3, roundDeadlineSeconds: 240 },
            normBound: 100,
          },
        ),
      );
      const isBusy = (l: { msg?: unknown }) => l.msg === "The hub is busy (429); retrying with backoff";
      const turnedAway = await Promise.race(
        workers.map((w) =>
          w.waitForLog(isBusy, 120_000).then(
            () => w,
            () => undefined,
          ),
        ),
      );
      free();
      await Promise.all(holding);

      const { job: finished, dropped } = await finishedJob(job.id, 240_000);
      expect({ status: finished.status, error: finished.error, dropped }).toEqual({
        status: "completed",
        error: null,
        dropped: [],
      });
      const [version] = await db.select().from(modelVersions).where(eq(modelVersions.jobId, job.id));
      expect(version!.lineage).toMatchObject({ sites: [{ code: "GSTT" }, { code: "KCH" }, { code: "UCLH" }] });
      // The refused upload was sent again and completed the task: no failure, no second training.
      const refusedAt = turnedAway!.logs.findIndex(isBusy);
      expect(turnedAway!.logs.slice(refusedAt).map((l) => l.msg)).toContain("Update uploaded; task completed");
    },
  );

  test(
    "a site whose worker is killed mid-round drops out; the round closes at its deadline with the quorum and the job completes",
    { timeout: 300_000 },
    async () => {
      const db = testDb.db();
      const project = await countedProject("Prostate cancer risk, dropout");
      const job = await createTrainJob(
        db,
        researcher,
        trainJobInput(
          project,
          approvers.map((a) => a.siteId),
          {
            hyperparameters: { rounds: 1, localEpochs: 2, batchSize: 32, learningRate: 0.01, optimizer: "adam" },
            participation: { minSites: 2, roundDeadlineSeconds: 30 },
          },
        ),
      );
      const kch = approvers[SITES.findIndex((s) => s.code === "KCH")]!.siteId;
      await waitForTask(db, kch, (t) => t.kind === "train" && t.status === "leased", "KCH to start training", 60_000);
      await killWorker(workers[SITES.findIndex((s) => s.code === "KCH")]);

      const { job: finished, dropped } = await finishedJob(job.id, 150_000);
      expect(finished).toMatchObject({ status: "completed", error: null });
      expect(dropped.map((d) => [d.round, d.site])).toEqual([
        [1, "KCH"],
        [0, "KCH"],
      ]);
      const [version] = await db.select().from(modelVersions).where(eq(modelVersions.jobId, job.id));
      expect(version!.lineage).toMatchObject({
        sites: [{ code: "GSTT" }, { code: "UCLH" }],
        expectedSites: ["GSTT", "KCH", "UCLH"],
      });
      // Only the two sites that stayed evaluate; a site whose test split is too small to release is left out of the pool.
      const metrics = version!.metrics!;
      expect(metrics.perSite.map((s) => s.siteCode).sort()).toEqual(["GSTT", "UCLH"]);
      expect(metrics.validation?.sites ?? 0).toBe(metrics.perSite.filter((s) => typeof s.examples === "number").length);
    },
  );

  test(
    "a hub process killed mid-job and started again picks the job up from the database and finishes it",
    { timeout: 300_000 },
    async () => {
      const db = testDb.db();
      // From here the only hub is a separate process that the test can kill outright.
      await Promise.all(workers.splice(0).map(killWorker));
      await hub.close();
      const port = await freePort();
      let hubProcess = await startHubProcess(testDb.url(), port);
      try {
        workers.push(...SITES.map((_, i) => spawnSiteWorker(i, hubProcess.url)));
        const project = await countedProject("Prostate cancer risk, hub restart");
        const job = await createTrainJob(
          db,
          researcher,
          trainJobInput(
            project,
            approvers.map((a) => a.siteId),
            {
              hyperparameters: { rounds: 3, localEpochs: 2, batchSize: 32, learningRate: 0.01, optimizer: "adam" },
              participation: { minSites: 3, roundDeadlineSeconds: 120 },
            },
          ),
        );

        // Kill the hub as soon as the first update is in: the job is mid-flight, with work leased at the sites.
        await waitFor(
          async () =>
            (await db.select().from(jobEvents).where(eq(jobEvents.jobId, job.id))).some(
              (e) => e.type === "update_received",
            )
              ? true
              : undefined,
          "a first update",
          120_000,
        );
        await hubProcess.kill();
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        hubProcess = await startHubProcess(testDb.url(), port);

        const { job: finished, dropped } = await finishedJob(job.id, 240_000);
        // Should a site miss a round, its worker's own account of it says why.
        const workerLogs = workers.map((w, i) => `--- ${SITES[i]!.code}\n${w.output().slice(-4000)}`).join("\n");
        expect({ status: finished.status, error: finished.error, dropped }, workerLogs).toEqual({
          status: "completed",
          error: null,
          dropped: [],
        });
        const trained = await db
          .select()
          .from(modelVersions)
          .where(eq(modelVersions.jobId, job.id))
          .orderBy(asc(modelVersions.round));
        expect(trained.map((v) => [v.round, (v.lineage as { sites: unknown[] }).sites.length])).toEqual([
          [1, 3],
          [2, 3],
          [3, 3],
        ]);
      } finally {
        await Promise.all(workers.splice(0).map(killWorker));
        await hubProcess.kill();
      }
    },
  );
});
