import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { estimateEpsilon } from "@/protocol/privacy/dp-settings";
import { buildTemplate } from "@/protocol/models/templates";
import { buildModel, readWeights } from "@/protocol/models/weights";
import { decodeTensors, encodeTensors, type NamedTensor } from "@/protocol/tensor-codec";
import { ZSitePolicy, type SitePolicy } from "../policy";
import { failureText } from "../release/failures";
import { buildOnBestBackend } from "../training/backend";
import { l2Norm } from "../training/delta";
import { createTestGate } from "../test-support/gate-fixture";
import { createTestSite, PROSTATE, quietLog, type TestSite } from "../test-support/training-site";
import { executeTask, type TaskOutcome } from "./base";
import { trainTask } from "./train";

/** DP training at the site: noise on the clipped update, the ledger's charge, and the budget refusal before training. */
const adminUrl = inject("pgAdminUrl");
let site: TestSite;
let global: { tensors: NamedTensor[]; sha256: string };
const architecture = buildTemplate("logistic_regression", {
  task: "binary_classification",
  input: PROSTATE.model.input,
});

beforeAll(async () => {
  site = await createTestSite(adminUrl, 1500);
  const { model } = await buildOnBestBackend(() => buildModel(architecture), [2], quietLog);
  const { manifest, tensors } = decodeTensors(encodeTensors(readWeights(model)));
  model.dispose();
  global = { tensors, sha256: manifest.sha256 };
});
afterAll(async () => {
  await site?.drop();
});

const projectId = randomUUID();
const payload = (extra: Record<string, unknown> = {}) => ({
  projectId,
  requesterId: randomUUID(),
  jobId: randomUUID(),
  round: 1,
  totalRounds: 2,
  model: {
    modelId: randomUUID(),
    versionId: randomUUID(),
    task: "binary_classification",
    ...PROSTATE.model,
    architecture,
    weightsSha256: global.sha256,
  },
  cohort: PROSTATE.cohort,
  split: { seed: "job", validationFraction: 0.25 },
  localEpochs: 1,
  batchSize: 64,
  learningRate: 0.05,
  optimizer: "sgd",
  normBound: 0.5,
  differentialPrivacy: { noiseMultiplier: 1.5, delta: 1e-5 },
  ...extra,
});

function siteWith(policy: Partial<SitePolicy> = {}) {
  const sitePolicy = ZSitePolicy.parse({ site: "GSTT", allowedTaskKinds: ["train"], ...policy });
  const { gate, ledger } = createTestGate(sitePolicy);
  const run = (body: Record<string, unknown>): Promise<TaskOutcome> =>
    executeTask(
      {
        taskId: randomUUID(),
        leaseId: randomUUID(),
        kind: "train",
        payload: body,
        attempt: 1,
        maxAttempts: 3,
        leaseExpiresAt: new Date(),
      },
      trainTask,
      {
        signal: new AbortController().signal,
        log: quietLog,
        policy: sitePolicy,
        gate,
        siteDb: site.siteDb,
        dataDir: site.dataDir,
        progress: async () => undefined,
        downloadWeights: async () => global,
      },
    );
  return { run, ledger };
}

describe("differentially private training at the site", () => {
  test("adds the calibrated noise to the clipped update, charges the ledger and reports the guarantee", async () => {
    const { run, ledger } = siteWith();
    const outcome = await run(payload());
    if (outcome.type !== "upload") throw new Error(`expected an upload, got ${JSON.stringify(outcome)}`);
    // Clipped to 0.5, then N(0, (1.5 × 0.5)²) per value: the norm is about 0.75 √d, far above the clip.
    const d = outcome.update.reduce((n, t) => n + t.data.length, 0);
    expect(l2Norm(outcome.update)).toBeGreaterThan(0.5 * 0.75 * Math.sqrt(d));
    const oneRound = estimateEpsilon({ noiseMultiplier: 1.5, delta: 1e-5 }, 1, {
      exampleCount: 1,
      batchSize: 1,
      localEpochs: 1,
    });
    expect(outcome.result.privacy).toMatchObject({
      delta: 1e-5,
      maxEpsilon: 10,
      noiseMultiplier: 1.5,
      clipNorm: 0.5,
      exampleLevel: false,
      secureAggregation: false,
    });
    expect(outcome.result.privacy!.epsilonSpent).toBeCloseTo(oneRound, 10);
    const spent = ledger.privacySpent(projectId, (await import("@/protocol/privacy/rdp")).DEFAULT_ORDERS);
    expect(spent.some((r) => r > 0)).toBe(true);
  });

  test("refuses, before training, a job whose remaining rounds would exceed the project's budget, and records nothing spent", async () => {
    const { run, ledger } = siteWith({ privacyBudget: { maxEpsilon: 2, delta: 1e-5, projects: {} } });
    const outcome = await run(payload({ totalRounds: 20 }));
    expect(outcome).toMatchObject({ type: "fail", code: "refused_by_site_policy" });
    if (outcome.type !== "fail") return;
    expect(outcome.message).toMatch(/differential-privacy budget for this project is ε = 2 at δ = 0.00001/);
    expect(outcome.message).toMatch(/has spent ε = 0.00/);
    expect(ledger.list()[0]).toMatchObject({ outcome: "refused" });
    expect(ledger.list()[0]!.reason).toMatch(/^privacy_budget_spent/);
    expect(ledger.privacySpent(projectId, [2, 3])).toEqual([0, 0]);
  });

  test("spends a project's budget round by round and refuses the round that would pass it; a per-project budget wins", async () => {
    const perRound = estimateEpsilon({ noiseMultiplier: 1.5, delta: 1e-5 }, 1, {
      exampleCount: 1,
      batchSize: 1,
      localEpochs: 1,
    });
    const twoRounds = estimateEpsilon({ noiseMultiplier: 1.5, delta: 1e-5 }, 2, {
      exampleCount: 1,
      batchSize: 1,
      localEpochs: 1,
    });
    const budget = (perRound + twoRounds) / 2;
    const { run } = siteWith({
      privacyBudget: { maxEpsilon: 1000, delta: 1e-5, projects: { [projectId]: { maxEpsilon: budget, delta: 1e-5 } } },
    });
    const first = await run(payload({ totalRounds: 1 }));
    expect(first.type).toBe("upload");
    const second = await run(payload({ totalRounds: 1 }));
    expect(second).toMatchObject({ type: "fail", code: "refused_by_site_policy" });
    if (second.type === "fail")
      expect(second.message).toBe(
        failureText({
          reason: "privacy_budget_spent",
          maxEpsilon: budget,
          delta: 1e-5,
          spent: perRound,
          wouldSpend: twoRounds,
        }),
      );
  });

  test("a site that requires DP refuses a job without it and trains one with it", async () => {
    const { run } = siteWith({ requireDifferentialPrivacy: true });
    expect(await run(payload({ differentialPrivacy: undefined }))).toMatchObject({
      type: "fail",
      message: failureText({ reason: "differential_privacy_required" }),
    });
    expect((await run(payload())).type).toBe("upload");
  });

  test("example-level DP-SGD trains with per-example clipping and reports it", async () => {
    const { run } = siteWith();
    const outcome = await run(
      payload({
        batchSize: 128,
        differentialPrivacy: { noiseMultiplier: 1, delta: 1e-5, exampleLevel: { noiseMultiplier: 1.1, clipNorm: 1 } },
      }),
    );
    if (outcome.type !== "upload") throw new Error(`expected an upload, got ${JSON.stringify(outcome)}`);
    expect(outcome.result.privacy).toMatchObject({ exampleLevel: true });
    expect(Number.isFinite(outcome.result.trainLoss)).toBe(true);
  });
});
