import { describePreprocessing } from "@/protocol/image-preprocessing";
import type { ModelInput } from "@/protocol/model-spec";
import type { VersionMetrics } from "./types";

export const METRICS = [
  { key: "loss", label: "Loss" },
  { key: "accuracy", label: "Accuracy" },
  { key: "auc", label: "AUC" },
  { key: "sensitivity", label: "Sensitivity" },
  { key: "specificity", label: "Specificity" },
] as const;

export const TASK_LABELS: Record<string, string> = {
  binary_classification: "Binary classification",
  multiclass_classification: "Multi-class classification",
  regression: "Regression",
};

/** Metric figures to three places; null means the task has none or the split was too small to report. */
export function formatMetric(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : value.toFixed(3);
}

/** The pooled figures of a version's metrics; null until a round or evaluation reports. */
export function pooledOf(metrics: VersionMetrics | null): VersionMetrics["validation"] {
  return metrics?.validation ?? null;
}

export function describeInput(input: ModelInput): string {
  if (input.kind === "image")
    return `${input.modality} images, ${input.height} × ${input.width} × ${input.channels}, ${describePreprocessing(input.preprocessing)}`;
  return `${input.features.length} tabular ${input.features.length === 1 ? "feature" : "features"}`;
}

/** The same slug the download route uses, so exported files sit together on disk. */
export function slugOf(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "") || "model"
  );
}

export const modelHref = (projectId: string, modelId: string) => `/projects/${projectId}/models/${modelId}`;
export const downloadHref = (projectId: string, versionId: string) =>
  `/api/projects/${projectId}/model-versions/${versionId}/download`;
export const jobsNewHref = (projectId: string, modelId: string, versionId: string, kind?: "evaluate") =>
  `/projects/${projectId}/jobs/new?${kind ? `kind=${kind}&` : ""}modelId=${modelId}&versionId=${versionId}`;

/** Owners and members hold `model:write` and `model:download`; viewers read only. */
export const canWriteModels = (role: "owner" | "member" | "viewer") => role !== "viewer";

/** "KCH", "KCH and GSTT", "KCH, GSTT and UCLH". */
export function listInWords(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

/** What registering a model does to governance, in the words the register form and the model page use. */
export function approvalNotice(siteCodes: readonly string[]): string {
  return siteCodes.length
    ? `Sites approve what a model learns from and predicts: registering it makes a new revision that ${listInWords(siteCodes)} must approve before it can train.`
    : "Sites approve what a model learns from and predicts: registering it adds it to the governance bundle, which the sites approve when you submit the project.";
}
