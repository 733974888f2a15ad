import { z } from "zod";

export const ZRunCohortInput = z.object({
  projectId: z.uuid(),
  purpose: z.enum(["feasibility", "approved"]),
  siteIds: z.array(z.uuid()).min(1, "Choose at least one site").max(100),
});
export type TRunCohortInput = z.infer<typeof ZRunCohortInput>;

export const ZCohortRunInput = z.object({ projectId: z.uuid(), runId: z.uuid("Choose a cohort run") });
