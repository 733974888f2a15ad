import { describe, expect, it } from "vitest";
import type { ModelSpec } from "../protocol/model-spec";
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
    ["small_cnn", { task: "multiclass_classification", classes: 5, input: image }, 3 * 3 * 3 * 16 + 16 + 3 * 3 * 16 * 32 + 32 + 32 * 64 + 64 + 64 * 5 + 5],
    ["mlp", { task: "binary_classification", input: tabular }, 3 * 64 + 64 + 64 * 32 + 32 + 32 + 1],
    ["logistic_regression", { task: "binary_classification", input: tabular }, 3 + 1],
    ["logistic_regression", { task: "regression", input: tabular }, 3 + 1],
  ] as const)("%s passes the validator for a matching spec", async (id, spec, parameterCount) => {
    const result = await validateArchitecture(buildTemplate(id, spec), spec);
    expect(result).toMatchObject({ ok: true, summary: { parameterCount } });
  });

  it("refuses a template for the wrong input kind", () => {
    expect(() => buildTemplate("small_cnn", { task: "regression", input: tabular })).toThrow("The small_cnn template needs image input; this model has tabular input");
  });
});
