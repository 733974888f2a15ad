import { describe, expect, it } from "vitest";
import { describePreprocessing } from "./image-preprocessing";
import { expectedInputShape, ZModelSpec, type ModelInput } from "./model-spec";

const tabular: ModelInput = {
  kind: "tabular",
  features: [
    { name: "age", from: { source: "demographic", field: "age_at_index" }, encoding: "standardise" },
    { name: "sex", from: { source: "demographic", field: "sex" }, encoding: "one_hot" },
    {
      name: "psa",
      from: { source: "measurement", conceptId: 3013603, unitConceptId: 8842, aggregation: "latest", windowDays: 365 },
      encoding: "standardise",
    },
    {
      name: "diabetes",
      from: { source: "condition", conceptIds: [201826], rule: "present_before_index" },
      encoding: "binary",
    },
  ],
};

function messages(input: unknown): string[] {
  const result = ZModelSpec.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("ZModelSpec", () => {
  it("accepts an image and a tabular spec", () => {
    expect(
      messages({
        name: "Chest XR",
        task: "binary_classification",
        input: { kind: "image", height: 64, width: 64, channels: 1, modality: "XR" },
        architecture: {},
      }),
    ).toEqual([]);
    expect(
      messages({ name: "Stage", task: "multiclass_classification", classes: 4, input: tabular, architecture: {} }),
    ).toEqual([]);
  });

  it("counts one_hot sex as two columns and everything else as one", () => {
    expect(expectedInputShape(tabular)).toEqual([null, 5]);
    expect(expectedInputShape({ kind: "image", height: 32, width: 48, channels: 3, modality: "CT" })).toEqual([
      null,
      32,
      48,
      3,
    ]);
  });

  it("refuses an encoding that does not fit the source, and duplicate names", () => {
    const features = [
      {
        name: "psa",
        from: { source: "measurement", conceptId: 1, aggregation: "mean", windowDays: 30 },
        encoding: "one_hot",
      },
      { name: "psa", from: { source: "condition", conceptIds: [2], rule: "present_before_index" }, encoding: "binary" },
    ];
    expect(
      messages({ name: "x", task: "regression", input: { kind: "tabular", features }, architecture: null }),
    ).toEqual([
      'input.features.0.encoding: Feature "psa" cannot be encoded as one_hot; use standardise or raw',
      'input.features.1.name: Feature name "psa" is used twice',
    ]);
  });

  it("ties classes to the multi-class task", () => {
    const input = { kind: "image", height: 64, width: 64, channels: 3, modality: "MR" };
    expect(messages({ name: "x", task: "multiclass_classification", input, architecture: null })).toEqual([
      "classes: Multi-class classification needs the number of classes",
    ]);
    expect(messages({ name: "x", task: "regression", classes: 3, input, architecture: null })).toEqual([
      "classes: Only multi-class classification takes a number of classes",
    ]);
  });

  it("refuses malformed input specs", () => {
    const bad = [
      {
        name: "x",
        task: "regression",
        input: { kind: "image", height: 64, width: 64, channels: 2, modality: "XR" },
        architecture: null,
      },
      {
        name: "x",
        task: "regression",
        input: { kind: "image", height: 64, width: 64, channels: 1, modality: "PET" },
        architecture: null,
      },
      { name: "x", task: "regression", input: { kind: "tabular", features: [] }, architecture: null },
      { name: "x", task: "regression", input: tabular, architecture: null, extra: 1 },
      { name: "x", task: "survival", input: tabular, architecture: null },
    ];
    expect(bad.map((b) => messages(b)[0])).toEqual([
      "input.channels: Channels must be 1 (greyscale) or 3 (RGB), or the number of slices in a 2.5D stack",
      expect.stringContaining("input.modality"),
      "input.features: Add at least one feature",
      expect.stringContaining('Unrecognized key: "extra"'),
      expect.stringContaining("task"),
    ]);
  });
});

describe("image preprocessing in the spec", () => {
  const spec = (input: Record<string, unknown>) =>
    ZModelSpec.safeParse({
      name: "stroke",
      task: "binary_classification",
      input: { kind: "image", height: 64, width: 64, modality: "CT", ...input },
      architecture: null,
    });

  it("a 2.5D stack feeds as many channels as slices; an even stack has no centre", () => {
    const stack = { window: { kind: "preset", preset: "stroke" }, slices: { kind: "stack", count: 5 } };
    expect(spec({ channels: 5, preprocessing: stack }).success).toBe(true);
    expect(spec({ channels: 3, preprocessing: stack }).error?.issues[0]).toMatchObject({
      path: ["input", "channels"],
      message: "A stack of 5 slices feeds 5 channels; set channels to 5",
    });
    const even = { window: { kind: "robust" }, slices: { kind: "stack", count: 4 } };
    expect(spec({ channels: 4, preprocessing: even }).error?.issues[0]?.message).toBe(
      "Stack an odd number of slices, so the centre slice is in the middle",
    );
  });

  it("windows: a named preset, a positive width, nothing else", () => {
    const centre = { kind: "centre" };
    expect(
      spec({ channels: 1, preprocessing: { window: { kind: "preset", preset: "lung" }, slices: centre } }).success,
    ).toBe(true);
    expect(
      spec({ channels: 1, preprocessing: { window: { kind: "preset", preset: "liver" }, slices: centre } }).success,
    ).toBe(false);
    expect(
      spec({ channels: 1, preprocessing: { window: { kind: "level_width", level: 40, width: 0 }, slices: centre } })
        .error?.issues[0]?.message,
    ).toBe("The window width must be positive");
    expect(
      describePreprocessing({ window: { kind: "preset", preset: "stroke" }, slices: { kind: "stack", count: 3 } }),
    ).toBe("stroke window (level 40, width 40 HU), 2.5D stack of 3 slices");
  });

  it("refuses a Hounsfield preset for a modality that is not CT, where every site would refuse it", () => {
    const brain = { window: { kind: "preset", preset: "brain" }, slices: { kind: "centre" } };
    expect(spec({ channels: 1, modality: "MR", preprocessing: brain }).error?.issues[0]).toMatchObject({
      path: ["input", "preprocessing", "window"],
      message:
        "The brain window is in Hounsfield units, which only CT has: for MR, choose the robust window or a level and width in its own units",
    });
    const robust = { window: { kind: "robust" }, slices: { kind: "centre" } };
    expect(spec({ channels: 1, modality: "MR", preprocessing: robust }).success).toBe(true);
  });
});
