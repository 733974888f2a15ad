import { siteNoiseStd } from "@/protocol/privacy/dp-settings";
import { minimumExamples, trainingRefusal } from "../policy";
import { addGaussianNoise } from "../privacy/gaussian";
import type { PrivacyCharge } from "../release/privacy-budget";
import { TaskError } from "../release/failures";
import { tooFewExamples } from "../training/examples";
import { TaskAbortedError } from "../site-db";
import { buildDataset } from "../training/dataset";
import { clipToNorm, subtractWeights } from "../training/delta";
import { checkModelPackage, loadGlobalModel } from "../training/global-model";
import { evaluateSplit } from "../training/predict";
import { throttledProgress } from "../training/progress";
import { trainLocallyDpSgd } from "../training/dp-sgd";
import { trainLocally } from "../training/train";
import { joinSecureRound } from "../training/secagg-session";
import type { TaskHandler } from "./base";

/**
 * One site's part of a federated round: local epochs on this site's training split, starting from
 * the round's global model. It hands the release gate the weight delta (clipped to the hub's norm
 * bound), the training example count and exact evaluations of the global and the local model on the
 * validation split; the gate rounds and suppresses them (workers/release/metrics-release.ts). The
 * test split is not touched here: only the `evaluate` task scores it.
 * Progress messages are fixed text (epoch numbers only), never a count or value from the data.
 */
export const trainTask: TaskHandler<"train"> = {
  kind: "train",
  async run(payload, ctx) {
    const dp = payload.differentialPrivacy;
    const refusal = trainingRefusal(ctx.policy, payload.totalRounds, dp !== undefined);
    if (refusal) throw new TaskError(refusal);
    await checkModelPackage(payload.model);
    await ctx.progress(2, "building_dataset");
    const dataset = await buildDataset(payload, ctx, [5, 20]);
    const minimum = minimumExamples(ctx.policy, payload.minCellCount);
    if (dataset.train.count < minimum) throw tooFewExamples(dataset, minimum);
    const privacy: PrivacyCharge | undefined = dp && {
      projectId: payload.projectId,
      dp,
      exampleCount: dataset.train.count,
      batchSize: payload.batchSize,
      localEpochs: payload.localEpochs,
      remainingRounds: payload.totalRounds - payload.round + 1,
      normBound: payload.normBound,
      secureAggregation: payload.secureAggregation !== undefined,
    };
    // Refused before any training: a job the budget cannot finish spends none of it.
    if (privacy) ctx.admitPrivacy(privacy);
    if (ctx.signal.aborted) throw new TaskAbortedError("task aborted before training");
    // Keys are exchanged before training, so the sites wait for one another for seconds, not for a whole training run.
    const secure =
      payload.secureAggregation && (await joinSecureRound(payload.secureAggregation, ctx.secAgg, ctx.signal));

    await ctx.progress(20, "loading_model");
    const { model, backend, weights: globalWeights } = await loadGlobalModel(payload.model, dataset.exampleShape, ctx);
    try {
      const shape = dataset.exampleShape;
      await ctx.progress(25, "evaluating_global_model");
      const globalValidation = await evaluateSplit(model, dataset.validation, shape);

      const started = performance.now();
      const report = throttledProgress(ctx.progress, [30, 90]);
      const exampleLevel = dp?.exampleLevel;
      const train: typeof trainLocally = exampleLevel
        ? (m, data, s, options) => trainLocallyDpSgd(m, data, s, { ...options, exampleLevel })
        : trainLocally;
      const local = await train(model, dataset.train, shape, {
        ...payload,
        seed: `${payload.jobId}:${payload.round}`,
        flipImages: payload.model.input.kind === "image" && payload.model.input.horizontalFlip === true,
        signal: ctx.signal,
        onBatch: (epoch, fraction) =>
          report((epoch - 1 + fraction) / payload.localEpochs, { epoch, of: payload.localEpochs }, fraction === 1),
      });
      const trainingMs = Math.round(performance.now() - started);

      await ctx.progress(92, "evaluating_local_model");
      const localValidation = await evaluateSplit(model, dataset.validation, shape);
      const update = subtractWeights(local.weights, globalWeights);
      const { norm, isClipped } = clipToNorm(update, payload.normBound);
      // The norm describes the model change, not any patient; the operator needs it to tune the bound.
      if (isClipped) ctx.log.info("Update clipped to the hub's norm bound", { norm, normBound: payload.normBound });
      // Site-level DP-FedAvg: the clipped update leaves only with CSPRNG Gaussian noise on it, the full
      // noise (local DP) or, masked in a secure round, this site's share of it (distributed DP).
      if (dp) addGaussianNoise(update, siteNoiseStd(dp, payload.normBound, secure ? secure.params.threshold : null));
      await ctx.progress(95, "uploading_update");
      const result = {
        exampleCount: dataset.train.count,
        globalValidation,
        localValidation,
        trainLoss: local.trainLoss,
        epochs: payload.localEpochs,
        backend,
        trainingMs,
      };
      ctx.log.info("Local training finished", { epochs: payload.localEpochs, backend, trainingMs, clipped: isClipped });
      return { result, update, privacy, secure: secure || undefined };
    } finally {
      model.dispose();
    }
  },
};
