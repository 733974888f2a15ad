import type { inferRouterInputs } from "@trpc/server";
import { eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import {
  projectMembers,
  projects,
  roleGrants,
  siteApprovals,
  userSessions,
  type ProjectRole,
  type Site,
} from "@/db/schema";
import { decideApproval } from "@/server/approvals/approvals.service";
import { initialBundle } from "@/server/projects/bundle";
import { createProject, reviseBundle, submitProject } from "@/server/projects/projects.service";
import { ZCohortDefinition } from "@/protocol/cohort-definition";
import type { Viewer } from "@/server/auth/permissions";
import { addConfirmedTotp, makeSite, makeUser, signedInSession, viewerOf } from "@/server/lib/test-support/fixtures";
import type { AppRouter } from "@/server/root";
import { createEvaluateJob } from "@/server/jobs/jobs.service";
import { makeTrainingProject } from "@/server/lib/test-support/training-fixtures";

/**
 * The world the authorisation matrix (authorization.matrix.ts) calls every procedure in: two sites,
 * one viewer per actor, and projects the researcher owns with the project actors as members.
 */

type Inputs = inferRouterInputs<AppRouter>;
export type ProcedurePath = { [R in keyof Inputs]: `${R & string}.${keyof Inputs[R] & string}` }[keyof Inputs];
export type InputOf<P extends ProcedurePath> = P extends `${infer R extends keyof Inputs}.${infer N}`
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
  "projectMember",
  "projectViewer",
  "formerResearcher",
  "factorPending",
  "factorMissing",
] as const;
export type ActorName = (typeof ACTORS)[number];

/**
 * Every world project's members beside its owner, the researcher. The member and viewer are
 * researchers; the former researcher co-owns every project but their platform role was revoked.
 */
export const PROJECT_ACTORS = {
  researcher: "owner",
  projectMember: "member",
  projectViewer: "viewer",
  formerResearcher: "owner",
} as const satisfies Partial<Record<ActorName, ProjectRole>>;
export type ProjectActor = keyof typeof PROJECT_ACTORS;

export type RefusalCode = "FORBIDDEN" | "NOT_FOUND" | "PRECONDITION_FAILED";

/** One row of the authorisation matrix: who may call a procedure, and how the others are refused. */
export type Row<P extends ProcedurePath> = {
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
  /**
   * The call's input; `actor` is who will make it, for inputs that must be their own (a code, a
   * factor), and `viewer` the session they make it in, for inputs bound to it (a passkey challenge).
   */
  input: (world: World, actor: ActorName, viewer: Viewer | null) => InputOf<P> | Promise<InputOf<P>>;
};

export const RESEARCHERS = ["researcher", "projectMember", "projectViewer"] as const;
export const ACTIVE = [...RESEARCHERS, "approverA", "approverB", "admin", "noGrants", "formerResearcher"] as const;
export const SIGNED_IN = [...ACTIVE, "temporaryPassword"] as const;
/** Who may manage their own account: signed in, and a second factor proved if the account has one. */
export const IDENTIFIED = [...SIGNED_IN, "factorMissing"] as const;
export const ADMIN = ["admin"] as const;

export type World = {
  db: Database;
  siteA: Site;
  siteB: Site;
  viewers: Record<ActorName, Viewer | null>;
  projectId: string;
  training: { projectId: string; modelId: string; versionId: string };
  /** A project and model nobody in `ACTORS` belongs to, for "project A's id with project B's object" calls. */
  outsider: { viewer: Viewer; training: { projectId: string; modelId: string; versionId: string } };
};

/**
 * Two sites and one viewer per actor, each signed in with a second factor just proved. The
 * temporary-password user holds every grant, so only the password can refuse them; so do the two
 * whose session still owes its second factor: one has an authenticator app it has not used in this
 * session (`factorPending`), the other has none yet (`factorMissing`).
 */
export async function buildWorld(db: Database): Promise<World> {
  const siteA = await makeSite(db);
  const siteB = await makeSite(db);
  const researcher = [{ role: "researcher" as const }];
  const ids = {
    researcher: (await makeUser(db, researcher)).id,
    approverA: (await makeUser(db, [{ role: "approver", siteId: siteA.id }])).id,
    approverB: (await makeUser(db, [{ role: "approver", siteId: siteB.id }])).id,
    admin: (await makeUser(db, [{ role: "admin" }])).id,
    temporaryPassword: (await makeUser(db, everyGrant(siteA.id), { mustChangePassword: true })).id,
    noGrants: (await makeUser(db, [])).id,
    projectMember: (await makeUser(db, researcher)).id,
    projectViewer: (await makeUser(db, researcher)).id,
    formerResearcher: (await makeUser(db, researcher)).id,
  };
  // Revoked after the fact, as an admin would: the membership stays, the platform role goes.
  await db.delete(roleGrants).where(eq(roleGrants.userId, ids.formerResearcher));
  const signedIn = await Promise.all(
    Object.entries(ids).map(async ([actor, id]) => [actor, await viewerOf(db, id)] as const),
  );
  const owing = async (withFactor: boolean) => {
    const user = await makeUser(db, everyGrant(siteA.id));
    if (withFactor) await addConfirmedTotp(db, user.id);
    return (await signedInSession(db, user.id)).viewer();
  };
  const viewers = {
    signedOut: null,
    ...Object.fromEntries(signedIn),
    factorPending: await owing(true),
    factorMissing: await owing(false),
  } as Record<ActorName, Viewer | null>;
  const outsider = await viewerOf(db, (await makeUser(db, researcher)).id);
  const world: World = {
    db,
    siteA,
    siteB,
    viewers,
    projectId: "",
    training: { projectId: "", modelId: "", versionId: "" },
    outsider: { viewer: outsider, training: { projectId: "", modelId: "", versionId: "" } },
  };
  world.projectId = await researcherProject(world);
  // Approved and counted at both sites: a training round needs at least two.
  const approvers = [
    { approver: viewers.approverA!, siteId: siteA.id },
    { approver: viewers.approverB!, siteId: siteB.id },
  ];
  world.training = await makeTrainingProject(db, viewers.researcher!, approvers);
  await addProjectActors(world, world.training.projectId);
  world.outsider.training = await makeTrainingProject(db, outsider, approvers);
  return world;
}

const everyGrant = (siteId: string) => [
  { role: "admin" as const },
  { role: "researcher" as const },
  { role: "approver" as const, siteId },
];

/**
 * The actor as a new browser session sees them, with its second factor proved `minutesAgo` (now by
 * default): step-up actions find it recent however long the matrix has been running, and an
 * earlier row that signed the actor out everywhere does not matter. Actors whose session owes its
 * factor keep the world's session.
 */
export async function currentViewer(world: World, actor: ActorName, minutesAgo = 0): Promise<Viewer | null> {
  const viewer = world.viewers[actor];
  if (!viewer?.session?.factorVerifiedAt) return viewer;
  const { sessionId, viewer: load } = await signedInSession(world.db, viewer.id);
  await world.db
    .update(userSessions)
    .set({ factorVerifiedAt: new Date(Date.now() - minutesAgo * 60_000) })
    .where(eq(userSessions.id, sessionId));
  return load();
}

async function addProjectActors(world: Pick<World, "db" | "viewers">, projectId: string) {
  for (const [actor, role] of Object.entries(PROJECT_ACTORS)) {
    if (role === "owner" && actor === "researcher") continue;
    await world.db.insert(projectMembers).values({ projectId, userId: world.viewers[actor as ProjectActor]!.id, role });
  }
}

const COHORT = {
  version: 1,
  entry: { type: "condition", concepts: [{ conceptId: 443454, includeDescendants: true }] },
  inclusionRules: [],
} as const;
let unique = 0;

/** A project the researcher owns, with a cohort defined; only its members can see it. */
export async function researcherProject(world: Pick<World, "db" | "viewers">): Promise<string> {
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
  await addProjectActors(world, project.id);
  return project.id;
}

/** A fresh request pending at site A, so each allowed decision has something to decide. */
export async function pendingAtSiteA(world: World): Promise<string> {
  const projectId = await researcherProject(world);
  await submitProject(world.db, world.viewers.researcher!, { projectId, siteIds: [world.siteA.id] });
  const [approval] = await world.db
    .select({ id: siteApprovals.id })
    .from(siteApprovals)
    .innerJoin(projects, eq(projects.currentRevisionId, siteApprovals.revisionId))
    .where(eq(projects.id, projectId));
  return approval!.id;
}

/** A fresh approval given at site A by its approver, so each allowed withdrawal has something to withdraw. */
export async function approvedAtSiteA(world: World): Promise<string> {
  const approvalId = await pendingAtSiteA(world);
  await decideApproval(world.db, world.viewers.approverA!, {
    siteId: world.siteA.id,
    approvalId,
    decision: "approved",
  });
  return approvalId;
}

export function evaluationJob(w: World, training = w.training, actor = w.viewers.researcher!) {
  return createEvaluateJob(w.db, actor, {
    projectId: training.projectId,
    versionId: training.versionId,
    siteIds: [w.siteA.id],
    validationFraction: 0.2,
  });
}
