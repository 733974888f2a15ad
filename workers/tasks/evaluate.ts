import { buildDataset } from "../training/dataset";
import { tooFewExamples } from "../training/examples";
import { checkModelPackage, loadGlobalModel } from "../training/global-model";
import { evaluateSplit } from "../training/predict";
import type { TaskHandler } from "./base";

/**
 * Scores a model version on this site's test split: persons the job's training never saw, neither
 * to train on nor to report validation metrics on (workers/training/split.ts). Hands the release
 * gate the exact evaluation; the gate releases metrics only when the split's positives and
 * negatives both reach the threshold, rounded, and limits how many evaluations a project gets.
 */
export const evaluateTask: TaskHandler<"evaluate"> = {
  kind: "evaluate",
  async run(payload, ctx) {
    await checkModelPackage(payload.model);
    await ctx.progress(5, "building_dataset");
    const dataset = await buildDataset({ ...payload, isTestOnly: true }, ctx, [10, 50]);
    // Scoring a test split that lost images would release figures on the wrong people without saying so.
    if ((dataset.unreadableImages ?? 0) > 0) throw tooFewExamples(dataset, Number.POSITIVE_INFINITY);
    await ctx.progress(50, "loading_model");
    const { model, backend } = await loadGlobalModel(payload.model, dataset.exampleShape, ctx);
    try {
      await ctx.progress(70, "evaluating_model");
      const test = await evaluateSplit(model, dataset.test, dataset.exampleShape);
      ctx.log.info("Model evaluated", { backend });
      return { test, backend };
    } finally {
      model.dispose();
    }
  },
};
