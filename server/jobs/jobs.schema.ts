import { z } from "zod";
import { ZMinSites } from "./quorum.schema";
import { ZDifferentialPrivacy } from "@/protocol/privacy/dp-settings";
import { ZHyperparameters, ZParticipation, ZStrategyConfig } from "@/protocol/registry";

// A job's stored config (jobs.config) is typed in the database schema, so its parts are defined in protocol/registry.ts.
export { ZHyperparameters, type JobConfig } from "@/protocol/registry";

/** Secure aggregation needs at least this many sites per round: with two, each learns the other's update from the sum. */
export const MIN_SECURE_AGGREGATION_SITES = 3;

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
    /** Differential privacy at the sites; absent trains without it. */
    differentialPrivacy: ZDifferentialPrivacy.optional(),
    secureAggregation: z.boolean().default(false),
  })
  .superRefine((input, ctx) => {
    if (input.participation.minSites > input.siteIds.length) {
      ctx.addIssue({
        code: "custom",
        path: ["participation", "minSites"],
        message: `Minimum sites per round (${input.participation.minSites}) is more than the ${input.siteIds.length} sites chosen`,
      });
    }
    if (input.secureAggregation && input.participation.minSites < MIN_SECURE_AGGREGATION_SITES) {
      ctx.addIssue({
        code: "custom",
        path: ["participation", "minSites"],
        message: `Secure aggregation needs at least ${MIN_SECURE_AGGREGATION_SITES} sites per round, so no sum reveals one site's update to another; raise the minimum to ${MIN_SECURE_AGGREGATION_SITES}`,
      });
    }
    if (input.secureAggregation && input.siteIds.length < MIN_SECURE_AGGREGATION_SITES) {
      ctx.addIssue({
        code: "custom",
        path: ["secureAggregation"],
        message: `Secure aggregation needs at least ${MIN_SECURE_AGGREGATION_SITES} sites; choose more sites or turn it off`,
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
