import { eq, sql } from "drizzle-orm";
import { projectInvitations, projectMembers, roleGrantRequests, roleGrants } from "@/db/schema";
import { runCohort } from "@/server/cohorts/cohorts.service";
import { initialBundle } from "@/server/projects/bundle";
import { inviteMember } from "@/server/projects/invitations.service";
import { PROJECT_ROLE_SCOPES, type ProjectScope } from "@/server/auth/permissions";
import { requestInventory } from "@/server/site-network/site-network.service";
import { addConfirmedTotp, makeSite, makeUser } from "@/server/lib/test-support/fixtures";
import { setAlias } from "@/server/models/models.service";
import { logisticModel, tfjsUploadOf, trainJobInput } from "@/server/lib/test-support/training-fixtures";
import {
  ACTIVE,
  ADMIN,
  PROJECT_ACTORS,
  RESEARCHERS,
  approvedAtSiteA,
  evaluationJob,
  pendingAtSiteA,
  researcherProject,
  type ActorName,
  type ProcedurePath,
  type ProjectActor,
  type Row,
  type World,
} from "./authorization.world";
import { ACCOUNT_ROWS } from "./authorization.account-rows";

/**
 * Who may call each procedure. Derived from server/auth/permissions.ts and the procedure ladder in
 * server/trpc.ts, and the rules of ARCHITECTURE.md: an approver acts only for their own site and
 * nobody else (not even an admin) can act for it; admins run users, sites and the audit log.
 * `worker.*` is for site workers holding a site token, never for people: every user is refused.
 */

export { ENROL_FIRST, STEP_UP_REQUIRED, VERIFY_FIRST } from "@/server/auth/second-factor";
export const SIGN_IN_FIRST = "Sign in to continue.";
export const SET_PASSWORD_FIRST = "Set a new password before continuing.";
const ADMIN_ONLY = "Only platform admins can do this.";
const SITE_APPROVER_ONLY = "Only an approver for this site can do this.";
const NO_ACCESS = "You do not have access to this.";

const SITE_TOKEN_REQUIRED = {
  code: "UNAUTHORIZED",
  message: "Send the site token as 'Authorization: Bearer <token>'.",
} as const;

let unique = 0;
const none = () => undefined;

async function freshTarget(world: World) {
  return makeUser(world.db, [{ role: "researcher" }]);
}

/** An approver grant for site A that another admin asked for, waiting for a second admin. */
async function pendingGrant(world: World): Promise<string> {
  const [target, requester] = [await freshTarget(world), await makeUser(world.db, [{ role: "admin" }])];
  const [request] = await world.db
    .insert(roleGrantRequests)
    .values({ userId: target.id, role: "approver", siteId: world.siteA.id, requestedBy: requester.id })
    .returning({ id: roleGrantRequests.id });
  return request!.id;
}

const NOT_A_MEMBER = "No project with that id, or you are not a member of it.";
export const NOT_A_RESEARCHER = "Only researchers can change a project. Ask a platform admin for the researcher role.";

/**
 * Project procedures: members whose project role holds `scope` may call; anything beyond reading
 * also needs the researcher platform role. Non-members are told the project does not exist.
 */
const projectOnly = <P extends ProcedurePath>(scope: ProjectScope, input: Row<P>["input"]): Row<P> => {
  const allowed: ActorName[] = [];
  const refusals: Row<P>["refusals"] = {};
  for (const [actor, role] of Object.entries(PROJECT_ACTORS) as [ProjectActor, keyof typeof PROJECT_ROLE_SCOPES][]) {
    if (!(PROJECT_ROLE_SCOPES[role] as readonly string[]).includes(scope))
      refusals[actor] = { code: "FORBIDDEN", message: `Your role on this project (${role}) does not allow this.` };
    else if (actor === "formerResearcher" && scope !== "project:read")
      refusals[actor] = { code: "FORBIDDEN", message: NOT_A_RESEARCHER };
    else allowed.push(actor);
  }
  return { allowed, refusal: NOT_A_MEMBER, refusalCode: "NOT_FOUND", refusals, input };
};

const lease = { taskId: "00000000-0000-4000-8000-000000000001", leaseId: "00000000-0000-4000-8000-000000000002" };
const forWorkersOnly = { allowed: [], everyoneRefusedWith: SITE_TOKEN_REQUIRED } as const;

export const MATRIX: { [P in ProcedurePath]: Row<P> } = {
  ...ACCOUNT_ROWS,
  "approvals.mySites": { allowed: ACTIVE, input: none },
  "approvals.pendingCount": { allowed: ACTIVE, input: none },
  "approvals.myKeys": { allowed: ACTIVE, input: none },
  "approvals.inbox": { allowed: ["approverA"], refusal: SITE_APPROVER_ONLY, input: (w) => ({ siteId: w.siteA.id }) },
  "approvals.request": {
    allowed: ["approverA"],
    refusal: SITE_APPROVER_ONLY,
    input: async (w) => ({ siteId: w.siteA.id, approvalId: await pendingAtSiteA(w) }),
  },
  "approvals.decide": {
    allowed: ["approverA"],
    stepUp: true,
    refusal: SITE_APPROVER_ONLY,
    input: async (w) => ({ siteId: w.siteA.id, approvalId: await pendingAtSiteA(w), decision: "approved" }),
  },
  "approvals.withdraw": {
    allowed: ["approverA"],
    refusal: SITE_APPROVER_ONLY,
    input: async (w) => ({ siteId: w.siteA.id, approvalId: await approvedAtSiteA(w), reason: "Matrix withdrawal" }),
  },
  "approvals.history": { allowed: ["approverA"], refusal: SITE_APPROVER_ONLY, input: (w) => ({ siteId: w.siteA.id }) },
  "approvals.projects": { allowed: ["approverA"], refusal: SITE_APPROVER_ONLY, input: (w) => ({ siteId: w.siteA.id }) },
  "approvals.projectActivity": {
    allowed: ["approverA"],
    refusal: SITE_APPROVER_ONLY,
    input: (w) => ({ siteId: w.siteA.id, projectId: w.training.projectId }),
  },
  "notifications.settings": { allowed: ACTIVE, input: none },
  "notifications.setEmailMode": { allowed: ACTIVE, input: () => ({ emailMode: "daily_digest" }) },
  "cohorts.run": projectOnly<"cohorts.run">("cohort:run", (w) =>
    researcherProject(w).then((projectId) => ({ projectId, purpose: "feasibility", siteIds: [w.siteA.id] })),
  ),
  "cohorts.runs": projectOnly<"cohorts.runs">("project:read", (w) => ({ projectId: w.projectId })),
  "cohorts.result": projectOnly<"cohorts.result">("project:read", async (w) => {
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
    allowed: RESEARCHERS,
    refusal: NO_ACCESS,
    input: () => ({ title: `Created ${++unique}`, purpose: "Enough words to describe why this project exists." }),
  },
  "projects.byId": projectOnly<"projects.byId">("project:read", (w) => ({ projectId: w.projectId })),
  "projects.revisions": projectOnly<"projects.revisions">("project:read", (w) => ({ projectId: w.projectId })),
  "projects.markDecisionsSeen": projectOnly<"projects.markDecisionsSeen">("project:read", async (w) => ({
    projectId: await researcherProject(w),
  })),
  "projects.updateBundle": projectOnly<"projects.updateBundle">("project:edit", async (w) => ({
    projectId: await researcherProject(w),
    bundle: { ...initialBundle(`Changed purpose number ${++unique} for the matrix.`) },
  })),
  "projects.submit": projectOnly<"projects.submit">("project:submit", async (w) => ({
    projectId: await researcherProject(w),
    siteIds: [w.siteA.id],
  })),
  "projects.addMember": projectOnly<"projects.addMember">("project:members", async (w) => ({
    projectId: await researcherProject(w),
    email: (await freshTarget(w)).email,
    role: "viewer",
  })),
  "projects.removeMember": projectOnly<"projects.removeMember">("project:members", async (w) => {
    const projectId = await researcherProject(w);
    const member = await freshTarget(w);
    await w.db.insert(projectMembers).values({ projectId, userId: member.id, role: "member" });
    return { projectId, userId: member.id };
  }),
  "projects.cancelInvitation": projectOnly<"projects.cancelInvitation">("project:members", async (w) => {
    const projectId = await researcherProject(w);
    await inviteMember(w.db, w.viewers.researcher!, {
      projectId,
      email: `invited${++unique}@test.flip`,
      role: "viewer",
    });
    const [invitation] = await w.db
      .select({ id: projectInvitations.id })
      .from(projectInvitations)
      .where(eq(projectInvitations.projectId, projectId));
    return { projectId, invitationId: invitation!.id };
  }),
  "projects.myInvitations": { allowed: ACTIVE, input: none },
  // Only the invited person can answer: for anyone else the invitation does not exist.
  "projects.answerInvitation": {
    allowed: ["noGrants"],
    refusal: "No invitation with that id for you.",
    refusalCode: "NOT_FOUND",
    input: async (w) => {
      const projectId = await researcherProject(w);
      const [invitation] = await w.db
        .insert(projectInvitations)
        .values({ projectId, email: w.viewers.noGrants!.email, role: "viewer" })
        .returning({ id: projectInvitations.id });
      return { invitationId: invitation!.id, accept: true };
    },
  },
  "projects.close": projectOnly<"projects.close">("project:close", async (w) => ({
    projectId: await researcherProject(w),
  })),
  "vocabulary.search": { allowed: ACTIVE, input: () => ({ query: "stroke" }) },
  "vocabulary.concept": { allowed: ACTIVE, input: (w) => vocabularyConcept(w) },
  "vocabulary.about": { allowed: ACTIVE, input: none },
  "approvals.site": { allowed: ["approverA"], refusal: SITE_APPROVER_ONLY, input: (w) => ({ siteId: w.siteA.id }) },
  "audit.list": { allowed: ADMIN, refusal: ADMIN_ONLY, input: () => ({}) },
  "audit.actions": { allowed: ADMIN, refusal: ADMIN_ONLY, input: none },
  "audit.verify": { allowed: ADMIN, refusal: ADMIN_ONLY, input: none },
  "siteNetwork.monitor": { allowed: ADMIN, refusal: ADMIN_ONLY, input: none },
  "siteNetwork.detail": { allowed: ADMIN, refusal: ADMIN_ONLY, input: (w) => ({ siteId: w.siteA.id }) },
  "siteNetwork.issueToken": {
    allowed: ADMIN,
    stepUp: true,
    refusal: ADMIN_ONLY,
    input: async (w) => ({ siteId: (await makeSite(w.db)).id }),
  },
  "siteNetwork.revokeTokens": {
    allowed: ADMIN,
    stepUp: true,
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
  "sites.directory": { allowed: [...RESEARCHERS, "approverA", "approverB", "admin"], refusal: NO_ACCESS, input: none },
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
    stepUp: true,
    refusal: ADMIN_ONLY,
    input: async (w) => ({ userId: (await makeUser(w.db, [])).id, role: "approver", siteId: w.siteA.id }),
  },
  "users.grantRequests": {
    allowed: ADMIN,
    refusal: ADMIN_ONLY,
    input: async (w) => ({ userId: (await freshTarget(w)).id }),
  },
  "users.confirmGrant": {
    allowed: ADMIN,
    stepUp: true,
    refusal: ADMIN_ONLY,
    input: async (w) => ({ requestId: await pendingGrant(w) }),
  },
  "users.cancelGrantRequest": {
    allowed: ADMIN,
    refusal: ADMIN_ONLY,
    input: async (w) => ({ requestId: await pendingGrant(w) }),
  },
  "approvals.approverChanges": {
    allowed: ["approverA"],
    refusal: SITE_APPROVER_ONLY,
    input: (w) => ({ siteId: w.siteA.id }),
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
  "users.resetFactors": {
    allowed: ADMIN,
    stepUp: true,
    refusal: ADMIN_ONLY,
    input: async (w) => {
      const target = await freshTarget(w);
      await addConfirmedTotp(w.db, target.id);
      return { userId: target.id };
    },
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
  "models.list": projectOnly<"models.list">("project:read", (w) => ({ projectId: w.training.projectId })),
  "models.byId": projectOnly<"models.byId">("project:read", (w) => ({
    projectId: w.training.projectId,
    modelId: w.training.modelId,
  })),
  "models.version": projectOnly<"models.version">("project:read", (w) => ({
    projectId: w.training.projectId,
    versionId: w.training.versionId,
  })),
  "privacy.budgets": projectOnly<"privacy.budgets">("project:read", (w) => ({ projectId: w.training.projectId })),
  "models.card": projectOnly<"models.card">("project:read", (w) => ({
    projectId: w.training.projectId,
    modelId: w.training.modelId,
  })),
  "models.register": projectOnly<"models.register">("model:write", (w) => ({
    projectId: w.training.projectId,
    ...logisticModel(),
  })),
  "models.importVersion": projectOnly<"models.importVersion">("model:write", async (w) => ({
    projectId: w.training.projectId,
    modelId: w.training.modelId,
    ...(await tfjsUploadOf(w.db, w.training.projectId, w.training.versionId)),
  })),
  "models.setAlias": projectOnly<"models.setAlias">("model:write", (w) => ({
    projectId: w.training.projectId,
    versionId: w.training.versionId,
    alias: "champion",
  })),
  "models.clearAlias": projectOnly<"models.clearAlias">("model:write", async (w) => {
    await setAlias(w.db, w.viewers.researcher!, {
      projectId: w.training.projectId,
      versionId: w.training.versionId,
      alias: "candidate",
    });
    return { projectId: w.training.projectId, modelId: w.training.modelId, alias: "candidate" };
  }),
  "models.updateLimitations": projectOnly<"models.updateLimitations">("model:write", (w) => ({
    projectId: w.training.projectId,
    modelId: w.training.modelId,
    limitations: `Reviewed ${++unique}`,
  })),
  "jobs.list": projectOnly<"jobs.list">("project:read", (w) => ({ projectId: w.training.projectId })),
  "jobs.byId": projectOnly<"jobs.byId">("project:read", async (w) => ({
    projectId: w.training.projectId,
    jobId: (await evaluationJob(w)).id,
  })),
  "jobs.train": projectOnly<"jobs.train">("job:run", (w) => trainJobInput(w.training, [w.siteA.id, w.siteB.id])),
  "jobs.evaluate": projectOnly<"jobs.evaluate">("job:run", (w) => ({
    projectId: w.training.projectId,
    versionId: w.training.versionId,
    siteIds: [w.siteA.id],
    validationFraction: 0.2,
  })),
  "jobs.cancel": projectOnly<"jobs.cancel">("job:run", async (w) => ({
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
  "worker.secAggAdvertise": {
    ...forWorkersOnly,
    input: () => ({ ...lease, encryptionKey: "A".repeat(43) + "=", maskingKey: "A".repeat(43) + "=" }),
  },
  "worker.secAggShare": { ...forWorkersOnly, input: () => ({ ...lease, boxes: [] }) },
  "worker.secAggState": { ...forWorkersOnly, input: () => lease },
  "worker.secAggUnmask": { ...forWorkersOnly, input: () => ({ ...lease, selfMaskShares: [], maskingKeyShares: [] }) },
};

/** One real concept in the hub's vocabulary, so reading it resolves. */
async function vocabularyConcept(w: World) {
  await w.db.execute(sql`INSERT INTO vocab.concept VALUES
    (201826, 'Type 2 diabetes mellitus', 'Condition', 'SNOMED', 'Clinical Finding', 'S', '44054006', '2002-01-31', '2099-12-31', NULL)
    ON CONFLICT DO NOTHING`);
  return { conceptId: 201826 };
}
