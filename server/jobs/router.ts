import { createTRPCRouter, projectProcedure } from "@/server/trpc";
import { getJobDetail } from "./job-detail";
import { ZEvaluateJobInput, ZJobRef, ZTrainJobInput } from "./jobs.schema";
import { cancelJob, createEvaluateJob, createTrainJob, listJobs } from "./jobs.service";

export const jobsRouter = createTRPCRouter({
  list: projectProcedure("project:read").query(({ ctx }) => listJobs(ctx.db, { projectId: ctx.project.id })),
  byId: projectProcedure("project:read")
    .input(ZJobRef)
    .query(({ ctx, input }) => getJobDetail(ctx.db, { ...input, projectId: ctx.project.id })),
  train: projectProcedure("job:run")
    .input(ZTrainJobInput)
    .mutation(({ ctx, input }) => createTrainJob(ctx.db, ctx.viewer, { ...input, projectId: ctx.project.id })),
  evaluate: projectProcedure("job:run")
    .input(ZEvaluateJobInput)
    .mutation(({ ctx, input }) => createEvaluateJob(ctx.db, ctx.viewer, { ...input, projectId: ctx.project.id })),
  cancel: projectProcedure("job:run")
    .input(ZJobRef)
    .mutation(({ ctx, input }) => cancelJob(ctx.db, ctx.viewer, { ...input, projectId: ctx.project.id })),
});
