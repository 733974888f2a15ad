import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { approvalDecisions, auditEvents, emailOutbox, projectMembers, siteApprovals, siteTasks } from "@/db/schema";
import { runCohort } from "@/server/cohorts/cohorts.service";
import { callerAs, makeSite, makeUser, refusedWithoutChange, viewerOf } from "@/server/lib/test-support/fixtures";
import { makeTrainingProject, trainJobInput } from "@/server/lib/test-support/training-fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { listApprovedSiteIds } from "@/server/projects/projects.service";
import { leaseNextTask } from "@/server/tasks/leasing";
import { enqueueTask } from "@/server/tasks/tasks.service";
import { listCancelledTaskIds } from "@/server/tasks/task-interventions";
import { withdrawApproval } from "./withdraw.service";

const testDb = useTestDatabase();

/** Two sites, two approvers at A and one at B, and a project approved at both with its approved counts released. */
async function scene() {
  const db = testDb.db();
  const [siteA, siteB] = [await makeSite(db), await makeSite(db)];
  const researcher = await viewerOf(db, (await makeUser(db, [{ role: "researcher" }])).id);
  const approverA = await viewerOf(db, (await makeUser(db, [{ role: "approver", siteId: siteA.id }])).id);
  const otherApproverA = await viewerOf(db, (await makeUser(db, [{ role: "approver", siteId: siteA.id }])).id);
  const approverB = await viewerOf(db, (await makeUser(db, [{ role: "approver", siteId: siteB.id }])).id);
  const approvers = [
    { approver: approverA, siteId: siteA.id },
    { approver: approverB, siteId: siteB.id },
  ];
  const training = await makeTrainingProject(db, researcher, approvers);
  const approvalAt = async (siteId: string) => {
    const [row] = await db
      .select({ id: siteApprovals.id, status: siteApprovals.status })
      .from(siteApprovals)
      .where(and(eq(siteApprovals.siteId, siteId), eq(siteApprovals.status, "approved")));
    return row!.id;
  };
  return {
    db,
    siteA,
    siteB,
    researcher,
    approverA,
    otherApproverA,
    approverB,
    approvers,
    training,
    projectId: training.projectId,
    approvalA: await approvalAt(siteA.id),
  };
}

const countAt = (s: Awaited<ReturnType<typeof scene>>, siteIds: string[], projectId = s.projectId) =>
  runCohort(s.db, s.researcher, { projectId, siteIds, purpose: "approved" });

const tasksOf = (s: Awaited<ReturnType<typeof scene>>, siteId: string, projectId = s.projectId) =>
  s.db
    .select({ id: siteTasks.id, status: siteTasks.status, failureMessage: siteTasks.failureMessage })
    .from(siteTasks)
    .where(and(eq(siteTasks.siteId, siteId), sql`${siteTasks.payload}->>'projectId' = ${projectId}`));

describe("withdrawing an approval", () => {
  it("stops the project's queued and running tasks at that site at once, and nothing new is dispatched there", async () => {
    const s = await scene();
    const other = await makeTrainingProject(s.db, s.researcher, s.approvers, { releasedCount: null });
    await countAt(s, [s.siteA.id, s.siteB.id]);
    const running = await leaseNextTask(s.db, s.siteA);
    await countAt(s, [s.siteA.id]);
    await countAt(s, [s.siteA.id], other.projectId);

    const asApprover = callerAs(s.db, s.approverA);
    const outcome = await asApprover.approvals.withdraw({
      siteId: s.siteA.id,
      approvalId: s.approvalA,
      reason: "Our data-sharing agreement lapsed.",
    });

    expect(outcome).toEqual({ tasksCancelled: 2 });
    const atA = await tasksOf(s, s.siteA.id);
    expect(atA.filter((t) => t.status === "cancelled")).toHaveLength(2);
    expect(atA.filter((t) => t.status === "queued" || t.status === "leased")).toEqual([]);
    expect(atA.find((t) => t.id === running!.taskId)?.failureMessage).toBe(
      `${s.siteA.code} withdrew its approval of this project.`,
    );
    // The worker running the leased task learns it was cancelled on its next heartbeat and stops.
    expect(await listCancelledTaskIds(s.db, s.siteA, { taskIds: [running!.taskId] })).toEqual([running!.taskId]);
    // Site B and another project at site A are untouched.
    expect((await tasksOf(s, s.siteB.id)).filter((t) => t.status === "queued")).toHaveLength(1);
    expect((await tasksOf(s, s.siteA.id, other.projectId)).map((t) => t.status)).toEqual(["queued"]);

    await expect(countAt(s, [s.siteA.id])).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: `${s.siteA.code} withdrew approval of this project; no work, feasibility counts included, goes there until it approves again.`,
    });
    await expect(
      runCohort(s.db, s.researcher, { projectId: s.projectId, siteIds: [s.siteA.id], purpose: "feasibility" }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(
      callerAs(s.db, s.researcher).jobs.train(trainJobInput(s.training, [s.siteA.id, s.siteB.id])),
    ).rejects.toMatchObject({ code: expect.stringMatching(/FORBIDDEN|PRECONDITION_FAILED/) });
    expect(await listApprovedSiteIds(s.db, { projectId: s.projectId })).toEqual(new Set([s.siteB.id]));

    const [audit] = await s.db.select().from(auditEvents).where(eq(auditEvents.action, "approval.withdrawn"));
    expect(audit?.details).toMatchObject({
      siteId: s.siteA.id,
      reason: "Our data-sharing agreement lapsed.",
      tasksCancelled: 2,
    });
  });

  it("shows the researchers the withdrawal on the project page, and the site's history keeps both decisions with their bundle", async () => {
    const s = await scene();
    await callerAs(s.db, s.approverA).approvals.withdraw({
      siteId: s.siteA.id,
      approvalId: s.approvalA,
      reason: "Paused while our DPO reviews the outputs.",
    });
    const project = await callerAs(s.db, s.researcher).projects.byId({ projectId: s.projectId });
    const atA = project.sites.find((x) => x.siteId === s.siteA.id)!;
    const atB = project.sites.find((x) => x.siteId === s.siteB.id)!;
    expect(atA).toMatchObject({
      status: "withdrawn",
      comment: "Paused while our DPO reviews the outputs.",
      approvedRevision: null,
    });
    expect(atB.status).toBe("approved");
    expect(atB.approvedRevision).toMatchObject({
      number: project.revision.number,
      bundleHash: project.revision.bundleHash,
    });
    expect(atB.approvedRevision!.models).toHaveLength(1);

    const history = await callerAs(s.db, s.otherApproverA).approvals.history({ siteId: s.siteA.id });
    expect(history.rows.map((r) => [r.decision, r.bundleHash, r.revisionNumber])).toEqual([
      ["withdrawn", project.revision.bundleHash, project.revision.number],
      ["approved", project.revision.bundleHash, project.revision.number],
    ]);
    const mine = await callerAs(s.db, s.otherApproverA).approvals.history({ siteId: s.siteA.id, mine: true });
    expect(mine).toMatchObject({ rows: [], total: 0 });
  });

  it("e-mails the site's other approvers, not the one who withdrew nor another site's", async () => {
    const s = await scene();
    await s.db.delete(emailOutbox).where(sql`true`);
    await withdrawApproval(s.db, s.approverA, { siteId: s.siteA.id, approvalId: s.approvalA, reason: "Audit." });
    const mail = await s.db.select().from(emailOutbox);
    expect(mail.map((m) => [m.userId, m.kind])).toEqual([[s.otherApproverA.id, "approval_withdrawn"]]);
    expect(mail[0]!.body).toContain("Reason: Audit.");
  });

  it("is undone only by a new decision, which another approver of the site may make", async () => {
    const s = await scene();
    await withdrawApproval(s.db, s.approverA, { siteId: s.siteA.id, approvalId: s.approvalA, reason: "Review." });
    await callerAs(s.db, s.otherApproverA).approvals.decide({
      siteId: s.siteA.id,
      approvalId: s.approvalA,
      decision: "approved",
      comment: "Review done.",
    });
    expect(await listApprovedSiteIds(s.db, { projectId: s.projectId })).toEqual(new Set([s.siteA.id, s.siteB.id]));
    await countAt(s, [s.siteA.id]);
    const decisions = await s.db
      .select({ decision: approvalDecisions.decision })
      .from(approvalDecisions)
      .where(eq(approvalDecisions.approvalId, s.approvalA))
      .orderBy(approvalDecisions.decidedAt);
    expect(decisions.map((d) => d.decision)).toEqual(["approved", "withdrawn", "approved"]);
  });

  it("waits for work being dispatched on the approval and cancels it too (attack: a dispatch racing the withdrawal)", async () => {
    const s = await scene();
    const [template] = await s.db
      .select({ payload: siteTasks.payload })
      .from(siteTasks)
      .where(eq(siteTasks.siteId, s.siteA.id));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let onLocked!: () => void;
    const locked = new Promise<void>((resolve) => (onLocked = resolve));
    // A dispatcher that saw the approval and is about to queue work when the approver withdraws.
    const dispatch = s.db.transaction(async (tx) => {
      expect((await listApprovedSiteIds(tx, { projectId: s.projectId })).has(s.siteA.id)).toBe(true);
      onLocked();
      await gate;
      await enqueueTask(tx, {
        siteId: s.siteA.id,
        siteCode: s.siteA.code,
        kind: "cohort_count",
        payload: template!.payload,
        actor: { type: "system", label: "test" },
      });
    });
    await locked;
    let isWithdrawn = false;
    const withdrawing = withdrawApproval(s.db, s.approverA, {
      siteId: s.siteA.id,
      approvalId: s.approvalA,
      reason: "Stop.",
    }).finally(() => (isWithdrawn = true));
    // Until the withdrawal either finishes or waits on the dispatcher's lock.
    for (;;) {
      const { rows } = await s.db.execute<{ n: number }>(
        sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`,
      );
      if (isWithdrawn || rows[0]!.n > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    release();
    await dispatch;
    await withdrawing;
    const open = (await tasksOf(s, s.siteA.id)).filter((t) => t.status === "queued" || t.status === "leased");
    expect(open).toEqual([]);
  });
});

describe("refused withdrawals change nothing", () => {
  it("needs a reason", async () => {
    const s = await scene();
    const fieldErrors = await refusedWithoutChange(
      s.db,
      () =>
        callerAs(s.db, s.approverA).approvals.withdraw({ siteId: s.siteA.id, approvalId: s.approvalA, reason: "  " }),
      { code: "BAD_REQUEST" },
    );
    expect(fieldErrors?.reason).toEqual(["Say why you withdraw the approval, so the researchers can act on it"]);
  });

  it("refuses what is not an approval in force, saying why", async () => {
    const s = await scene();
    const asApprover = callerAs(s.db, s.approverA);
    await asApprover.approvals.withdraw({ siteId: s.siteA.id, approvalId: s.approvalA, reason: "First." });
    await refusedWithoutChange(
      s.db,
      () => asApprover.approvals.withdraw({ siteId: s.siteA.id, approvalId: s.approvalA, reason: "Again." }),
      { code: "CONFLICT", message: "This approval is already withdrawn. Nothing was changed." },
    );
    // Another site's approval named with this site: not there for this approver.
    const [atB] = await s.db
      .select({ id: siteApprovals.id })
      .from(siteApprovals)
      .where(eq(siteApprovals.siteId, s.siteB.id));
    await refusedWithoutChange(
      s.db,
      () => asApprover.approvals.withdraw({ siteId: s.siteA.id, approvalId: atB!.id, reason: "Not mine." }),
      { code: "NOT_FOUND", message: "No such approval for this site." },
    );
    await refusedWithoutChange(
      s.db,
      () => asApprover.approvals.withdraw({ siteId: s.siteB.id, approvalId: atB!.id, reason: "Not my site." }),
      { code: "FORBIDDEN", message: "Only an approver for this site can do this." },
    );
  });

  it("refuses a pending request and an approval of a revision since replaced", async () => {
    const s = await scene();
    const asResearcher = callerAs(s.db, s.researcher);
    const project = await asResearcher.projects.byId({ projectId: s.projectId });
    await asResearcher.projects.updateBundle({
      projectId: s.projectId,
      bundle: { ...project.revision.bundle, maxRounds: project.revision.bundle.maxRounds - 1 },
    });
    const asApprover = callerAs(s.db, s.approverA);
    await refusedWithoutChange(
      s.db,
      () => asApprover.approvals.withdraw({ siteId: s.siteA.id, approvalId: s.approvalA, reason: "Old." }),
      {
        code: "CONFLICT",
        message: `This approval covers revision ${project.revision.number}, which the project has since replaced: it lets nothing run any more. Nothing was changed.`,
      },
    );
    const [pending] = await asApprover.approvals.inbox({ siteId: s.siteA.id });
    await refusedWithoutChange(
      s.db,
      () => asApprover.approvals.withdraw({ siteId: s.siteA.id, approvalId: pending!.approvalId, reason: "Early." }),
      {
        code: "CONFLICT",
        message:
          "This request has not been approved, so there is nothing to withdraw; decline it instead. Nothing was changed.",
      },
    );
  });
});

describe("separation of duties", () => {
  it("an approver who is a member of the project cannot decide on it, is told why, and another approver can", async () => {
    const s = await scene();
    const asResearcher = callerAs(s.db, s.researcher);
    const project = await asResearcher.projects.byId({ projectId: s.projectId });
    await asResearcher.projects.updateBundle({
      projectId: s.projectId,
      bundle: { ...project.revision.bundle, maxRounds: project.revision.bundle.maxRounds - 1 },
    });
    await s.db.insert(projectMembers).values({ projectId: s.projectId, userId: s.approverA.id, role: "viewer" });
    const asMember = callerAs(s.db, s.approverA);
    const [pending] = await asMember.approvals.inbox({ siteId: s.siteA.id });
    const message =
      "You are a viewer of this project, so you cannot decide on it: another approver for your site must.";
    const request = await asMember.approvals.request({ siteId: s.siteA.id, approvalId: pending!.approvalId });
    expect(request.conflictOfInterest).toBe(message);
    await refusedWithoutChange(
      s.db,
      () => asMember.approvals.decide({ siteId: s.siteA.id, approvalId: pending!.approvalId, decision: "approved" }),
      { code: "FORBIDDEN", message: `${message} Nothing was changed.` },
    );
    const asOther = callerAs(s.db, s.otherApproverA);
    expect(
      (await asOther.approvals.request({ siteId: s.siteA.id, approvalId: pending!.approvalId })).conflictOfInterest,
    ).toBeNull();
    await asOther.approvals.decide({ siteId: s.siteA.id, approvalId: pending!.approvalId, decision: "approved" });
  });
});

describe("the console's reads", () => {
  it("lists what ran for a project at the site with what left, and hides projects that never asked for it", async () => {
    const s = await scene();
    const asApprover = callerAs(s.db, s.approverA);
    const activity = await asApprover.approvals.projectActivity({ siteId: s.siteA.id, projectId: s.projectId });
    expect(activity.approvalStatus).toBe("approved");
    expect(activity.tasks.map((t) => [t.kind, t.status, t.purpose, t.released])).toEqual([
      [
        "cohort_count",
        "done",
        "approved",
        "Cohort counts: total 1,000, 1 attrition step(s), age bands and sex (threshold 10, rounded to 10)",
      ],
    ]);
    const projects = await asApprover.approvals.projects({ siteId: s.siteA.id });
    expect(projects.map((p) => [p.projectId, p.approvalStatus, p.taskCount])).toEqual([[s.projectId, "approved", 1]]);

    const lonely = await makeSite(s.db);
    const approverElsewhere = await viewerOf(
      s.db,
      (await makeUser(s.db, [{ role: "approver", siteId: lonely.id }])).id,
    );
    await refusedWithoutChange(
      s.db,
      () => callerAs(s.db, approverElsewhere).approvals.projectActivity({ siteId: lonely.id, projectId: s.projectId }),
      { code: "NOT_FOUND", message: "This project has not asked to use your site's data." },
    );
    const badPage = await refusedWithoutChange(
      s.db,
      () => asApprover.approvals.history({ siteId: s.siteA.id, page: 0 }),
      { code: "BAD_REQUEST" },
    );
    expect(badPage?.page).toEqual(["Pages start at 1"]);
  });
});
