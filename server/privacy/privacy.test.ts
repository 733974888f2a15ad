import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, test } from "vitest";
import { privacyReports, roundUpdates, siteTasks, trainingRounds, type Site } from "@/db/schema";
import type { Viewer } from "@/server/auth/permissions";
import { acceptUpdate } from "@/server/jobs/update-intake";
import { createTrainJob } from "@/server/jobs/jobs.service";
import { checkJobPrivacy } from "@/server/jobs/job-privacy";
import { ZTrainJobInput } from "@/server/jobs/jobs.schema";
import { weightsForTask } from "@/server/jobs/weights-download";
import { callerAs, makeSite, makeUser, viewerOf } from "@/server/lib/test-support/fixtures";
import {
  makeTrainingProject,
  RELEASE_STATEMENT,
  RELEASED_METRICS,
  RELEASED_SPLIT,
  trainJobInput,
} from "@/server/lib/test-support/training-fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { getModelCard } from "@/server/models/model-card";
import { leaseNextTask } from "@/server/tasks/leasing";
import type { Bundle } from "@/protocol/bundle";
import type { PrivacyReport } from "@/protocol/privacy/dp-settings";
import { decodeTensors, encodeTensors } from "@/protocol/tensor-codec";
import { encodeTrainResultHeader, type TrainResult } from "@/protocol/training";

/** The hub's side of DP training: settings checked against the bundle, noisy updates accepted, the sites' spend shown. */
const testDb = useTestDatabase();
let researcher: Viewer;
beforeAll(async () => {
  researcher = await viewerOf(testDb.db(), (await makeUser(testDb.db(), [{ role: "researcher" }])).id);
});

const dp = { noiseMultiplier: 1.2, delta: 1e-5 };
const report = (epsilonSpent: number): PrivacyReport => ({
  epsilonSpent,
  delta: 1e-5,
  maxEpsilon: 8,
  noiseMultiplier: 1.2,
  clipNorm: 10,
  exampleLevel: false,
  secureAggregation: false,
});
const result = (privacy?: PrivacyReport): TrainResult => ({
  exampleCount: 100,
  ...RELEASE_STATEMENT,
  globalValidation: { ...RELEASED_METRICS, ...RELEASED_SPLIT },
  localValidation: RELEASED_METRICS,
  trainLoss: 0.5,
  epochs: 1,
  backend: "cpu",
  trainingMs: 5,
  privacy,
});

async function startDpJob() {
  const db = testDb.db();
  const sites: Site[] = [await makeSite(db), await makeSite(db), await makeSite(db)];
  const approvers = [];
  for (const site of sites)
    approvers.push({
      approver: await viewerOf(db, (await makeUser(db, [{ role: "approver", siteId: site.id }])).id),
      siteId: site.id,
    });
  const project = await makeTrainingProject(db, researcher, approvers);
  const job = await createTrainJob(
    db,
    researcher,
    trainJobInput(
      project,
      sites.map((s) => s.id),
      {
        differentialPrivacy: dp,
        hyperparameters: { rounds: 1, localEpochs: 1, batchSize: 8, learningRate: 0.1, optimizer: "sgd" },
      },
    ),
  );
  return { ...project, sites, jobId: job.id };
}

async function lease(site: Site) {
  const db = testDb.db();
  const task = (await leaseNextTask(db, site))!;
  const { bytes } = await weightsForTask(db, site, task.taskId, task.leaseId);
  return { site, task, global: decodeTensors(bytes).tensors };
}

describe("differential privacy at the hub", () => {
  test("a DP job sends its settings, accepts noisy updates with reports, and shows each site's spend and the card's guarantee", async () => {
    const db = testDb.db();
    const { sites, jobId, projectId, modelId } = await startDpJob();
    const leases = await Promise.all(sites.map(lease));
    expect(leases[0]!.task.payload).toMatchObject({ differentialPrivacy: dp, normBound: 10 });

    // A DP update's norm is the clip plus the noise's: well above the bound of 10, and accepted.
    const noisy = (l: (typeof leases)[number]) => l.global.map((t) => ({ ...t, data: t.data.map(() => 4) }));
    const upload = (l: (typeof leases)[number], privacy?: PrivacyReport) =>
      acceptUpdate(db, l.site, {
        taskId: l.task.taskId,
        leaseId: l.task.leaseId,
        body: encodeTensors(noisy(l)),
        resultHeader: encodeTrainResultHeader(result(privacy)),
      });

    // Without its report the update is refused and nothing is stored.
    await expect(upload(leases[0]!)).rejects.toThrow(
      "Update refused: this job uses differential privacy and the site's result does not report it. Nothing was changed.",
    );
    expect(await db.select().from(roundUpdates)).toHaveLength(0);
    expect(await db.select().from(privacyReports)).toHaveLength(0);

    for (const [i, l] of leases.entries()) await upload(l, report(0.5 + i));
    const [round] = await db.select().from(trainingRounds).where(eq(trainingRounds.jobId, jobId));
    expect(round!.status).toBe("closed");

    const budgets = await callerAs(db, researcher).privacy.budgets({ projectId });
    expect(budgets.map((b) => [b.siteCode, b.epsilonSpent, b.remaining])).toEqual(
      [...sites].map((s, i) => [s.code, 0.5 + i, 8 - 0.5 - i]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );

    const card = await getModelCard(db, { projectId, modelId, versionId: round!.resultVersionId! });
    expect(card.privacy).toMatchObject({
      differentialPrivacy: { noiseMultiplier: 1.2, clipNorm: 10, delta: 1e-5, exampleLevel: null },
      secureAggregation: false,
    });
    expect(card.privacy!.sites).toHaveLength(3);
    expect(card.markdown).toContain("## Privacy");
    expect(card.markdown).toContain(`| ${sites[2]!.code} | 2.50 | 0.00001 | 8 |`);
  });

  test("an update beyond what clip plus noise could make is still refused", async () => {
    const db = testDb.db();
    const { sites } = await startDpJob();
    const l = await lease(sites[0]!);
    await expect(
      acceptUpdate(db, l.site, {
        taskId: l.task.taskId,
        leaseId: l.task.leaseId,
        body: encodeTensors(l.global.map((t) => ({ ...t, data: t.data.map(() => 1e4) }))),
        resultHeader: encodeTrainResultHeader(result(report(1))),
      }),
    ).rejects.toThrow(/exceeds the job's bound/);
    const [task] = await db.select().from(siteTasks).where(eq(siteTasks.id, l.task.taskId));
    expect(task!.status).toBe("leased");
  });

  test("a job is checked against the privacy its bundle requires, and secure aggregation needs three sites", () => {
    const bundle = (privacy: Bundle["privacy"]) => ({ privacy }) as Bundle;
    const input = (extra: object) =>
      trainJobInput({ projectId: crypto.randomUUID(), versionId: crypto.randomUUID() }, [], extra);
    const required = bundle({ minCellCount: 10, differentialPrivacy: { minNoiseMultiplier: 1, maxDelta: 1e-5 } });
    expect(() => checkJobPrivacy(required, input({}))).toThrow(
      "The approved bundle requires differential privacy (noise multiplier at least 1, δ at most 0.00001)",
    );
    expect(() =>
      checkJobPrivacy(required, input({ differentialPrivacy: { noiseMultiplier: 0.8, delta: 1e-5 } })),
    ).toThrow("The approved bundle requires a noise multiplier of at least 1");
    expect(() =>
      checkJobPrivacy(required, input({ differentialPrivacy: { noiseMultiplier: 1, delta: 1e-4 } })),
    ).toThrow("The approved bundle allows δ of at most 0.00001");
    expect(() => checkJobPrivacy(required, input({ differentialPrivacy: dp }))).not.toThrow();
    expect(() => checkJobPrivacy(bundle({ minCellCount: 10, secureAggregation: true }), input({}))).toThrow(
      "The approved bundle requires secure aggregation for training",
    );
    const threeSites = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    const tooFew = ZTrainJobInput.safeParse(
      trainJobInput({ projectId: crypto.randomUUID(), versionId: crypto.randomUUID() }, threeSites, {
        secureAggregation: true,
        participation: { minSites: 2, roundDeadlineSeconds: 600 },
      }),
    );
    expect(tooFew.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      [
        "participation.minSites",
        "Secure aggregation needs at least 3 sites per round, so no sum reveals one site's update to another; raise the minimum to 3",
      ],
    ]);
    expect(() =>
      checkJobPrivacy(
        bundle({ minCellCount: 10, secureAggregation: true }),
        input({ secureAggregation: true, participation: { minSites: 3, roundDeadlineSeconds: 600 } }),
      ),
    ).not.toThrow();
  });
});
