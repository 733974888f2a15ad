import { describe, expect, it } from "vitest";
import { ZEvaluateResult, ZTrainResult } from "@/protocol/training";
import { RELEASE_STATEMENT, RELEASED_METRICS, RELEASED_SPLIT } from "@/server/lib/test-support/training-fixtures";
import { describeRelease } from "./release-summary";

const train = ZTrainResult.parse({
  exampleCount: 400,
  ...RELEASE_STATEMENT,
  globalValidation: { ...RELEASED_METRICS, ...RELEASED_SPLIT },
  localValidation: RELEASED_METRICS,
  trainLoss: 0.5,
  epochs: 1,
  backend: "cpu",
  trainingMs: 10,
});
const evaluate = ZEvaluateResult.parse({
  ...RELEASE_STATEMENT,
  examples: "suppressed",
  metrics: { loss: null, accuracy: null, auc: null, sensitivity: null, specificity: null },
  backend: "cpu",
});

describe("what a task let out of the site, in one line", () => {
  it("names the released figures of each kind, and suppressed ones as suppressed", () => {
    expect(describeRelease({ kind: "train", status: "done", result: train })).toBe(
      "Model update from 400 examples and validation metrics on 30 examples",
    );
    expect(describeRelease({ kind: "evaluate", status: "done", result: evaluate })).toBe(
      "Test metrics on a suppressed number of examples",
    );
  });

  it("says nothing left for a task that did not finish, whatever it holds", () => {
    for (const status of ["queued", "leased", "failed", "cancelled", "expired"] as const)
      expect(describeRelease({ kind: "train", status, result: train })).toBe("Nothing");
  });
});
