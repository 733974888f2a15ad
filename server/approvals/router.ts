import { createTRPCRouter, protectedProcedure, requireStepUp, siteApproverProcedure } from "@/server/trpc";
import { getSite } from "@/server/sites/sites.service";
import { listApproverChanges } from "@/server/users/grant-requests.service";
import { ZApprovalRef, ZDecideInput } from "./approvals.schema";
import {
  countPendingApprovals,
  decideApproval,
  getApprovalRequest,
  listApproverSites,
  listPendingApprovals,
} from "./approvals.service";

export const approvalsRouter = createTRPCRouter({
  /** The sites the viewer may decide for; empty for anyone who is not an approver. */
  mySites: protectedProcedure.query(({ ctx }) => listApproverSites(ctx.viewer)),
  pendingCount: protectedProcedure.query(({ ctx }) => countPendingApprovals(ctx.db, ctx.viewer)),
  site: siteApproverProcedure("approvals:read").query(({ ctx }) => getSite(ctx.db, { siteId: ctx.siteId })),
  inbox: siteApproverProcedure("approvals:read").query(({ ctx }) =>
    listPendingApprovals(ctx.db, { siteId: ctx.siteId }),
  ),
  /** Who else may soon decide, or recently became able to decide, for the site: announced to its approvers. */
  approverChanges: siteApproverProcedure("approvals:read").query(({ ctx }) =>
    listApproverChanges(ctx.db, { siteId: ctx.siteId }),
  ),
  request: siteApproverProcedure("approvals:read")
    .input(ZApprovalRef)
    .query(({ ctx, input }) => getApprovalRequest(ctx.db, { ...input, siteId: ctx.siteId })),
  decide: siteApproverProcedure("approvals:decide")
    .use(requireStepUp)
    .input(ZDecideInput)
    .mutation(({ ctx, input }) => decideApproval(ctx.db, ctx.viewer, input)),
});
