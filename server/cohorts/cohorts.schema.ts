import { z } from "zod";
import { ZCountPrivacy } from "@/protocol/privacy/dp-counts";

export const ZRunCohortInput = z.object({
  projectId: z.uuid(),
  purpose: z.enum(["feasibility", "approved"]),
  siteIds: z.array(z.uuid()).min(1, "Choose at least one site").max(100),
  /** Discrete Gaussian noise on every count, at this ε (and δ) per count, charged to each site's budget for the project. */
  differentialPrivacy: ZCountPrivacy.optional(),
});
export type TRunCohortInput = z.infer<typeof ZRunCohortInput>;

export const ZCohortRunInput = z.object({ projectId: z.uuid(), runId: z.uuid("Choose a cohort run") });
