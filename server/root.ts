import { accountRouter } from "./account/router";
import { approvalsRouter } from "./approvals/router";
import { auditRouter } from "./audit/router";
import { sitesRouter } from "./sites/router";
import { createCallerFactory, createTRPCRouter } from "./trpc";
import { usersRouter } from "./users/router";

export const appRouter = createTRPCRouter({
  account: accountRouter,
  approvals: approvalsRouter,
  audit: auditRouter,
  sites: sitesRouter,
  users: usersRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
