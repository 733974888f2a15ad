import { eq, sql } from "drizzle-orm";
import { projectInvitations, projectMembers, roleGrantRequests, roleGrants } from "@/db/schema";
import { runCohort } from "@/server/cohorts/cohorts.service";
import { initialBundle } from "@/server/projects/bundle";
import { inviteMember } from "@/server/projects/invitations.service";
import { PROJECT_ROLE_SCOPES, type ProjectScope } from "@/server/auth/permissions";
import { requestInventory } from "@/server/site-network/site-network.service";
import { addConfirmedTotp, FIXTURE_PASSWORD, makeSite, makeUser } from "@/server/lib/test-support/fixtures";
import { STEP_UP_REQUIRED } from "@/server/auth/second-factor";
import { totpCodeAt } from "@/server/auth/totp";
import { replaceRecoveryCodes } from "@/server/factors/recovery-codes";
import { startTotpEnrolment } from "@/server/factors/totp-enrolment.service";
import { setAlias } from "@/server/models/models.service";
import { logisticModel, tfjsUploadOf, trainJobInput } from "@/server/lib/test-support/training-fixtures";
import {
  PROJECT_ACTORS,
  evaluationJob,
  pendingAtSiteA,
  researcherProject,
  type ActorName,
  type InputOf,
  type ProcedurePath,
  type ProjectActor,
  type World,
} from "./authorization.world";

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

type RefusalCode = "FORBIDDEN" | "NOT_FOUND" | "PRECONDITION_FAILED";

type Row<P extends ProcedurePath> = {
  allowed: readonly ActorName[];
  /** Also needs a second factor proved in the last 5 minutes (a step-up); checked after `allowed`. */
  stepUp?: true;
  /** What a signed-in actor outside `allowed` is told; absent when every signed-in actor is allowed. */
  refusal?: string;
  /** The code that refusal carries: FORBIDDEN unless the procedure hides the thing (NOT_FOUND). */
  refusalCode?: RefusalCode;
  /** Per-actor refusals where actors are refused for different reasons (project roles). */
  refusals?: Partial<Record<ActorName, { code: RefusalCode; message: string }>>;
  /** Overrides the sign-in ladder's refusals: the procedure does not take a user session at all. */
  everyoneRefusedWith?: { code: string; message: string };
  /** The call's input; `actor` is who will make it, for inputs that must be their own (a code, a factor). */
  input: (world: World, actor: ActorName) => InputOf<P> | Promise<InputOf<P>>;
};

const RESEARCHERS = ["researcher", "projectMember", "projectViewer"] as const;
const ACTIVE = [...RESEARCHERS, "approverA", "approverB", "admin", "noGrants", "formerResearcher"] as const;
const SIGNED_IN = [...ACTIVE, "temporaryPassword"] as const;
/** Who may manage their own account: signed in, and a second factor proved if the account has one. */
const IDENTIFIED = [...SIGNED_IN, "factorMissing"] as const;
const ADMIN = ["admin"] as const;

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

const STEP_UP_FIRST = { code: "PRECONDITION_FAILED", message: STEP_UP_REQUIRED } as const;

/** The actor's own input only for actors the row lets through; the others are refused before it is read. */
const mayCall = (w: World, actor: ActorName) => !!w.viewers[actor] && actor !== "factorPending";
const NO_SUCH_ID = "00000000-0000-4000-8000-00000000000f";

/** A recovery code of the actor's own, so verifying succeeds. */
async function recoveryCodeOf(w: World, actor: ActorName): Promise<string> {
  const viewer = w.viewers[actor];
  if (!viewer) return "aaaaa-bbbbb";
  return (await replaceRecoveryCodes(w.db, viewer.id))[0]!;
}

/** An authenticator-app set-up the actor has started, with the code their app shows now. */
async function totpEnrolmentOf(w: World, actor: ActorName) {
  const viewer = w.viewers[actor];
  if (!viewer || !mayCall(w, actor)) return { factorId: NO_SUCH_ID, code: "123456" };
  const { factorId, secret } = await startTotpEnrolment(w.db, viewer, { label: `Matrix ${++unique}` });
  return { factorId, code: totpCodeAt(secret) };
}

/** A second authenticator on the actor's account, which they may remove since another is left. */
async function spareFactorOf(w: World, actor: ActorName): Promise<string> {
  const viewer = w.viewers[actor];
  if (!viewer || !mayCall(w, actor) || actor === "factorMissing") return NO_SUCH_ID;
  await addConfirmedTotp(w.db, viewer.id);
  return (await addConfirmedTotp(w.db, viewer.id)).factorId;
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
  "account.me": { allowed: [...IDENTIFIED, "factorPending"], input: none },
  "account.changePassword": {
    allowed: IDENTIFIED,
    input: () => ({
      currentPassword: FIXTURE_PASSWORD,
      newPassword: "matrix-new-password",
      confirmPassword: "matrix-new-password",
    }),
  },
  "account.sessions": { allowed: IDENTIFIED, input: none },
  "account.endSession": { allowed: IDENTIFIED, input: () => ({ sessionId: "00000000-0000-4000-8000-00000000000e" }) },
  "account.signOutEverywhere": { allowed: IDENTIFIED, input: none },
  "factors.verify": {
    allowed: [...IDENTIFIED, "factorPending"],
    input: async (w, actor) => ({ method: "recovery", code: await recoveryCodeOf(w, actor) }),
  },
  "factors.list": { allowed: IDENTIFIED, input: none },
  "factors.startTotp": { allowed: IDENTIFIED, input: () => ({ label: "Matrix phone" }) },
  "factors.confirmTotp": { allowed: IDENTIFIED, input: (w, actor) => totpEnrolmentOf(w, actor) },
  "factors.remove": {
    allowed: SIGNED_IN,
    stepUp: true,
    refusals: { factorMissing: STEP_UP_FIRST },
    input: async (w, actor) => ({ factorId: await spareFactorOf(w, actor) }),
  },
  "factors.regenerateRecoveryCodes": {
    allowed: SIGNED_IN,
    stepUp: true,
    refusals: { factorMissing: STEP_UP_FIRST },
    input: async (w, actor) => {
      await spareFactorOf(w, actor);
    },
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
    stepUp: true,
    refusal: SITE_APPROVER_ONLY,
    input: async (w) => ({ siteId: w.siteA.id, approvalId: await pendingAtSiteA(w), decision: "approved" }),
  },
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
};

/** One real concept in the hub's vocabulary, so reading it resolves. */
async function vocabularyConcept(w: World) {
  await w.db.execute(sql`INSERT INTO vocab.concept VALUES
    (201826, 'Type 2 diabetes mellitus', 'Condition', 'SNOMED', 'Clinical Finding', 'S', '44054006', '2002-01-31', '2099-12-31', NULL)
    ON CONFLICT DO NOTHING`);
  return { conceptId: 201826 };
}
