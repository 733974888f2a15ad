import { createTRPCRouter, protectedProcedure, siteApproverProcedure } from "@/server/trpc";
import { getSite } from "@/server/sites/sites.service";
import { ZApprovalRef, ZDecideInput } from "./approvals.schema";
import { countPendingForSites, decideApproval, getApprovalRequest, listPendingForSite } from "./approvals.service";

const approverSiteIds = (grants: { role: string; siteId: string | null }[]) =>
  grants.flatMap((g) => (g.role === "approver" && g.siteId ? [g.siteId] : []));

export const approvalsRouter = createTRPCRouter({
  /** The sites the viewer may decide for; empty for anyone who is not an approver. */
  mySites: protectedProcedure.query(({ ctx }) =>
    ctx.viewer.grants.flatMap((g) =>
      g.role === "approver" && g.siteId ? [{ siteId: g.siteId, code: g.siteCode, name: g.siteName }] : [],
    ),
  ),
  pendingCount: protectedProcedure.query(({ ctx }) => countPendingForSites(ctx.db, approverSiteIds(ctx.viewer.grants))),
  site: siteApproverProcedure("approvals:read").query(({ ctx }) => getSite(ctx.db, ctx.siteId)),
  inbox: siteApproverProcedure("approvals:read").query(({ ctx }) => listPendingForSite(ctx.db, ctx.siteId)),
  request: siteApproverProcedure("approvals:read")
    .input(ZApprovalRef)
    .query(({ ctx, input }) => getApprovalRequest(ctx.db, ctx.siteId, input.approvalId)),
  decide: siteApproverProcedure("approvals:decide")
    .input(ZDecideInput)
    .mutation(({ ctx, input }) => decideApproval(ctx.db, ctx.viewer, input)),
});
