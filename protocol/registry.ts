import { z } from "zod";
import type { DifferentialPrivacy } from "./privacy/dp-settings";
import { OPTIMIZERS, type EvaluationMetrics, type Split, type SplitCounts } from "./training";

/**
 * The hub's own JSON records that the database stores: a job's config, a model version's lineage
 * and metrics. Sites never see these as such; they live here because db/ may import only protocol/
 * and each jsonb column takes its type from one definition. The forms and the hub validate with
 * the same zod schemas.
 */

// ---- job config ------------------------------------------------------------------------------

export const JOB_LIMITS = {
  maxLocalEpochs: 50,
  maxBatchSize: 1024,
  minDeadlineSeconds: 30,
  maxDeadlineSeconds: 7 * 24 * 3600,
} as const;

/** How the hub turns a round's mean update into the next model; see server/aggregation/strategies.ts for the maths. */
export const ZStrategyConfig = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("fedavg") }),
  z.object({ kind: z.literal("fedprox"), mu: z.number().nonnegative() }),
  z.object({
    kind: z.literal("fedadam"),
    serverLr: z.number().positive(),
    beta1: z.number().min(0).max(1).default(0.9),
    beta2: z.number().min(0).max(1).default(0.99),
    tau: z.number().positive().default(1e-3),
  }),
]);
export type StrategyConfig = z.infer<typeof ZStrategyConfig>;

export const ZHyperparameters = z.object({
  rounds: z.number({ error: "Enter the number of rounds" }).int().min(1, "Train for at least 1 round").max(1000),
  localEpochs: z
    .number({ error: "Enter the local epochs" })
    .int()
    .min(1, "At least 1 local epoch")
    .max(JOB_LIMITS.maxLocalEpochs, `At most ${JOB_LIMITS.maxLocalEpochs} local epochs`),
  batchSize: z
    .number({ error: "Enter the batch size" })
    .int()
    .min(1, "Batch size must be at least 1")
    .max(JOB_LIMITS.maxBatchSize, `Batch size at most ${JOB_LIMITS.maxBatchSize}`),
  learningRate: z
    .number({ error: "Enter the learning rate" })
    .positive("The learning rate must be above 0")
    .max(10, "A learning rate above 10 will diverge"),
  optimizer: z.enum(OPTIMIZERS, { error: "Choose sgd or adam" }),
});
export type Hyperparameters = z.infer<typeof ZHyperparameters>;

export const ZParticipation = z.object({
  minSites: z.number({ error: "Enter the minimum sites per round" }).int().min(1, "At least 1 site per round"),
  roundDeadlineSeconds: z
    .number({ error: "Enter the round deadline" })
    .int()
    .min(JOB_LIMITS.minDeadlineSeconds, `Give each round at least ${JOB_LIMITS.minDeadlineSeconds} s`)
    .max(JOB_LIMITS.maxDeadlineSeconds, "A round deadline can be at most 7 days"),
});
export type Participation = z.infer<typeof ZParticipation>;

/** What a job stores as its config (jobs.config): everything the rounds need, fixed at creation. */
export type JobConfig = {
  hyperparameters?: Hyperparameters;
  strategy?: StrategyConfig;
  participation?: Participation;
  normBound?: number;
  split: Split;
  /** Site-level DP-FedAvg (clip = normBound), optionally with example-level DP-SGD; absent: no DP. */
  differentialPrivacy?: DifferentialPrivacy;
  /** Rounds aggregate with secure aggregation: the hub sees only masked updates and their sum. */
  secureAggregation?: boolean;
};

// ---- model versions --------------------------------------------------------------------------

/** Where a version came from (model_versions.lineage): enough to rebuild the model card and to trust (or distrust) it. */
export type Lineage =
  | { kind: "initial"; from: "template" | "architecture"; template?: string }
  | { kind: "import"; fileNames: string[] }
  | {
      kind: "training";
      jobId: string;
      round: number;
      sites: { code: string; examples: number }[];
      expectedSites: string[];
      revisionHash: string;
      hyperparameters: unknown;
      strategy: unknown;
      backends: Record<string, string>;
    };

/** The counts a site released with its metrics, and the rule it released them under (what each cell can stand for). */
export type SiteCounts = SplitCounts & { threshold: number; rounding: number };
/** One site's figures for a model, as it reported them (suppressed below its threshold; metrics rounded). */
export type SiteMetrics = {
  siteCode: string;
  examples: number | "suppressed";
  metrics: EvaluationMetrics;
  /** Absent in results from workers before pooled counts. */
  counts?: SiteCounts;
};

/** A figure's range over every exact count the released (rounded, suppressed) cells could stand for. */
export type Interval = [number, number];

/** What the hub pools from the sites' summed confusion matrices and score histograms (server/jobs/pool-metrics.ts). */
export type PooledCounts = {
  /** Sites whose matrices and histograms were summed, and sites left out because theirs were suppressed. */
  sitesPooled: string[];
  sitesLeftOut: string[];
  /** Summed cells at 0.5; a suppressed cell counts its share of its class's remainder (released class total minus released cells). */
  confusion: { tp: number; fp: number; tn: number; fn: number };
  /** Score bins, and the AUC's interval from ties within bins (the bin resolution's error bound). */
  bins: number;
  aucBinInterval: Interval | null;
  /** Ranges allowing every released cell to be any count it could stand for (rounding) and every suppressed cell 0 to threshold − 1. */
  bounds: {
    accuracy: Interval | null;
    sensitivity: Interval | null;
    specificity: Interval | null;
    auc: Interval | null;
  };
  /** Pooled ROC at the bin edges, from (0, 0) to (1, 1). */
  roc: { threshold: number; fpr: number; tpr: number }[];
  /** Observed positive fraction per score bin against the bin's mid score; bins with no released examples left out. */
  calibration: { bin: number; midScore: number; observed: number; examples: number; observedRange: Interval }[];
};

/**
 * Site figures pooled: accuracy, sensitivity and specificity from the summed confusion matrices, AUC
 * from the summed score histograms, loss as the example-weighted mean of site losses (a mean per
 * example pools that way). Versions stored before pooled counts have no `counts`.
 */
export type PooledMetrics = EvaluationMetrics & { examples: number; sites: number; counts?: PooledCounts };

/** What the hub stores on a model version as `metrics`; the column is null until a site has measured it. */
export type VersionMetrics = { validation: PooledMetrics | null; perSite: SiteMetrics[]; source: string };
