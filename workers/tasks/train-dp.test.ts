import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import type { Bundle } from "@/protocol/bundle";
import { hashArchitecture } from "@/protocol/bundle-hash";
import { estimateEpsilon } from "@/protocol/privacy/dp-settings";
import type { TaskGovernance } from "@/protocol/signed-approval";
import { ZTrainPayload } from "@/protocol/training";
import { formatFingerprint } from "@/protocol/webauthn/fingerprint";
import { parsePublicKey } from "@/protocol/webauthn/public-key";
import { createSoftwareAuthenticator, TEST_PORTAL_ORIGIN } from "../test-support/software-authenticator";
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

function siteWith(policy: Partial<SitePolicy> | Record<string, unknown> = {}) {
  const sitePolicy = ZSitePolicy.parse({ site: "GSTT", allowedTaskKinds: ["train"], ...policy });
  const { gate, ledger } = createTestGate(sitePolicy);
  const run = (body: Record<string, unknown>, governance?: TaskGovernance): Promise<TaskOutcome> =>
    executeTask(
      {
        governance,
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
    // Clipped to 0.5, then N(0, (1.5 × 0.5)²) per value. This model has 3 values, so one draw's norm says
    // little (below 0.5 about one time in fifteen); six releases (each its own project and budget) do:
    // without noise their squared norms sum to at most 6 × 0.5², with it to about 6 × 3 × 0.75².
    const others = await Promise.all(Array.from({ length: 5 }, () => run(payload({ projectId: randomUUID() }))));
    const squares = [outcome, ...others].map((o) => {
      if (o.type !== "upload") throw new Error(`expected an upload, got ${JSON.stringify(o)}`);
      return l2Norm(o.update) ** 2;
    });
    expect(squares.reduce((a, b) => a + b, 0)).toBeGreaterThan(6 * 0.5 ** 2);
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

  test("the DP budget the site's approver signed in the bundle binds besides the site's own", async () => {
    const approver = createSoftwareAuthenticator();
    const perRound = estimateEpsilon({ noiseMultiplier: 1.5, delta: 1e-5 }, 1, {
      exampleCount: 1,
      batchSize: 1,
      localEpochs: 1,
    });
    const model = ZTrainPayload.parse(payload()).model;
    const bundle = (maxEpsilon: number): Bundle => ({
      bundleVersion: 1,
      purpose: "Predict prostate cancer from PSA tests, trained with differential privacy.",
      cohort: PROSTATE.cohort,
      allowedJobKinds: ["train"],
      outputs: ["model_updates"],
      privacy: { minCellCount: 10, differentialPrivacy: { minNoiseMultiplier: 1, maxDelta: 1e-5, maxEpsilon } },
      maxRounds: 20,
      models: [
        {
          name: "PSA",
          task: "binary_classification",
          input: model.input,
          outcome: model.outcome,
          architectureSha256: hashArchitecture(architecture),
        },
      ],
    });
    const { run } = siteWith({
      approvers: [
        {
          name: "Dr A. Approver",
          publicKey: approver.spkiBase64,
          fingerprint: formatFingerprint(parsePublicKey(approver.spkiBase64).fingerprint),
        },
      ],
      portalOrigins: [TEST_PORTAL_ORIGIN],
    });
    const governance = (maxEpsilon: number) =>
      approver.signedGovernance(bundle(maxEpsilon), { projectId, siteCode: "GSTT" });
    // The site's own budget (ε = 10) would allow two rounds; the signed one allows less than one.
    const refused = await run(payload(), governance(perRound / 2));
    expect(refused).toMatchObject({ type: "fail", code: "refused_by_site_policy" });
    if (refused.type === "fail")
      expect(refused.message).toMatch(
        /^The differential-privacy budget this site's approver signed for this project \(in its governance bundle\) is ε = /,
      );
    expect((await run(payload(), governance(1000))).type).toBe("upload");
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
