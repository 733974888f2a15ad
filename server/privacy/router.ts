import { createTRPCRouter, projectProcedure } from "@/server/trpc";
import { listPrivacyBudgets } from "./privacy.service";

export const privacyRouter = createTRPCRouter({
  budgets: projectProcedure("project:read").query(({ ctx }) =>
    listPrivacyBudgets(ctx.db, { projectId: ctx.project.id }),
  ),
});
