import { z } from "zod";
import { ZCohortDefinition } from "./cohort-definition";
import { MODEL_TASKS, ZModelInput } from "./model-spec";
import { ZDifferentialPrivacy, ZPrivacyReport } from "./privacy/dp-settings";
import { ZSecAggParams } from "./secagg/quantise";

/**
 * The training and evaluation part of the worker protocol. Model weights never travel as JSON:
 * the worker downloads the round's global model and uploads its update as FLIP tensor files
 * (`tensor-codec.ts`, `application/octet-stream`) on the two binary routes below; JSON carries
 * only the task description, counts and metrics.
 */

/** GET: the task's global model weights. Same Bearer token and protocol header as every worker call. */
export const weightsPath = (taskId: string) => `/api/worker/tasks/${taskId}/weights`;
/** POST: a train task's update (delta = w_site - w_global); completes the task. */
export const updatePath = (taskId: string) => `/api/worker/tasks/${taskId}/update`;
/** The lease the binary call acts under, as for `progress` / `complete`. */
export const LEASE_HEADER = "x-flip-lease-id";
/** Set to "1" when the update body is a secure-aggregation masked vector (uint32 little-endian), not a tensor file. */
export const MASKED_UPDATE_HEADER = "x-flip-masked-update";
/** Base64url JSON of ZTrainResult, sent alongside the binary update body. */
export const TRAIN_RESULT_HEADER = "x-flip-train-result";
/** Hex SHA-256 of the whole tensor file (its content address in the hub's artifact store), set on downloads. */
export const SHA256_HEADER = "x-flip-sha256";
export const OCTET_STREAM = "application/octet-stream";

/**
 * What the label is, in OMOP terms. Image models: a scan is positive when the person had one of
 * the conditions starting on or before the scan date. Tabular models: a cohort member is positive
 * when one of the conditions starts within `withinDays` after the cohort index date (or at any
 * time after it when `withinDays` is absent); conditions before the index are features, never the
 * label.
 */
export const ZOutcome = z.strictObject({
  name: z.string().trim().min(1, "Name the outcome").max(120),
  conceptIds: z.array(z.number().int().positive()).min(1, "Pick at least one condition concept").max(200),
  includeDescendants: z.boolean().default(true),
  withinDays: z.number().int().min(1).max(36_500).optional(),
});
export type Outcome = z.infer<typeof ZOutcome>;

/** Everything a site needs to build the model and its dataset; the weights come separately. */
export const ZModelPackage = z.object({
  modelId: z.uuid(),
  versionId: z.uuid(),
  task: z.enum(MODEL_TASKS),
  classes: z.number().int().min(3).max(100).optional(),
  input: ZModelInput,
  outcome: ZOutcome,
  /** TF.js layers topology JSON, already validated by the hub; the site validates it again. */
  architecture: z.unknown(),
  /** SHA-256 of the whole weights file as downloaded (the artifact's content address), so the site can check it. */
  weightsSha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type ModelPackage = z.infer<typeof ZModelPackage>;

export const OPTIMIZERS = ["sgd", "adam"] as const;

/**
 * The person-level split, the same at every site and in every round: hash(seed, person_id) maps a
 * person to u in [0, 1); u < testFraction is the test split (scored only by `evaluate`, never seen by
 * training), the next validationFraction is the validation split (training's local metrics), the
 * rest trains. Without testFraction (hubs before it) the worker uses DEFAULT_TEST_FRACTION.
 */
export const ZSplit = z.object({
  seed: z.string().min(1).max(64),
  validationFraction: z.number().min(0.05).max(0.5),
  testFraction: z.number().min(0.05).max(0.3).optional(),
});
export const DEFAULT_TEST_FRACTION = 0.2;
export type Split = z.infer<typeof ZSplit>;

/** Who asks, for the site ledger: releases are recorded and limited per project and per requester (null once that account is gone). */
const ZRequestScope = { projectId: z.uuid(), requesterId: z.uuid().nullable() };

export const ZTrainPayload = z.object({
  ...ZRequestScope,
  jobId: z.uuid(),
  round: z.number().int().positive(),
  totalRounds: z.number().int().positive(),
  model: ZModelPackage,
  cohort: ZCohortDefinition,
  split: ZSplit,
  localEpochs: z.number().int().min(1).max(100),
  batchSize: z.number().int().min(1).max(4096),
  learningRate: z.number().positive().max(10),
  optimizer: z.enum(OPTIMIZERS),
  /** FedProx: the local loss gets + mu/2 ||w - w_global||^2. Zero or absent for FedAvg and FedAdam. */
  proximalMu: z.number().nonnegative().max(100).optional(),
  /** The hub refuses updates whose L2 norm exceeds this; a site may clip to it. With DP it is the clipping bound. */
  normBound: z.number().positive(),
  minCellCount: z.number().int().min(1).max(1000).optional(),
  /** Site-level DP-FedAvg (and optionally example-level DP-SGD); absent when the job trains without DP. */
  differentialPrivacy: ZDifferentialPrivacy.optional(),
  /**
   * Secure aggregation for this round (protocol/secagg): the round id the masks are bound to, the
   * ring parameters, and the divisor that turns the site's example count into a FedAvg weight in
   * [0, 1]. The site then uploads only its masked update (MASKED_UPDATE_HEADER) and answers the unmasking request.
   */
  secureAggregation: z
    .object({ roundId: z.uuid(), params: ZSecAggParams, weightDivisor: z.number().int().positive() })
    .optional(),
});
export type TrainPayload = z.infer<typeof ZTrainPayload>;

/** A metric figure, or null where the task has none (AUC of a regression) or the split was too small to report. */
const ZMetric = z.number().finite().nullable();

export const ZEvaluationMetrics = z.object({
  loss: ZMetric,
  accuracy: ZMetric,
  auc: ZMetric,
  sensitivity: ZMetric,
  specificity: ZMetric,
});
export type EvaluationMetrics = z.infer<typeof ZEvaluationMetrics>;

/** A released count: rounded and at or above the threshold, or suppressed (as protocol/contract.ts ZCell). */
const ZReleasedCell = z.union([z.number().int().nonnegative(), z.literal("suppressed")]);

/** Predicted scores are binned into SCORE_BINS equal bins of [0, 1]; bin k holds scores in [k/20, (k+1)/20), the last one 1 too. */
export const SCORE_BINS = 20;
/** Metrics leave a site rounded to this many decimal places (stated in each result as metricDecimals). */
export const METRIC_DECIMALS = 2;

/** The confusion matrix at a 0.5 threshold (positive when the score is at least 0.5), each cell released as a count. */
export const ZConfusionMatrix = z.object({
  tp: ZReleasedCell,
  fp: ZReleasedCell,
  tn: ZReleasedCell,
  fn: ZReleasedCell,
});
export type ConfusionMatrix = z.infer<typeof ZConfusionMatrix>;

/** Predicted scores per true class in SCORE_BINS bins, each cell released as a count: what the hub pools ROC and calibration from. */
export const ZScoreHistogram = z.object({
  positive: z.array(ZReleasedCell).length(SCORE_BINS),
  negative: z.array(ZReleasedCell).length(SCORE_BINS),
});
export type ScoreHistogram = z.infer<typeof ZScoreHistogram>;

/**
 * The counts of an evaluated split that let the hub pool properly (summed matrices and histograms,
 * not means of site figures). All null or suppressed when the split's positives or negatives are
 * below the threshold; then its metrics are null as well.
 */
export const ZSplitCounts = z.object({
  positives: ZReleasedCell.optional(),
  negatives: ZReleasedCell.optional(),
  confusion: ZConfusionMatrix.nullable().optional(),
  histogram: ZScoreHistogram.nullable().optional(),
});
export type SplitCounts = z.infer<typeof ZSplitCounts>;

/** How a result's figures were released: counts rounded to multiples of `rounding`, metrics to `metricDecimals` places. */
const ZReleaseStatement = {
  rounding: z.number().int().min(1).max(100).optional(),
  metricDecimals: z.number().int().min(0).max(3).optional(),
};

export const ZTrainResult = z.object({
  /** Training examples used; the FedAvg weight. A site below its minimum cohort size refuses instead. */
  exampleCount: z.number().int().positive(),
  /** The suppression threshold the site applied to the validation figures (the hub's minCellCount or more). */
  threshold: z.number().int().min(1).optional(),
  ...ZReleaseStatement,
  /** The round's incoming global model on this site's validation split, before local training. */
  globalValidation: ZEvaluationMetrics.extend({
    examples: ZReleasedCell,
  }).extend(ZSplitCounts.shape),
  /** This site's model after local training, on the same validation split. */
  localValidation: ZEvaluationMetrics,
  trainLoss: z.number().finite(),
  epochs: z.number().int().positive(),
  /** Which TF.js backend ran (e.g. "tensorflow" for tfjs-node-gpu, "wasm", "cpu"). */
  backend: z.string().max(40),
  trainingMs: z.number().nonnegative(),
  /** With differential privacy: the guarantee this update carries and the site's spend on the project. */
  privacy: ZPrivacyReport.optional(),
});
export type TrainResult = z.infer<typeof ZTrainResult>;

export const ZEvaluatePayload = z.object({
  ...ZRequestScope,
  jobId: z.uuid(),
  model: ZModelPackage,
  cohort: ZCohortDefinition,
  split: ZSplit,
  minCellCount: z.number().int().min(1).max(1000).optional(),
});
export type EvaluatePayload = z.infer<typeof ZEvaluatePayload>;

export const ZEvaluateResult = z.object({
  threshold: z.number().int().min(1),
  ...ZReleaseStatement,
  /** Test-split examples, suppressed (with every metric null) when its positives or negatives are below the threshold. */
  examples: ZReleasedCell,
  metrics: ZEvaluationMetrics,
  ...ZSplitCounts.shape,
  backend: z.string().max(40),
});
export type EvaluateResult = z.infer<typeof ZEvaluateResult>;

export function encodeTrainResultHeader(result: TrainResult): string {
  return Buffer.from(JSON.stringify(result), "utf8").toString("base64url");
}

export function decodeTrainResultHeader(value: string | null): unknown {
  if (!value) return undefined;
  try {
    return JSON.parse(Buffer.from(value, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
}
