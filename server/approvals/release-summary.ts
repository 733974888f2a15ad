import type { SiteTask } from "@/db/schema";
import { isTaskOfKind } from "@/protocol/tasks";

const cell = (value: number | string) => (typeof value === "number" ? value.toLocaleString("en-GB") : "suppressed");
const examples = (value: number | string) =>
  typeof value === "number" ? `${cell(value)} examples` : "a suppressed number of examples";

/**
 * What a task let out of the site, as the hub recorded it, in one line: only a finished task
 * released anything, and the figures are the released (suppressed, rounded) ones the hub holds.
 */
export function describeRelease(task: Pick<SiteTask, "kind" | "status" | "result">): string {
  if (task.status !== "done") return "Nothing";
  if (isTaskOfKind(task, "cohort_count") && task.result) {
    const r = task.result;
    return `Cohort counts: total ${cell(r.total)}, ${r.attrition.length} attrition step(s), age bands and sex (threshold ${r.threshold}, rounded to ${r.rounding})`;
  }
  if (isTaskOfKind(task, "train") && task.result) {
    const r = task.result;
    return `Model update from ${examples(r.exampleCount)} and validation metrics on ${examples(r.globalValidation.examples)}${r.privacy ? ", with differential privacy" : ""}`;
  }
  if (isTaskOfKind(task, "evaluate") && task.result) return `Test metrics on ${examples(task.result.examples)}`;
  return "Nothing";
}
