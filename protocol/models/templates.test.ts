import { describe, expect, it } from "vitest";
import type { ModelSpec } from "../model-spec";
import { buildTemplate } from "./templates";
import { validateArchitecture } from "./validate-architecture";

type Spec = Pick<ModelSpec, "task" | "classes" | "input">;
const image: Spec["input"] = { kind: "image", height: 64, width: 64, channels: 3, modality: "MR" };
const tabular: Spec["input"] = {
  kind: "tabular",
  features: [
    { name: "age", from: { source: "demographic", field: "age_at_index" }, encoding: "standardise" },
    { name: "sex", from: { source: "demographic", field: "sex" }, encoding: "one_hot" },
  ],
};

describe("built-in templates", () => {
  it.each([
    // 64 -> 16 (average pool) -> 8 (max pool): 8 * 8 * 16 features into the dense layer.
    [
      "small_cnn",
      { task: "multiclass_classification", classes: 5, input: image },
      3 * 3 * 3 * 16 + 16 + 3 * 3 * 16 * 16 + 16 + 8 * 8 * 16 * 32 + 32 + 32 * 5 + 5,
    ],
    // Larger or oblong images get more max pools, never more than 8 x 8 positions.
    [
      "small_cnn",
      { task: "binary_classification", input: { ...image, height: 512, width: 512, channels: 1 } },
      3 * 3 * 16 + 16 + 3 * 3 * 16 * 16 + 16 + 8 * 8 * 16 * 32 + 32 + 32 + 1,
    ],
    [
      "small_cnn",
      { task: "binary_classification", input: { ...image, height: 8, width: 1024, channels: 1 } },
      3 * 3 * 16 + 16 + 3 * 3 * 16 * 16 + 16 + 1 * 8 * 16 * 32 + 32 + 32 + 1,
    ],
    ["mlp", { task: "binary_classification", input: tabular }, 3 * 64 + 64 + 64 * 32 + 32 + 32 + 1],
    ["logistic_regression", { task: "binary_classification", input: tabular }, 3 + 1],
    ["logistic_regression", { task: "regression", input: tabular }, 3 + 1],
  ] as const)("%s passes the validator for a matching spec", async (id, spec, parameterCount) => {
    const result = await validateArchitecture(buildTemplate(id, spec), spec);
    expect(result).toMatchObject({ ok: true, summary: { parameterCount } });
  });

  it("refuses a template for the wrong input kind", () => {
    expect(() => buildTemplate("small_cnn", { task: "regression", input: tabular })).toThrow(
      "The small_cnn template needs image input; this model has tabular input",
    );
  });
});
