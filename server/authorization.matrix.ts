import type { inferRouterInputs } from "@trpc/server";
import { eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { projects, roleGrants, siteApprovals, type Site } from "@/db/schema";
import { runCohort } from "@/server/cohorts/cohorts.service";
import { initialBundle } from "@/server/projects/bundle";
import { addMember, createProject, reviseBundle, submitProject } from "@/server/projects/projects.service";
import { ZCohortDefinition } from "@/protocol/cohort-definition";
import type { Viewer } from "@/server/auth/permissions";
import { requestInventory } from "@/server/site-network/site-network.service";
import { FIXTURE_PASSWORD, makeSite, makeUser, viewerOf } from "@/server/lib/test-support/fixtures";
import type { AppRouter } from "@/server/root";
import { createEvaluateJob } from "@/server/jobs/jobs.service";
import { setAlias } from "@/server/models/models.service";
import {
  logisticModel,
  makeTrainingProject,
  tfjsUploadOf,
  trainJobInput,
} from "@/server/lib/test-support/training-fixtures";

/**
 * Who may call each procedure. Derived from server/auth/permissions.ts and the procedure ladder in
 * server/trpc.ts, and the rules of ARCHITECTURE.md: an approver acts only for their own site and
 * nobody else (not even an admin) can act for it; admins run users, sites and the audit log.
 * `worker.*` is for site workers holding a site token, never for people: every user is refused.
 */

type Inputs = inferRouterInputs<AppRouter>;
export type ProcedurePath = { [R in keyof Inputs]: `${R & string}.${keyof Inputs[R] & string}` }[keyof Inputs];
type InputOf<P extends ProcedurePath> = P extends `${infer R extends keyof Inputs}.${infer N}`
  ? N extends keyof Inputs[R]
    ? Inputs[R][N]
    : never
  : never;

export const ACTORS = [
  "signedOut",
  "researcher",
  "approverA",
  "approverB",
  "admin",
  "temporaryPassword",
  "noGrants",
] as const;
export type ActorName = (typeof ACTORS)[number];

export type World = {
  db: Database;
  siteA: Site;
  siteB: Site;
  viewers: Record<ActorName, Viewer | null>;
  projectId: string;
  training: { projectId: string; modelId: string; versionId: string };
};

/** Two sites and one viewer per actor. The temporary-password user holds every grant, so only the password can refuse them. */
export async function buildWorld(db: Database): Promise<World> {
  const siteA = await makeSite(db);
  const siteB = await makeSite(db);
  const ids = {
    researcher: (await makeUser(db, [{ role: "researcher" }])).id,
    approverA: (await makeUser(db, [{ role: "approver", siteId: siteA.id }])).id,
    approverB: (await makeUser(db, [{ role: "approver", siteId: siteB.id }])).id,
    admin: (await makeUser(db, [{ role: "admin" }])).id,
    temporaryPassword: (
      await makeUser(db, [{ role: "admin" }, { role: "researcher" }, { role: "approver", siteId: siteA.id }], {
        mustChangePassword: true,
      })
    ).id,
    noGrants: (await makeUser(db, [])).id,
  };
  const signedIn = await Promise.all(
    Object.entries(ids).map(async ([actor, id]) => [actor, await viewerOf(db, id)] as const),
  );
  const viewers = { signedOut: null, ...Object.fromEntries(signedIn) } as Record<ActorName, Viewer | null>;
  const world = { db, siteA, siteB, viewers, projectId: "", training: { projectId: "", modelId: "", versionId: "" } };
  world.projectId = await researcherProject(world);
  // Approved and counted at both sites: a training round needs at least two.
  world.training = await makeTrainingProject(db, viewers.researcher!, [
    { approver: viewers.approverA!, siteId: siteA.id },
    { approver: viewers.approverB!, siteId: siteB.id },
  ]);
  return world;
}

const COHORT = {
  version: 1,
  entry: { type: "condition", concepts: [{ conceptId: 443454, includeDescendants: true }] },
  inclusionRules: [],
} as const;

/** A project the researcher owns, with a cohort defined; only its members can see it. */
async function researcherProject(world: Pick<World, "db" | "viewers">): Promise<string> {
  const researcher = world.viewers.researcher!;
  const project = await createProject(world.db, researcher, {
    title: `Matrix project ${++unique}`,
    purpose: "A purpose long enough to be accepted by the schema.",
  });
  // Each project counts a cohort of its own: the same definition is limited per site per day across projects.
  const bundle = {
    ...initialBundle("A purpose long enough to be accepted by the schema."),
    cohort: ZCohortDefinition.parse({ ...COHORT, demographics: { ageAtIndex: { min: unique % 100 } } }),
  };
  await reviseBundle(world.db, researcher, { projectId: project.id, bundle });
  return project.id;
}

/** A fresh request pending at site A, so each allowed decision has something to decide. */
async function pendingAtSiteA(world: World): Promise<string> {
  const projectId = await researcherProject(world);
  await submitProject(world.db, world.viewers.researcher!, { projectId, siteIds: [world.siteA.id] });
  const [approval] = await world.db
    .select({ id: siteApprovals.id })
    .from(siteApprovals)
    .innerJoin(projects, eq(projects.currentRevisionId, siteApprovals.revisionId))
    .where(eq(projects.id, projectId));
  return approval!.id;
}

function evaluationJob(w: World) {
  return createEvaluateJob(w.db, w.viewers.researcher!, {
    projectId: w.training.projectId,
    versionId: w.training.versionId,
    siteIds: [w.siteA.id],
    validationFraction: 0.2,
  });
}

export const SIGN_IN_FIRST = "Sign in to continue.";
export const SET_PASSWORD_FIRST = "Set a new password before continuing.";
const ADMIN_ONLY = "Only platform admins can do this.";
const SITE_APPROVER_ONLY = "Only an approver for this site can do this.";
const NO_ACCESS = "You do not have access to this.";

const SITE_TOKEN_REQUIRED = {
  code: "UNAUTHORIZED",
  message: "Send the site token as 'Authorization: Bearer <token>'.",
} as const;

type Row<P extends ProcedurePath> = {
  allowed: readonly ActorName[];
  /** What a signed-in actor outside `allowed` is told; absent when every signed-in actor is allowed. */
  refusal?: string;
  /** The code that refusal carries: FORBIDDEN unless the procedure hides the thing (NOT_FOUND). */
  refusalCode?: "FORBIDDEN" | "NOT_FOUND";
  /** Overrides the sign-in ladder's refusals: the procedure does not take a user session at all. */
  everyoneRefusedWith?: { code: string; message: string };
  input: (world: World) => InputOf<P> | Promise<InputOf<P>>;
};

const SIGNED_IN = ["researcher", "approverA", "approverB", "admin", "temporaryPassword", "noGrants"] as const;
const ACTIVE = ["researcher", "approverA", "approverB", "admin", "noGrants"] as const;
const ADMIN = ["admin"] as const;

let unique = 0;
const none = () => undefined;

async function freshTarget(world: World) {
  return makeUser(world.db, [{ role: "researcher" }]);
}

const NOT_A_MEMBER = "No project with that id, or you are not a member of it.";
/** Project procedures: only members (here, the owning researcher) may call; everyone else is told it does not exist. */
const projectOnly = <P extends ProcedurePath>(input: Row<P>["input"]): Row<P> => ({
  allowed: ["researcher"],
  refusal: NOT_A_MEMBER,
  refusalCode: "NOT_FOUND",
  input,
});

const lease = { taskId: "00000000-0000-4000-8000-000000000001", leaseId: "00000000-0000-4000-8000-000000000002" };
const forWorkersOnly = { allowed: [], everyoneRefusedWith: SITE_TOKEN_REQUIRED } as const;

export const MATRIX: { [P in ProcedurePath]: Row<P> } = {
  "account.me": { allowed: SIGNED_IN, input: none },
  "account.changePassword": {
    allowed: SIGNED_IN,
    input: () => ({
      currentPassword: FIXTURE_PASSWORD,
      newPassword: "matrix-new-password",
      confirmPassword: "matrix-new-password",
    }),
  },
  "approvals.mySites": { allowed: ACTIVE, input: none },
  "approvals.pendingCount": { allowed: ACTIVE, input: none },
  "approvals.inbox": { allowed: ["approverA"], refusal: SITE_APPROVER_ONLY, input: (w) => ({ siteId: w.siteA.id }) },
  "approvals.request": {
    allowed: ["approverA"],
    refusal: SITE_APPROVER_ONLY,
    input: async (w) => ({ siteId: w.siteA.id, approvalId: await pendingAtSiteA(w) }),
  },
  "approvals.decide": {
    allowed: ["approverA"],
    refusal: SITE_APPROVER_ONLY,
    input: async (w) => ({ siteId: w.siteA.id, approvalId: await pendingAtSiteA(w), decision: "approved" }),
  },
  "cohorts.run": projectOnly<"cohorts.run">((w) =>
    researcherProject(w).then((projectId) => ({ projectId, purpose: "feasibility", siteIds: [w.siteA.id] })),
  ),
  "cohorts.runs": projectOnly<"cohorts.runs">((w) => ({ projectId: w.projectId })),
  "cohorts.result": projectOnly<"cohorts.result">(async (w) => {
    const projectId = await researcherProject(w);
    const run = await runCohort(w.db, w.viewers.researcher!, {
      projectId,
      purpose: "feasibility",
      siteIds: [w.siteA.id],
    });
    return { projectId, runId: run.id };
  }),
  "projects.list": { allowed: ACTIVE, input: () => ({}) },
  "projects.newDecisions": { allowed: ACTIVE, input: none },
  "projects.create": {
    allowed: ["researcher"],
    refusal: NO_ACCESS,
    input: () => ({ title: `Created ${++unique}`, purpose: "Enough words to describe why this project exists." }),
  },
  "projects.byId": projectOnly<"projects.byId">((w) => ({ projectId: w.projectId })),
  "projects.revisions": projectOnly<"projects.revisions">((w) => ({ projectId: w.projectId })),
  "projects.markDecisionsSeen": projectOnly<"projects.markDecisionsSeen">(async (w) => ({
    projectId: await researcherProject(w),
  })),
  "projects.updateBundle": projectOnly<"projects.updateBundle">(async (w) => ({
    projectId: await researcherProject(w),
    bundle: { ...initialBundle(`Changed purpose number ${++unique} for the matrix.`) },
  })),
  "projects.submit": projectOnly<"projects.submit">(async (w) => ({
    projectId: await researcherProject(w),
    siteIds: [w.siteA.id],
  })),
  "projects.addMember": projectOnly<"projects.addMember">(async (w) => ({
    projectId: await researcherProject(w),
    email: (await freshTarget(w)).email,
    role: "viewer",
  })),
  "projects.removeMember": projectOnly<"projects.removeMember">(async (w) => {
    const projectId = await researcherProject(w);
    const member = await freshTarget(w);
    await addMember(w.db, w.viewers.researcher!, { projectId, email: member.email, role: "member" });
    return { projectId, userId: member.id };
  }),
  "projects.close": projectOnly<"projects.close">(async (w) => ({ projectId: await researcherProject(w) })),
  "vocabulary.search": { allowed: ACTIVE, input: () => ({ query: "stroke" }) },
  "approvals.site": { allowed: ["approverA"], refusal: SITE_APPROVER_ONLY, input: (w) => ({ siteId: w.siteA.id }) },
  "audit.list": { allowed: ADMIN, refusal: ADMIN_ONLY, input: () => ({}) },
  "audit.actions": { allowed: ADMIN, refusal: ADMIN_ONLY, input: none },
  "audit.verify": { allowed: ADMIN, refusal: ADMIN_ONLY, input: none },
  "siteNetwork.monitor": { allowed: ADMIN, refusal: ADMIN_ONLY, input: none },
  "siteNetwork.detail": { allowed: ADMIN, refusal: ADMIN_ONLY, input: (w) => ({ siteId: w.siteA.id }) },
  "siteNetwork.issueToken": {
    allowed: ADMIN,
    refusal: ADMIN_ONLY,
    input: async (w) => ({ siteId: (await makeSite(w.db)).id }),
  },
  "siteNetwork.revokeTokens": {
    allowed: ADMIN,
    refusal: ADMIN_ONLY,
    input: async (w) => ({ siteId: (await makeSite(w.db)).id }),
  },
  "siteNetwork.requestInventory": {
    allowed: ADMIN,
    refusal: ADMIN_ONLY,
    input: async (w) => ({ siteId: (await makeSite(w.db)).id }),
  },
  "siteNetwork.cancelTask": {
    allowed: ADMIN,
    refusal: ADMIN_ONLY,
    input: async (w) => ({
      taskId: (await requestInventory(w.db, w.viewers.admin!, { siteId: (await makeSite(w.db)).id })).id,
    }),
  },
  "sites.directory": { allowed: ["researcher", "approverA", "approverB", "admin"], refusal: NO_ACCESS, input: none },
  "sites.list": { allowed: ADMIN, refusal: ADMIN_ONLY, input: none },
  "sites.byId": { allowed: ADMIN, refusal: ADMIN_ONLY, input: (w) => ({ siteId: w.siteA.id }) },
  "sites.create": {
    allowed: ADMIN,
    refusal: ADMIN_ONLY,
    input: () => ({ code: `MX${++unique}`, name: "Matrix Trust", region: "Test" }),
  },
  "sites.update": {
    allowed: ADMIN,
    refusal: ADMIN_ONLY,
    input: (w) => ({ siteId: w.siteB.id, name: `Renamed ${++unique}`, region: "Test" }),
  },
  "users.list": { allowed: ADMIN, refusal: ADMIN_ONLY, input: () => ({}) },
  "users.byId": { allowed: ADMIN, refusal: ADMIN_ONLY, input: async (w) => ({ userId: (await freshTarget(w)).id }) },
  "users.create": {
    allowed: ADMIN,
    refusal: ADMIN_ONLY,
    input: () => ({ email: `matrix${++unique}@test.flip`, name: "Matrix User" }),
  },
  "users.grantRole": {
    allowed: ADMIN,
    refusal: ADMIN_ONLY,
    input: async (w) => ({ userId: (await makeUser(w.db, [])).id, role: "approver", siteId: w.siteA.id }),
  },
  "users.revokeRole": {
    allowed: ADMIN,
    refusal: ADMIN_ONLY,
    input: async (w) => {
      const target = await freshTarget(w);
      const [grant] = await w.db.select({ id: roleGrants.id }).from(roleGrants).where(eq(roleGrants.userId, target.id));
      return { grantId: grant!.id };
    },
  },
  "users.setDisabled": {
    allowed: ADMIN,
    refusal: ADMIN_ONLY,
    input: async (w) => ({ userId: (await freshTarget(w)).id, disabled: true }),
  },
  "users.resetPassword": {
    allowed: ADMIN,
    refusal: ADMIN_ONLY,
    input: async (w) => ({ userId: (await freshTarget(w)).id }),
  },
  "worker.heartbeat": {
    ...forWorkersOnly,
    input: () => ({
      workerVersion: "1.0.0",
      capabilities: { tfjsBackend: "cpu", gpu: null, cpuCount: 2, memoryMb: 1024 },
      utilisation: { cpuPercent: 0, memoryPercent: 0 },
      tasksInFlight: [],
      selfChecks: [],
    }),
  },
  "models.list": projectOnly<"models.list">((w) => ({ projectId: w.training.projectId })),
  "models.byId": projectOnly<"models.byId">((w) => ({ projectId: w.training.projectId, modelId: w.training.modelId })),
  "models.version": projectOnly<"models.version">((w) => ({
    projectId: w.training.projectId,
    versionId: w.training.versionId,
  })),
  "privacy.budgets": projectOnly<"privacy.budgets">((w) => ({ projectId: w.training.projectId })),
  "models.card": projectOnly<"models.card">((w) => ({ projectId: w.training.projectId, modelId: w.training.modelId })),
  "models.register": projectOnly<"models.register">((w) => ({ projectId: w.training.projectId, ...logisticModel() })),
  "models.importVersion": projectOnly<"models.importVersion">(async (w) => ({
    projectId: w.training.projectId,
    modelId: w.training.modelId,
    ...(await tfjsUploadOf(w.db, w.training.projectId, w.training.versionId)),
  })),
  "models.setAlias": projectOnly<"models.setAlias">((w) => ({
    projectId: w.training.projectId,
    versionId: w.training.versionId,
    alias: "champion",
  })),
  "models.clearAlias": projectOnly<"models.clearAlias">(async (w) => {
    await setAlias(w.db, w.viewers.researcher!, {
      projectId: w.training.projectId,
      versionId: w.training.versionId,
      alias: "candidate",
    });
    return { projectId: w.training.projectId, modelId: w.training.modelId, alias: "candidate" };
  }),
  "models.updateLimitations": projectOnly<"models.updateLimitations">((w) => ({
    projectId: w.training.projectId,
    modelId: w.training.modelId,
    limitations: `Reviewed ${++unique}`,
  })),
  "jobs.list": projectOnly<"jobs.list">((w) => ({ projectId: w.training.projectId })),
  "jobs.byId": projectOnly<"jobs.byId">(async (w) => ({
    projectId: w.training.projectId,
    jobId: (await evaluationJob(w)).id,
  })),
  "jobs.train": projectOnly<"jobs.train">((w) => trainJobInput(w.training, [w.siteA.id, w.siteB.id])),
  "jobs.evaluate": projectOnly<"jobs.evaluate">((w) => ({
    projectId: w.training.projectId,
    versionId: w.training.versionId,
    siteIds: [w.siteA.id],
    validationFraction: 0.2,
  })),
  "jobs.cancel": projectOnly<"jobs.cancel">(async (w) => ({
    projectId: w.training.projectId,
    jobId: (await evaluationJob(w)).id,
  })),
  "worker.claim": { ...forWorkersOnly, input: () => ({ waitMs: 0 }) },
  "worker.progress": { ...forWorkersOnly, input: () => ({ ...lease, percent: 50 }) },
  "worker.complete": { ...forWorkersOnly, input: () => ({ ...lease, result: {} }) },
  "worker.fail": {
    ...forWorkersOnly,
    input: () => ({ ...lease, code: "handler_error", message: "x", retryable: false }),
  },
  "worker.release": { ...forWorkersOnly, input: () => lease },
};
