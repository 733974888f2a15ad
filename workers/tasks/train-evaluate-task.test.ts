import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { buildTemplate } from "@/protocol/models/templates";
import { buildModel, readWeights } from "@/protocol/models/weights";
import { ZSitePolicy, type SitePolicy } from "../policy";
import { decodeTensors, encodeTensors, type NamedTensor } from "@/protocol/tensor-codec";
import type { EvaluateResult, TrainResult } from "@/protocol/training";
import { buildDataset } from "../training/dataset";
import { buildOnBestBackend } from "../training/backend";
import { l2Norm } from "../training/delta";
import { createTestSite, PROSTATE, quietLog, testContext, type TestSite } from "../test-support/training-site";
import { executeTask, type ExecuteDeps, type TaskOutcome } from "./base";
import { evaluateTask } from "./evaluate";
import { trainTask } from "./train";
import { createTestGate } from "../test-support/gate-fixture";

/** The train and evaluate handlers on their task base, with the hub's weights served in process. */
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

const modelPackage = (extra: Record<string, unknown> = {}) => ({
  modelId: randomUUID(),
  versionId: randomUUID(),
  task: "binary_classification",
  ...PROSTATE.model,
  architecture,
  weightsSha256: global.sha256,
  ...extra,
});
const split = { seed: "job", validationFraction: 0.25 };
const scope = { projectId: randomUUID(), requesterId: randomUUID() };
const trainPayload = (extra: Record<string, unknown> = {}) => ({
  ...scope,
  jobId: randomUUID(),
  round: 1,
  totalRounds: 3,
  model: modelPackage(),
  cohort: PROSTATE.cohort,
  split,
  localEpochs: 2,
  batchSize: 32,
  learningRate: 0.05,
  optimizer: "adam",
  normBound: 0.5,
  ...extra,
});

function deps(policy: Partial<SitePolicy> = {}): ExecuteDeps {
  const sitePolicy = ZSitePolicy.parse({ site: "GSTT", allowedTaskKinds: ["train", "evaluate"], ...policy });
  return {
    signal: new AbortController().signal,
    log: quietLog,
    policy: sitePolicy,
    gate: createTestGate(sitePolicy).gate,
    siteDb: site.siteDb,
    dataDir: site.dataDir,
    progress: async () => undefined,
    downloadWeights: async () => global,
  };
}

function run(kind: "train" | "evaluate", payload: Record<string, unknown>, taskDeps = deps()): Promise<TaskOutcome> {
  const task = {
    taskId: randomUUID(),
    leaseId: randomUUID(),
    kind,
    payload,
    attempt: 1,
    maxAttempts: 3,
    leaseExpiresAt: new Date(),
  };
  return kind === "train"
    ? executeTask({ ...task, kind }, trainTask, taskDeps)
    : executeTask({ ...task, kind }, evaluateTask, taskDeps);
}

describe("train task", () => {
  test("uploads a clipped delta in the global file's order with a result the contract accepts", async () => {
    const outcome = await run("train", trainPayload());
    if (outcome.type !== "upload") throw new Error(`expected an upload, got ${JSON.stringify(outcome)}`);
    expect(outcome.update.map((t) => [t.name, t.shape])).toEqual(global.tensors.map((t) => [t.name, t.shape]));
    expect(l2Norm(outcome.update)).toBeLessThanOrEqual(0.5);
    const result: TrainResult = outcome.result;
    expect(result.backend).toBe("wasm");
    expect(result.epochs).toBe(2);
    expect(result.exampleCount).toBeGreaterThan(10);
    // The FedAvg weight is a count like any other: it leaves the site rounded.
    expect(result.exampleCount % result.rounding!).toBe(0);
    expect(typeof result.globalValidation.examples).toBe("number");
    expect(result.localValidation.auc).not.toBeNull();
    // Validation figures leave rounded: metrics to the stated places, counts through the count rule.
    expect(result).toMatchObject({ threshold: 10, rounding: 5, metricDecimals: 2 });
    expect(Math.abs(result.localValidation.auc! * 100 - Math.round(result.localValidation.auc! * 100))).toBeLessThan(
      1e-9,
    );
    expect(result.globalValidation.histogram!.positive).toHaveLength(20);
    expect(Object.values(result.globalValidation.confusion!).every((c) => c === "suppressed" || c % 5 === 0)).toBe(
      true,
    );
  });

  test("refuses more rounds than the site allows, too small a cohort, or weights of another version", async () => {
    expect(await run("train", trainPayload({ totalRounds: 60 }))).toMatchObject({
      type: "fail",
      code: "refused_by_site_policy",
      isRetryable: false,
      message: expect.stringContaining("at most 50 rounds"),
    });
    const small = await run("train", trainPayload(), deps({ minCohortSize: 100_000 }));
    expect(small).toEqual({
      type: "fail",
      code: "refused_by_site_policy",
      isRetryable: false,
      message:
        "This site trains and evaluates only on at least 100000 examples (minCohortSize and minCellCount in its site policy); this cohort has fewer.",
    });
    const otherVersion = await run("train", trainPayload({ model: modelPackage({ weightsSha256: "0".repeat(64) }) }));
    expect(otherVersion).toMatchObject({ type: "fail", code: "refused_by_site_policy", isRetryable: false });
  });

  test("refuses an architecture that does not fit the spec, and non-binary tasks", async () => {
    const wrongInput = buildTemplate("logistic_regression", {
      task: "binary_classification",
      input: { kind: "tabular", features: [PROSTATE.model.input.features[0]!] },
    });
    const refusal = {
      type: "fail",
      code: "refused_by_site_policy",
      isRetryable: false,
      message:
        "This site refuses the model: its package or architecture does not pass the site's checks; the worker's log says why.",
    };
    expect(await run("train", trainPayload({ model: modelPackage({ architecture: wrongInput }) }))).toEqual(refusal);
    expect(await run("train", trainPayload({ model: modelPackage({ task: "regression" }) }))).toEqual(refusal);
  });
});

describe("evaluate task", () => {
  test("scores the held-out split, and suppresses examples and every metric below the threshold", async () => {
    const payload = { ...scope, jobId: randomUUID(), model: modelPackage(), cohort: PROSTATE.cohort, split };
    const outcome = await run("evaluate", payload);
    expect(outcome).toMatchObject({
      type: "complete",
      result: { threshold: 10, backend: "wasm", examples: expect.any(Number) },
    });
    const suppressed = await run("evaluate", { ...payload, minCellCount: 1000 });
    expect(suppressed).toEqual({
      type: "complete",
      result: {
        threshold: 1000,
        rounding: 5,
        metricDecimals: 2,
        examples: "suppressed",
        positives: "suppressed",
        negatives: "suppressed",
        metrics: { loss: null, accuracy: null, auc: null, sensitivity: null, specificity: null },
        confusion: null,
        histogram: null,
        backend: "wasm",
      },
    });
  });

  test("a hand-set model (output = age above a cut) gets rounded metrics and rounded counts, on the test split, a limited number of times", async () => {
    // The attack of finding 3: weights that make the output 1 exactly when standardised age > 0.
    const handSet = global.tensors.map((t) => ({
      ...t,
      data: Float32Array.from(t.shape.length === 2 ? [0, 60] : [0]),
    }));
    const weights = decodeTensors(encodeTensors(handSet));
    const taskDeps = {
      ...deps({ maxEvaluationsPerProject: 2 }),
      downloadWeights: async () => ({ tensors: weights.tensors, sha256: weights.manifest.sha256 }),
    };
    const payload = {
      projectId: randomUUID(),
      requesterId: randomUUID(),
      jobId: randomUUID(),
      model: modelPackage({ weightsSha256: weights.manifest.sha256 }),
      cohort: PROSTATE.cohort,
      split,
    };
    const outcome = await run("evaluate", payload, taskDeps);
    if (outcome.type !== "complete") throw new Error(`expected a result, got ${JSON.stringify(outcome)}`);
    const result = outcome.result as unknown as EvaluateResult;
    expect(result).toMatchObject({ threshold: 10, rounding: 5, metricDecimals: 2 });
    for (const metric of Object.values(result.metrics)) {
      expect(metric).not.toBeNull();
      expect(Math.abs(metric! * 100 - Math.round(metric! * 100))).toBeLessThan(1e-9);
    }
    const cells = [
      result.examples,
      result.positives,
      result.negatives,
      ...Object.values(result.confusion!),
      ...result.histogram!.positive,
      ...result.histogram!.negative,
    ];
    for (const cell of cells) expect(cell === "suppressed" || (cell! % 5 === 0 && cell! >= 10)).toBe(true);

    // The exact test split the site scored (persons its training jobs never see).
    const dataset = await buildDataset({ ...payload, isTestOnly: true }, testContext(site), [0, 1]);
    const atOrAboveCut = Array.from({ length: dataset.test.count }).filter(
      (_, i) => dataset.test.y[i] === 0 && dataset.test.x[i * 2 + 1]! > 0,
    ).length;
    const negatives = dataset.test.count - dataset.test.y.reduce((a, b) => a + b, 0);
    // N·(1 − specificity) no longer gives the number of persons at or above the cut.
    const estimate = negatives * (1 - result.metrics.specificity!);
    expect(Math.abs(estimate - atOrAboveCut)).toBeLessThanOrEqual(negatives * 0.005 + 1e-9);
    expect(result.confusion!.fp === "suppressed" || result.confusion!.fp % 5 === 0).toBe(true);

    expect(await run("evaluate", { ...payload, jobId: randomUUID() }, taskDeps)).toMatchObject({ type: "complete" });
    expect(await run("evaluate", { ...payload, jobId: randomUUID() }, taskDeps)).toEqual({
      type: "fail",
      code: "refused_by_site_policy",
      isRetryable: false,
      message:
        "This site has released all the evaluations it allows for this project (maxEvaluationsPerProject in its site policy); its data-governance office can raise the limit.",
    });
    // Another project's evaluations are counted separately.
    expect(await run("evaluate", { ...payload, projectId: randomUUID() }, taskDeps)).toMatchObject({
      type: "complete",
    });
  });
});
