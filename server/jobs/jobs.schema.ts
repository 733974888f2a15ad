import { z } from "zod";
import { ZMinSites } from "./quorum.schema";
import { ZStrategyConfig } from "@/server/aggregation/strategy.schema";
import { OPTIMIZERS } from "@/protocol/training";

export const JOB_LIMITS = {
  maxLocalEpochs: 50,
  maxBatchSize: 1024,
  minDeadlineSeconds: 30,
  maxDeadlineSeconds: 7 * 24 * 3600,
} as const;

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

export const ZTrainJobInput = z
  .object({
    projectId: z.uuid(),
    versionId: z.uuid({ error: "Choose the model version to start from" }),
    hyperparameters: ZHyperparameters,
    strategy: ZStrategyConfig,
    participation: ZParticipation.extend({ minSites: ZMinSites }),
    siteIds: z.array(z.uuid()).min(1, "Choose at least one approved site").max(100),
    /** The L2 bound on one site's update; the hub refuses larger ones. */
    normBound: z.number().positive().max(1e6).default(100),
    validationFraction: z.number().min(0.05).max(0.5).default(0.2),
  })
  .superRefine((input, ctx) => {
    if (input.participation.minSites > input.siteIds.length) {
      ctx.addIssue({
        code: "custom",
        path: ["participation", "minSites"],
        message: `Minimum sites per round (${input.participation.minSites}) is more than the ${input.siteIds.length} sites chosen`,
      });
    }
  });
export type TTrainJobInput = z.infer<typeof ZTrainJobInput>;

export const ZEvaluateJobInput = z.object({
  projectId: z.uuid(),
  versionId: z.uuid({ error: "Choose the model version to evaluate" }),
  siteIds: z.array(z.uuid()).min(1, "Choose at least one approved site").max(100),
  validationFraction: z.number().min(0.05).max(0.5).default(0.2),
});
export type TEvaluateJobInput = z.infer<typeof ZEvaluateJobInput>;

export const ZJobRef = z.object({ projectId: z.uuid(), jobId: z.uuid() });

/** What a job stores as its config: everything the rounds need, fixed at creation. */
export type JobConfig = {
  hyperparameters?: Hyperparameters;
  strategy?: z.infer<typeof ZStrategyConfig>;
  participation?: z.infer<typeof ZParticipation>;
  normBound?: number;
  split: { seed: string; validationFraction: number };
};
