import { ZSiteIdInput } from "@/server/sites/sites.schema";
import { cancelTask } from "@/server/tasks/task-interventions";
import { adminProcedure, createTRPCRouter, requireStepUp } from "@/server/trpc";
import { listSiteMonitor } from "./site-health.service";
import { ZIssueTokenInput, ZTaskIdInput } from "./site-network.schema";
import { getSiteDetail, requestInventory } from "./site-network.service";
import { issueSiteToken, revokeSiteTokens } from "./site-tokens.service";

/** The admin's view and control of site workers. */
export const siteNetworkRouter = createTRPCRouter({
  monitor: adminProcedure.query(({ ctx }) => listSiteMonitor(ctx.db)),
  detail: adminProcedure.input(ZSiteIdInput).query(({ ctx, input }) => getSiteDetail(ctx.db, input)),
  issueToken: adminProcedure
    .use(requireStepUp)
    .input(ZIssueTokenInput)
    .mutation(({ ctx, input }) => issueSiteToken(ctx.db, ctx.viewer, input)),
  revokeTokens: adminProcedure
    .use(requireStepUp)
    .input(ZSiteIdInput)
    .mutation(({ ctx, input }) => revokeSiteTokens(ctx.db, ctx.viewer, input)),
  requestInventory: adminProcedure
    .input(ZSiteIdInput)
    .mutation(({ ctx, input }) => requestInventory(ctx.db, ctx.viewer, input)),
  cancelTask: adminProcedure.input(ZTaskIdInput).mutation(({ ctx, input }) => cancelTask(ctx.db, ctx.viewer, input)),
});
