import { createTRPCRouter, protectedProcedure, siteApproverProcedure } from "@/server/trpc";
import { getSite } from "@/server/sites/sites.service";

export const approvalsRouter = createTRPCRouter({
  /** The sites the viewer may decide for; empty for anyone who is not an approver. */
  mySites: protectedProcedure.query(({ ctx }) =>
    ctx.viewer.grants.flatMap((g) => (g.role === "approver" && g.siteId ? [{ siteId: g.siteId, code: g.siteCode, name: g.siteName }] : [])),
  ),
  site: siteApproverProcedure("approvals:read").query(({ ctx }) => getSite(ctx.db, ctx.siteId)),
});
