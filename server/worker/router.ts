import {
  ZClaimInput,
  ZClaimResult,
  ZCompleteInput,
  ZFailInput,
  ZFailResult,
  ZHeartbeatInput,
  ZHeartbeatResult,
  ZProgressInput,
  ZProgressResult,
  ZReleaseInput,
  ZSecAggAdvertiseInput,
  ZSecAggShareInput,
  ZSecAggState,
  ZSecAggStateInput,
  ZSecAggUnmaskInput,
} from "@/protocol/contract";
import { advertiseKeys, answerUnmask, secAggState, shareKeys } from "@/server/jobs/secagg-rounds";
import { recordHeartbeat } from "@/server/site-network/site-health.service";
import { claimTask } from "@/server/tasks/leasing";
import { completeTask, failTask, releaseTask, renewLease } from "@/server/tasks/tasks.service";
import { createTRPCRouter, workerProcedure } from "@/server/trpc";

/** The site worker's side of the protocol (protocol/contract.ts). */
export const workerRouter = createTRPCRouter({
  heartbeat: workerProcedure
    .input(ZHeartbeatInput)
    .output(ZHeartbeatResult)
    .mutation(({ ctx, input }) => recordHeartbeat(ctx.db, ctx.site, input)),
  claim: workerProcedure
    .input(ZClaimInput)
    .output(ZClaimResult)
    .mutation(async ({ ctx, input, signal }) => ({ task: await claimTask(ctx.db, ctx.site, { ...input, signal }) })),
  progress: workerProcedure
    .input(ZProgressInput)
    .output(ZProgressResult)
    .mutation(({ ctx, input }) => renewLease(ctx.db, ctx.site, input)),
  complete: workerProcedure.input(ZCompleteInput).mutation(({ ctx, input }) => completeTask(ctx.db, ctx.site, input)),
  fail: workerProcedure
    .input(ZFailInput)
    .output(ZFailResult)
    .mutation(({ ctx, input }) => failTask(ctx.db, ctx.site, input)),
  release: workerProcedure.input(ZReleaseInput).mutation(({ ctx, input }) => releaseTask(ctx.db, ctx.site, input)),
  secAggAdvertise: workerProcedure
    .input(ZSecAggAdvertiseInput)
    .mutation(({ ctx, input }) => advertiseKeys(ctx.db, ctx.site, input)),
  secAggShare: workerProcedure
    .input(ZSecAggShareInput)
    .mutation(({ ctx, input }) => shareKeys(ctx.db, ctx.site, input)),
  secAggState: workerProcedure
    .input(ZSecAggStateInput)
    .output(ZSecAggState)
    .mutation(({ ctx, input, signal }) => secAggState(ctx.db, ctx.site, { ...input, signal })),
  secAggUnmask: workerProcedure
    .input(ZSecAggUnmaskInput)
    .mutation(({ ctx, input }) => answerUnmask(ctx.db, ctx.site, input)),
});
