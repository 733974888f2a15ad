import { adminProcedure, createTRPCRouter } from "@/server/trpc";
import { ZAuditListInput } from "./audit.schema";
import { listAuditActions, listAuditEvents, verifyAuditChain } from "./audit.service";

export const auditRouter = createTRPCRouter({
  list: adminProcedure.input(ZAuditListInput).query(({ ctx, input }) => listAuditEvents(ctx.db, input)),
  actions: adminProcedure.query(({ ctx }) => listAuditActions(ctx.db)),
  verify: adminProcedure.query(({ ctx }) => verifyAuditChain(ctx.db)),
});
