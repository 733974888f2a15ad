import { accountRouter } from "./account/router";
import { approvalsRouter } from "./approvals/router";
import { auditRouter } from "./audit/router";
import { cohortsRouter } from "./cohorts/router";
import { factorsRouter } from "./factors/router";
import { jobsRouter } from "./jobs/router";
import { modelsRouter } from "./models/router";
import { notificationsRouter } from "./notifications/router";
import { passkeysRouter } from "./passkeys/router";
import { privacyRouter } from "./privacy/router";
import { projectsRouter } from "./projects/router";
import { siteNetworkRouter } from "./site-network/router";
import { sitesRouter } from "./sites/router";
import { createCallerFactory, createTRPCRouter } from "./trpc";
import { usersRouter } from "./users/router";
import { vocabularyRouter } from "./vocabulary/router";
import { workerRouter } from "./worker/router";

export const appRouter = createTRPCRouter({
  account: accountRouter,
  approvals: approvalsRouter,
  audit: auditRouter,
  cohorts: cohortsRouter,
  factors: factorsRouter,
  jobs: jobsRouter,
  models: modelsRouter,
  notifications: notificationsRouter,
  passkeys: passkeysRouter,
  privacy: privacyRouter,
  projects: projectsRouter,
  siteNetwork: siteNetworkRouter,
  sites: sitesRouter,
  users: usersRouter,
  vocabulary: vocabularyRouter,
  worker: workerRouter,
});

export type AppRouter = typeof appRouter;

/** Calls procedures in-process with a given context. @internal for router tests. */
export const createCaller = createCallerFactory(appRouter);
