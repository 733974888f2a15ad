import { createTRPCRouter, protectedProcedure, requireStepUp, siteApproverProcedure } from "@/server/trpc";
import { getSite } from "@/server/sites/sites.service";
import { listApproverChanges } from "@/server/users/grant-requests.service";
import {
  ZApprovalRef,
  ZDecideInput,
  ZDecisionHistoryInput,
  ZSiteProjectInput,
  ZWithdrawInput,
} from "./approvals.schema";
import { listMyApproverKeys } from "./approver-keys.service";
import {
  countPendingApprovals,
  decideApproval,
  getApprovalRequest,
  listApproverSites,
  listPendingApprovals,
} from "./approvals.service";
import { getSiteProjectActivity, listDecisionHistory, listSiteProjects } from "./console.service";
import { withdrawApproval } from "./withdraw.service";

export const approvalsRouter = createTRPCRouter({
  /** The sites the viewer may decide for; empty for anyone who is not an approver. */
  mySites: protectedProcedure.query(({ ctx }) => listApproverSites(ctx.viewer)),
  /** The viewer's passkeys as signing keys, with the fingerprint their Trust's IT enrols in the site policy. */
  myKeys: protectedProcedure.query(async ({ ctx }) => ({
    name: ctx.viewer.name,
    keys: await listMyApproverKeys(ctx.db, ctx.viewer),
  })),
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
    .query(({ ctx, input }) => getApprovalRequest(ctx.db, ctx.viewer, { ...input, siteId: ctx.siteId })),
  decide: siteApproverProcedure("approvals:decide")
    .use(requireStepUp)
    .input(ZDecideInput)
    .mutation(({ ctx, input }) => decideApproval(ctx.db, ctx.viewer, input)),
  withdraw: siteApproverProcedure("approvals:decide")
    .input(ZWithdrawInput)
    .mutation(({ ctx, input }) => withdrawApproval(ctx.db, ctx.viewer, input)),
  history: siteApproverProcedure("approvals:read")
    .input(ZDecisionHistoryInput)
    .query(({ ctx, input }) => listDecisionHistory(ctx.db, ctx.viewer, input)),
  projects: siteApproverProcedure("approvals:read").query(({ ctx }) =>
    listSiteProjects(ctx.db, { siteId: ctx.siteId }),
  ),
  projectActivity: siteApproverProcedure("approvals:read")
    .input(ZSiteProjectInput)
    .query(({ ctx, input }) => getSiteProjectActivity(ctx.db, input)),
});
