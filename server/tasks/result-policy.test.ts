import { randomUUID } from "node:crypto";
import { describe, expect, test } from "vitest";
import { logisticModel } from "@/server/lib/test-support/training-fixtures";
import { checkResultPolicy } from "./result-policy";

/** The hub's re-check of released evaluation figures: what the site's metrics release produces passes, anything else is refused. */
const { spec, outcome } = logisticModel();
const model = {
  modelId: randomUUID(),
  versionId: randomUUID(),
  task: spec.task,
  input: spec.input,
  outcome,
  architecture: {},
  weightsSha256: "0".repeat(64),
};
const cohort = { version: 1, entry: { type: "visit", concepts: [{ conceptId: 9202 }] }, inclusionRules: [] };
const evaluatePayload = {
  projectId: randomUUID(),
  requesterId: null,
  jobId: randomUUID(),
  model,
  cohort,
  split: { seed: "s", validationFraction: 0.2, testFraction: 0.2 },
  minCellCount: 10,
};
const bins = (filled: Record<number, number | "suppressed">) =>
  Array.from({ length: 20 }, (_, k) => filled[k] ?? ("suppressed" as const));
const released = {
  threshold: 10,
  rounding: 5,
  metricDecimals: 2,
  examples: 560,
  positives: 125,
  negatives: 435,
  metrics: { loss: 0.41, accuracy: 0.86, auc: 0.88, sensitivity: 0.7, specificity: 0.9 },
  confusion: { tp: 85, fn: 35, tn: 395, fp: 45 },
  histogram: { positive: bins({ 15: 85, 3: 35 }), negative: bins({ 2: 395, 12: 45 }) },
  backend: "wasm",
};
const withheld = {
  ...released,
  examples: "suppressed",
  positives: "suppressed",
  negatives: "suppressed",
  metrics: { loss: null, accuracy: null, auc: null, sensitivity: null, specificity: null },
  confusion: null,
  histogram: null,
};
const check = (result: unknown) => () => checkResultPolicy("evaluate", evaluatePayload, result);

describe("the hub re-checks released evaluation figures", () => {
  test("accepts what the site's metrics release produces, released or withheld", () => {
    expect(check(released)).not.toThrow();
    expect(check(withheld)).not.toThrow();
  });

  test("refuses cells below the threshold or not multiples of the stated rounding", () => {
    expect(check({ ...released, confusion: { ...released.confusion, fp: 5 } })).toThrow(
      "Result refused: a count below the threshold 10 was not suppressed. Nothing was changed.",
    );
    expect(check({ ...released, histogram: { ...released.histogram, negative: bins({ 2: 393, 12: 45 }) } })).toThrow(
      "Result refused: a count is not rounded to the stated multiple of 5. Nothing was changed.",
    );
    expect(check({ ...released, positives: 123 })).toThrow("not rounded to the stated multiple of 5");
  });

  test("refuses metrics, matrices or histograms where positives or negatives are suppressed", () => {
    const why = "Result refused: metrics were reported for a split whose positives or negatives were suppressed.";
    expect(check({ ...released, positives: "suppressed" })).toThrow(why);
    expect(check({ ...withheld, examples: 560, metrics: released.metrics })).toThrow(why);
    expect(check({ ...withheld, examples: 560, confusion: released.confusion })).toThrow(why);
  });

  test("refuses metrics at more than the stated precision, or with none stated", () => {
    expect(check({ ...released, metrics: { ...released.metrics, specificity: 0.899313 } })).toThrow(
      "Result refused: a metric has more than the stated 2 decimal places. Nothing was changed.",
    );
    const { metricDecimals: _, ...unstated } = released;
    expect(check(unstated)).toThrow("metrics were reported without their stated precision");
  });
});
