import type { TRegisterModelInput } from "@/server/models/models.schema";
import { TEMPLATE_INPUT_KIND, type TemplateId } from "@/protocol/models/templates";
import type { MODALITIES } from "@/protocol/cohort-definition";
import { ZModelSpec, type FeatureEncoding, type MODEL_TASKS, type TabularFeature } from "@/protocol/model-spec";
import { addFieldError, fieldErrorsFromIssues, type FieldErrors } from "@/protocol/field-errors";
import { ZOutcome } from "@/protocol/training";
import type { ConceptPick } from "../../../_components/concept-search";
import {
  blankPreprocessingMessages,
  channelsOf,
  emptyPreprocessing,
  preprocessingOf,
  type PreprocessingDraft,
} from "./preprocessing-draft";

/**
 * The register form's state, kept close to what people type (numbers may be blank, concepts keep
 * their names for display) and turned into the procedure's input by `toRegisterInput`, which
 * checks it with the same schemas the hub and the sites use.
 */
export type FeatureSource = TabularFeature["from"]["source"];
export type Aggregation = "latest" | "mean" | "max" | "min";
export type FeatureDraft = {
  key: string;
  name: string;
  source: FeatureSource;
  measurement: ConceptPick | null;
  unit: ConceptPick | null;
  aggregation: Aggregation;
  windowDays: number | undefined;
  conditions: ConceptPick[];
  field: "age_at_index" | "sex";
  encoding: FeatureEncoding;
};

export type ArchitectureDraft =
  | { kind: "template"; template: TemplateId }
  | { kind: "json"; text: string; fileName: string | null; weightFiles: Record<string, string> | null };

export type ModelDraft = {
  name: string;
  task: (typeof MODEL_TASKS)[number];
  classes: number | undefined;
  inputKind: "image" | "tabular";
  image: {
    height: number | undefined;
    width: number | undefined;
    /** The researcher's choice when the slices do not set it (a 2.5D stack of k feeds k channels). */
    channels: 1 | 3;
    modality: (typeof MODALITIES)[number];
    horizontalFlip: boolean;
    preprocessing: PreprocessingDraft;
  };
  features: FeatureDraft[];
  outcome: { name: string; concepts: ConceptPick[]; includeDescendants: boolean; withinDays: number | undefined };
  architecture: ArchitectureDraft;
  limitations: string;
};

/** Mirrors the schema's rule (model-spec.ts): an encoding outside these is refused for the source. */
export function encodingsFor(source: FeatureSource, field: FeatureDraft["field"]): readonly FeatureEncoding[] {
  if (source === "measurement") return ["standardise", "raw"];
  if (source === "condition") return ["binary"];
  return field === "sex" ? ["one_hot", "binary"] : ["standardise", "raw"];
}

let nextKey = 0;
export function newFeature(): FeatureDraft {
  nextKey += 1;
  return {
    key: `feature-${nextKey}`,
    name: "",
    source: "measurement",
    measurement: null,
    unit: null,
    aggregation: "latest",
    windowDays: 365,
    conditions: [],
    field: "age_at_index",
    encoding: "standardise",
  };
}

export function templatesFor(inputKind: ModelDraft["inputKind"]): TemplateId[] {
  return (Object.keys(TEMPLATE_INPUT_KIND) as TemplateId[]).filter((id) => TEMPLATE_INPUT_KIND[id] === inputKind);
}

export function emptyDraft(): ModelDraft {
  return {
    name: "",
    task: "binary_classification",
    classes: undefined,
    inputKind: "image",
    image: {
      height: 64,
      width: 64,
      channels: 1,
      modality: "CT",
      horizontalFlip: false,
      preprocessing: emptyPreprocessing(),
    },
    features: [newFeature()],
    outcome: { name: "", concepts: [], includeDescendants: true, withinDays: undefined },
    architecture: { kind: "template", template: "small_cnn" },
    limitations: "",
  };
}

function featureOf(f: FeatureDraft) {
  const from =
    f.source === "measurement"
      ? {
          source: f.source,
          conceptId: f.measurement?.id ?? 0,
          ...(f.unit ? { unitConceptId: f.unit.id } : {}),
          aggregation: f.aggregation,
          windowDays: f.windowDays ?? 0,
        }
      : f.source === "condition"
        ? { source: f.source, conceptIds: f.conditions.map((c) => c.id), rule: "present_before_index" as const }
        : { source: f.source, field: f.field };
  return { name: f.name, from, encoding: f.encoding };
}

/** Problems keyed by dotted path ("spec.input.features.0.name"), as the form shows them beside fields. */
export type Issues = FieldErrors;

const add = addFieldError;

function addAll(issues: Issues, more: Issues) {
  for (const [key, messages] of Object.entries(more)) for (const message of messages) add(issues, key, message);
}

/** Blank boxes are sent as 0; say what is missing instead of the schema's "too small". */
function blankMessages(draft: ModelDraft): Record<string, string> {
  const messages: Record<string, string> = {};
  if (draft.task === "multiclass_classification" && draft.classes === undefined)
    messages["spec.classes"] = "Enter the number of classes";
  if (draft.inputKind === "image") {
    if (draft.image.height === undefined) messages["spec.input.height"] = "Enter the image height in pixels";
    if (draft.image.width === undefined) messages["spec.input.width"] = "Enter the image width in pixels";
    Object.assign(messages, blankPreprocessingMessages(draft.image.preprocessing));
  } else {
    draft.features.forEach((f, i) => {
      if (f.source !== "measurement") return;
      if (!f.measurement) messages[`spec.input.features.${i}.from.conceptId`] = "Pick a measurement concept";
      if (f.windowDays === undefined)
        messages[`spec.input.features.${i}.from.windowDays`] = "Enter how many days back to look";
    });
  }
  return messages;
}

export function toRegisterInput(
  projectId: string,
  draft: ModelDraft,
): { input: TRegisterModelInput | null; issues: Issues } {
  const issues: Issues = {};
  const preprocessing = draft.inputKind === "image" ? preprocessingOf(draft.image.preprocessing) : undefined;
  const input =
    draft.inputKind === "image"
      ? {
          kind: "image" as const,
          height: draft.image.height ?? 0,
          width: draft.image.width ?? 0,
          channels: channelsOf(draft.image.preprocessing, draft.image.channels),
          modality: draft.image.modality,
          ...(preprocessing ? { preprocessing } : {}),
          ...(draft.image.horizontalFlip ? { horizontalFlip: true } : {}),
        }
      : { kind: "tabular" as const, features: draft.features.map(featureOf) };
  const spec = {
    name: draft.name,
    task: draft.task,
    ...(draft.task === "multiclass_classification" ? { classes: draft.classes ?? 0 } : {}),
    input,
    architecture: null,
  };
  const parsedSpec = ZModelSpec.safeParse(spec);
  if (!parsedSpec.success) {
    const blanks = blankMessages(draft);
    addAll(
      issues,
      fieldErrorsFromIssues(parsedSpec.error.issues, { prefix: "spec", messageFor: (key) => blanks[key] }),
    );
    // Channels follow a stack's slice count, so a bad count is said once, beside the count.
    if (issues["spec.input.preprocessing.slices.count"]) delete issues["spec.input.channels"];
  }
  // Image labels are fixed at the scan date (see ZOutcome), so a window would be ignored.
  const outcome = {
    name: draft.outcome.name,
    conceptIds: draft.outcome.concepts.map((c) => c.id),
    includeDescendants: draft.outcome.includeDescendants,
    ...(draft.inputKind === "tabular" && draft.outcome.withinDays !== undefined
      ? { withinDays: draft.outcome.withinDays }
      : {}),
  };
  const parsedOutcome = ZOutcome.safeParse(outcome);
  if (!parsedOutcome.success) addAll(issues, fieldErrorsFromIssues(parsedOutcome.error.issues, { prefix: "outcome" }));

  let architecture: TRegisterModelInput["spec"]["architecture"] = { kind: "template", template: "mlp" };
  if (draft.architecture.kind === "template") {
    if (TEMPLATE_INPUT_KIND[draft.architecture.template] !== draft.inputKind)
      add(issues, "spec.architecture", "Choose a template made for this input");
    architecture = { kind: "template", template: draft.architecture.template };
  } else {
    try {
      architecture = { kind: "json", json: JSON.parse(draft.architecture.text) as unknown };
    } catch {
      add(
        issues,
        "spec.architecture",
        draft.architecture.text.trim()
          ? "This is not valid JSON; paste the TF.js layers JSON or the whole model.json"
          : "Paste the TF.js layers JSON or upload a model.json",
      );
    }
  }
  if (draft.limitations.length > 4000) add(issues, "limitations", "Keep the limitations under 4000 characters");
  if (Object.keys(issues).length > 0 || !parsedSpec.success || !parsedOutcome.success) return { input: null, issues };
  const weightFiles =
    draft.architecture.kind === "json" && draft.architecture.weightFiles
      ? { weightFiles: draft.architecture.weightFiles }
      : {};
  return {
    input: {
      projectId,
      spec: { ...parsedSpec.data, architecture },
      outcome: parsedOutcome.data,
      limitations: draft.limitations,
      ...weightFiles,
    },
    issues,
  };
}
