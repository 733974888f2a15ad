import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { buildTemplate } from "@/protocol/models/templates";
import { buildModel, readWeights } from "@/protocol/models/weights";
import { ZSitePolicy, type SitePolicy } from "../policy";
import { decodeTensors, encodeTensors, type NamedTensor } from "@/protocol/tensor-codec";
import type { TrainResult } from "@/protocol/training";
import { buildOnBestBackend } from "../training/backend";
import { l2Norm } from "../training/delta";
import { createTestSite, PROSTATE, quietLog, type TestSite } from "../test-support/training-site";
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
    expect(typeof result.globalValidation.examples).toBe("number");
    expect(result.localValidation.auc).not.toBeNull();
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
        examples: "suppressed",
        metrics: { loss: null, accuracy: null, auc: null, sensitivity: null, specificity: null },
        backend: "wasm",
      },
    });
  });
});
