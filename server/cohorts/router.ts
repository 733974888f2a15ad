import { createTRPCRouter, projectProcedure } from "@/server/trpc";
import { ZCohortRunInput, ZRunCohortInput } from "./cohorts.schema";
import { getCohortRun, listCohortRuns, runCohort } from "./cohorts.service";

export const cohortsRouter = createTRPCRouter({
  run: projectProcedure("cohort:run")
    .input(ZRunCohortInput)
    .mutation(({ ctx, input }) => runCohort(ctx.db, ctx.viewer, input)),
  runs: projectProcedure("project:read").query(({ ctx }) => listCohortRuns(ctx.db, { projectId: ctx.project.id })),
  result: projectProcedure("project:read")
    .input(ZCohortRunInput)
    .query(({ ctx, input }) => getCohortRun(ctx.db, { ...input, projectId: ctx.project.id })),
});
