/**
 * What a running task may tell the hub about its progress: one of these fixed steps (or an epoch
 * number out of the job's own epoch count), never a count or value from the site's data.
 */
const PROGRESS_TEXTS = {
  counting_cohort: "counting the cohort",
  checking_release: "checking the result before release",
  counting_persons: "counting persons",
  summing_observation: "summing observation periods",
  counting_images: "counting images",
  counting_conditions: "counting conditions",
  building_dataset: "building the dataset",
  reading_images: "reading images",
  loading_model: "loading the model",
  evaluating_global_model: "evaluating the global model",
  evaluating_local_model: "evaluating the local model",
  evaluating_model: "evaluating the model",
  uploading_update: "uploading the update",
} as const;

export type ProgressStep = keyof typeof PROGRESS_TEXTS | { epoch: number; of: number };

export function progressText(step: ProgressStep): string {
  if (typeof step === "string") return PROGRESS_TEXTS[step];
  return `epoch ${Math.trunc(step.epoch)} of ${Math.trunc(step.of)}`;
}
