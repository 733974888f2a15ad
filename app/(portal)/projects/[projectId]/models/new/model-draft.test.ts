import { describe, expect, it } from "vitest";
import { FEATURE_ENCODINGS, ZTabularInput } from "@/protocol/model-spec";
import { emptyPreprocessing, preprocessingSummary, type PreprocessingDraft } from "./preprocessing-draft";
import {
  emptyDraft,
  encodingsFor,
  newFeature,
  templatesFor,
  toRegisterInput,
  type FeatureDraft,
  type ModelDraft,
} from "./model-draft";

const PROJECT = "00000000-0000-4000-8000-000000000001";
const pneumonia = { id: 255848, name: "Pneumonia" };

function imageDraft(): ModelDraft {
  const draft = emptyDraft();
  return {
    ...draft,
    name: "CXR pneumonia",
    image: { ...draft.image, modality: "XR" },
    outcome: { name: "Pneumonia", concepts: [pneumonia], includeDescendants: true, withinDays: 30 },
  };
}

function tabularDraft(features: FeatureDraft[]): ModelDraft {
  return { ...imageDraft(), inputKind: "tabular", features, architecture: { kind: "template", template: "mlp" } };
}

describe("toRegisterInput", () => {
  it("says what is missing on an untouched form and builds nothing", () => {
    const { input, issues } = toRegisterInput(PROJECT, emptyDraft());
    expect(input).toBeNull();
    expect(issues["spec.name"]).toEqual(["Give it a name"]);
    expect(issues["outcome.name"]).toEqual(["Name the outcome"]);
    expect(issues["outcome.conceptIds"]).toEqual(["Pick at least one condition concept"]);
  });

  it("builds the register input, without a window for image labels, and with flips only when asked", () => {
    const { input, issues } = toRegisterInput(PROJECT, imageDraft());
    expect(issues).toEqual({});
    expect(input).toEqual({
      projectId: PROJECT,
      spec: {
        name: "CXR pneumonia",
        task: "binary_classification",
        input: { kind: "image", height: 64, width: 64, channels: 1, modality: "XR" },
        architecture: { kind: "template", template: "small_cnn" },
      },
      outcome: { name: "Pneumonia", conceptIds: [pneumonia.id], includeDescendants: true },
      limitations: "",
    });
    const flipped = toRegisterInput(PROJECT, {
      ...imageDraft(),
      image: { ...imageDraft().image, horizontalFlip: true },
    }).input;
    expect(flipped?.spec.input).toMatchObject({ kind: "image", horizontalFlip: true });
  });

  it("names blank boxes instead of reporting them as too small", () => {
    const measurement = { ...newFeature(), name: "hba1c", windowDays: undefined };
    const draft = { ...tabularDraft([measurement]), task: "multiclass_classification" as const };
    const { issues } = toRegisterInput(PROJECT, draft);
    expect(issues["spec.classes"]).toEqual(["Enter the number of classes"]);
    expect(issues["spec.input.features.0.from.conceptId"]).toEqual(["Pick a measurement concept"]);
    expect(issues["spec.input.features.0.from.windowDays"]).toEqual(["Enter how many days back to look"]);
  });

  it("reports a repeated feature name on the second feature", () => {
    const age = { ...newFeature(), name: "age", source: "demographic" as const, field: "age_at_index" as const };
    const { issues } = toRegisterInput(PROJECT, tabularDraft([age, { ...age, key: "other" }]));
    expect(issues["spec.input.features.1.name"]).toEqual(['Feature name "age" is used twice']);
  });

  it("keeps the tabular outcome window and the unit of a measurement", () => {
    const hba1c = {
      ...newFeature(),
      name: "hba1c",
      measurement: { id: 3004410, name: "HbA1c" },
      unit: { id: 8554, name: "percent" },
    };
    const { input } = toRegisterInput(PROJECT, tabularDraft([hba1c]));
    expect(input?.outcome.withinDays).toBe(30);
    expect(input?.spec.input).toEqual({
      kind: "tabular",
      features: [
        {
          name: "hba1c",
          from: {
            source: "measurement",
            conceptId: 3004410,
            unitConceptId: 8554,
            aggregation: "latest",
            windowDays: 365,
          },
          encoding: "standardise",
        },
      ],
    });
  });

  it("refuses pasted text that is not JSON, and a template made for the other input kind", () => {
    expect(
      toRegisterInput(PROJECT, {
        ...imageDraft(),
        architecture: { kind: "json", text: "{ layers: ", fileName: null, weightFiles: null },
      }).issues["spec.architecture"],
    ).toEqual(["This is not valid JSON; paste the TF.js layers JSON or the whole model.json"]);
    expect(
      toRegisterInput(PROJECT, { ...imageDraft(), architecture: { kind: "template", template: "mlp" } }).issues[
        "spec.architecture"
      ],
    ).toEqual(["Choose a template made for this input"]);
    const pasted = toRegisterInput(PROJECT, {
      ...imageDraft(),
      architecture: { kind: "json", text: '{"class_name":"Sequential"}', fileName: null, weightFiles: null },
    });
    expect(pasted.input?.spec.architecture).toEqual({ kind: "json", json: { class_name: "Sequential" } });
    expect(pasted.input).not.toHaveProperty("weightFiles");
    const uploaded = toRegisterInput(PROJECT, {
      ...imageDraft(),
      architecture: {
        kind: "json",
        text: '{"modelTopology":{}}',
        fileName: "model.json",
        weightFiles: { "w.bin": "AAAA" },
      },
    });
    expect(uploaded.input?.weightFiles).toEqual({ "w.bin": "AAAA" });
  });
});

describe("an image model's preprocessing", () => {
  function withPreprocessing(patch: Partial<PreprocessingDraft>): ModelDraft {
    const draft = imageDraft();
    return {
      ...draft,
      image: { ...draft.image, modality: "CT", preprocessing: { ...emptyPreprocessing(), ...patch } },
    };
  }

  it("sends a preset window and a 2.5D stack, with one channel per stacked slice", () => {
    const draft = withPreprocessing({ window: "stroke", slices: "stack", count: 5 });
    const { input, issues } = toRegisterInput(PROJECT, draft);
    expect(issues).toEqual({});
    expect(input?.spec.input).toEqual({
      kind: "image",
      height: 64,
      width: 64,
      channels: 5,
      modality: "CT",
      preprocessing: { window: { kind: "preset", preset: "stroke" }, slices: { kind: "stack", count: 5 } },
    });
    expect(preprocessingSummary(draft.image.preprocessing)).toBe(
      "stroke window (level 40, width 40 HU), 2.5D stack of 5 slices",
    );
  });

  it("leaves out the default (robust window, centre slice) and keeps the chosen channels without a stack", () => {
    const robust = toRegisterInput(PROJECT, { ...imageDraft(), image: { ...imageDraft().image, channels: 3 } });
    expect(robust.input?.spec.input).toEqual({ kind: "image", height: 64, width: 64, channels: 3, modality: "XR" });
    const mip = toRegisterInput(
      PROJECT,
      withPreprocessing({ window: "level_width", level: 0, width: 350, slices: "mip" }),
    );
    expect(mip.input?.spec.input).toMatchObject({
      channels: 1,
      preprocessing: { window: { kind: "level_width", level: 0, width: 350 }, slices: { kind: "mip" } },
    });
    const slab = toRegisterInput(PROJECT, withPreprocessing({ slices: "mip", slab: 12 }));
    expect(slab.input?.spec.input).toMatchObject({
      preprocessing: { window: { kind: "robust" }, slices: { kind: "mip", slab: 12 } },
    });
  });

  it("says what is wrong beside the window and stack boxes, once, and builds nothing", () => {
    const even = toRegisterInput(PROJECT, withPreprocessing({ slices: "stack", count: 4 }));
    expect(even.input).toBeNull();
    expect(even.issues).toEqual({
      "spec.input.preprocessing.slices.count": ["Stack an odd number of slices, so the centre slice is in the middle"],
    });
    const tooMany = toRegisterInput(PROJECT, withPreprocessing({ slices: "stack", count: 17 }));
    expect(Object.keys(tooMany.issues)).toEqual(["spec.input.preprocessing.slices.count"]);
    const blanks = toRegisterInput(
      PROJECT,
      withPreprocessing({
        window: "level_width",
        level: undefined,
        width: undefined,
        slices: "stack",
        count: undefined,
      }),
    );
    expect(blanks.issues).toEqual({
      "spec.input.preprocessing.window.level": ["Enter the window level"],
      "spec.input.preprocessing.window.width": ["Enter the window width"],
      "spec.input.preprocessing.slices.count": ["Enter how many slices to stack"],
    });
    const flat = toRegisterInput(PROJECT, withPreprocessing({ window: "level_width", level: 40, width: 0 }));
    expect(flat.issues).toEqual({ "spec.input.preprocessing.window.width": ["The window width must be positive"] });
    expect(preprocessingSummary(withPreprocessing({ slices: "stack", count: 4 }).image.preprocessing)).toBeNull();
    const mrPreset = withPreprocessing({ window: "brain" });
    const mr = toRegisterInput(PROJECT, { ...mrPreset, image: { ...mrPreset.image, modality: "MR" } });
    expect(mr.input).toBeNull();
    expect(mr.issues).toEqual({
      "spec.input.preprocessing.window": [
        "The brain window is in Hounsfield units, which only CT has: for MR, choose the robust window or a level and width in its own units",
      ],
    });
  });
});

describe("encodingsFor", () => {
  it("offers exactly the encodings the schema accepts for each source", () => {
    const sources: Pick<FeatureDraft, "source" | "field">[] = [
      { source: "measurement", field: "age_at_index" },
      { source: "condition", field: "age_at_index" },
      { source: "demographic", field: "age_at_index" },
      { source: "demographic", field: "sex" },
    ];
    for (const { source, field } of sources) {
      const from =
        source === "measurement"
          ? { source, conceptId: 1, aggregation: "latest", windowDays: 30 }
          : source === "condition"
            ? { source, conceptIds: [1], rule: "present_before_index" }
            : { source, field };
      const accepted = FEATURE_ENCODINGS.filter(
        (encoding) => ZTabularInput.safeParse({ kind: "tabular", features: [{ name: "f", from, encoding }] }).success,
      );
      expect(encodingsFor(source, field)).toEqual(accepted);
    }
  });

  it("offers templates only for their input kind", () => {
    expect(templatesFor("image")).toEqual(["small_cnn"]);
    expect(templatesFor("tabular")).toEqual(["mlp", "logistic_regression"]);
  });
});
