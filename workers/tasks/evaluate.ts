import { suppressionThreshold } from "../policy";
import { buildDataset } from "../training/dataset";
import { checkModelPackage, loadGlobalModel } from "../training/global-model";
import { evaluateSplit } from "../training/predict";
import type { TaskHandler } from "./base";

/**
 * Scores a model version on this site's held-out split (the same person-level split training
 * uses, so a job's validation persons are never trained on). Returns only the example count and
 * metrics, both suppressed when the split is smaller than the threshold.
 */
export const evaluateTask: TaskHandler<"evaluate"> = {
  kind: "evaluate",
  async run(payload, ctx) {
    await checkModelPackage(payload.model);
    await ctx.progress(5, "building_dataset");
    const dataset = await buildDataset({ ...payload, isValidationOnly: true }, ctx, [10, 50]);
    await ctx.progress(50, "loading_model");
    const { model, backend } = await loadGlobalModel(payload.model, dataset.exampleShape, ctx);
    try {
      const threshold = suppressionThreshold(ctx.policy, payload.minCellCount);
      await ctx.progress(70, "evaluating_model");
      const { examples, metrics } = await evaluateSplit(model, dataset.validation, dataset.exampleShape, threshold);
      ctx.log.info("Model evaluated", { backend, threshold });
      return { threshold, examples, metrics, backend };
    } finally {
      model.dispose();
    }
  },
};
