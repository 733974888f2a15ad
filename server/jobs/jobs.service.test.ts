import { and, eq } from "drizzle-orm";
import { beforeAll, describe, expect, test } from "vitest";
import { jobs, projects, siteApprovals, siteTasks } from "@/db/schema";
import type { Viewer } from "@/server/auth/permissions";
import { callerAs, makeSite, makeUser, refusedWithoutChange, viewerOf } from "@/server/lib/test-support/fixtures";
import {
  logisticModel,
  makeTrainingProject,
  releaseApprovedCount,
  trainJobInput,
} from "@/server/lib/test-support/training-fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";

const testDb = useTestDatabase();
let researcher: Viewer;
let project: Awaited<ReturnType<typeof makeTrainingProject>>;
let siteIds: string[];
let approvers: { approver: Viewer; siteId: string }[];

beforeAll(async () => {
  const db = testDb.db();
  researcher = await viewerOf(db, (await makeUser(db, [{ role: "researcher" }])).id);
  const sites = [await makeSite(db), await makeSite(db)];
  approvers = [];
  for (const site of sites)
    approvers.push({
      approver: await viewerOf(db, (await makeUser(db, [{ role: "approver", siteId: site.id }])).id),
      siteId: site.id,
    });
  project = await makeTrainingProject(db, researcher, approvers);
  siteIds = sites.map((s) => s.id);
});

/** A project approved at both sites, counted, whose bundle lists a model the sites cannot train. */
async function untrainableProject(task: "multiclass_classification" | "regression") {
  const base = logisticModel();
  return makeTrainingProject(testDb.db(), researcher, approvers, {
    model: {
      ...base,
      spec: {
        ...base.spec,
        task,
        ...(task === "multiclass_classification" ? { classes: 3 } : {}),
        architecture: { kind: "template", template: "mlp" },
      },
    },
  });
}

async function jobRowsOfProject() {
  const db = testDb.db();
  const jobRows = await db.select({ id: jobs.id }).from(jobs).where(eq(jobs.projectId, project.projectId));
  const taskRows = await db.select({ id: siteTasks.id }).from(siteTasks).where(eq(siteTasks.kind, "train"));
  const evaluateRows = await db.select({ id: siteTasks.id }).from(siteTasks).where(eq(siteTasks.kind, "evaluate"));
  return { jobs: jobRows.length, trainTasks: taskRows.length, evaluateTasks: evaluateRows.length };
}

describe("jobs for tasks the sites cannot train", () => {
  test.each([
    ["multiclass_classification", "multi-class classification"],
    ["regression", "regression"],
  ] as const)("a %s model is refused for training and evaluation, and nothing is written", async (task, label) => {
    const untrainable = await untrainableProject(task);
    const { versionId } = untrainable;
    const caller = callerAs(testDb.db(), researcher);
    const message = `Sites can train and evaluate binary classification models only; this is a ${label} model, so every site would refuse it.`;

    const trainErrors = await refusedWithoutChange(
      testDb.db(),
      () => caller.jobs.train(trainJobInput(untrainable, siteIds)),
      { code: "BAD_REQUEST", message },
    );
    expect(trainErrors).toEqual({ versionId: [message] });

    const evaluateErrors = await refusedWithoutChange(
      testDb.db(),
      () => caller.jobs.evaluate({ projectId: untrainable.projectId, versionId, siteIds, validationFraction: 0.2 }),
      { code: "BAD_REQUEST", message },
    );
    expect(evaluateErrors).toEqual({ versionId: [message] });

    expect(await jobRowsOfProject()).toEqual({ jobs: 0, trainTasks: 0, evaluateTasks: 0 });
  });

  test("a binary classification model, approved and counted the same way, is accepted", async () => {
    const job = await callerAs(testDb.db(), researcher).jobs.train(trainJobInput(project, siteIds));
    expect(job.id).toBeTruthy();
    expect((await jobRowsOfProject()).jobs).toBe(1);
  });
});

describe("what a training job needs before a round can start", () => {
  test("a minimum below 2 sites per round is refused at its field, and nothing is written", async () => {
    const caller = callerAs(testDb.db(), researcher);
    const message = "At least 2 sites per round: from one site, the new version would be that site's own update";
    const errors = await refusedWithoutChange(
      testDb.db(),
      () =>
        caller.jobs.train(
          trainJobInput(project, siteIds, { participation: { minSites: 1, roundDeadlineSeconds: 600 } }),
        ),
      { code: "BAD_REQUEST" },
    );
    expect(errors).toEqual({ "participation.minSites": [message] });
  });

  test("left out, the minimum is 3 sites per round", async () => {
    const { participation: _participation, ...input } = trainJobInput(project, siteIds);
    const errors = await refusedWithoutChange(
      testDb.db(),
      () => callerAs(testDb.db(), researcher).jobs.train({ ...input, participation: { roundDeadlineSeconds: 600 } }),
      { code: "BAD_REQUEST" },
    );
    expect(errors).toEqual({
      "participation.minSites": ["Minimum sites per round (3) is more than the 2 sites chosen"],
    });
  });

  test("a site that released no approved count, or a suppressed one, is refused for training and nothing is written", async () => {
    const db = testDb.db();
    const kch = await makeSite(db, "KCH");
    const gstt = await makeSite(db, "GSTT");
    const approvers = [];
    for (const site of [kch, gstt])
      approvers.push({
        approver: await viewerOf(db, (await makeUser(db, [{ role: "approver", siteId: site.id }])).id),
        siteId: site.id,
      });
    const uncounted = await makeTrainingProject(db, researcher, approvers, { releasedCount: null });
    // GSTT ran the approved count; KCH has not yet.
    await releaseApprovedCount(db, researcher, { projectId: uncounted.projectId, siteIds: [gstt.id], total: 500 });
    const caller = callerAs(db, researcher);
    const start = () => caller.jobs.train(trainJobInput(uncounted, [kch.id, gstt.id]));
    const message =
      "Count the approved cohort at KCH first: a site's weight in training is bounded by the count it released.";
    expect(await refusedWithoutChange(db, start, { code: "PRECONDITION_FAILED", message })).toEqual({
      siteIds: [message],
    });

    await releaseApprovedCount(db, researcher, {
      projectId: uncounted.projectId,
      siteIds: [kch.id],
      total: "suppressed",
    });
    await refusedWithoutChange(db, start, {
      code: "PRECONDITION_FAILED",
      message:
        "The approved cohort count at KCH came back suppressed: too few people there to train on. Leave that site out of the job.",
    });

    await releaseApprovedCount(db, researcher, { projectId: uncounted.projectId, siteIds: [kch.id], total: 300 });
    expect((await start()).status).toBe("running");
  });
});

/** Approves the project's current revision at a site, as that site's approver would. */
async function approveAt(projectId: string, { approver, siteId }: { approver: Viewer; siteId: string }) {
  const db = testDb.db();
  const [approval] = await db
    .select({ id: siteApprovals.id })
    .from(siteApprovals)
    .innerJoin(projects, eq(projects.currentRevisionId, siteApprovals.revisionId))
    .where(and(eq(projects.id, projectId), eq(siteApprovals.siteId, siteId)));
  await callerAs(db, approver).approvals.decide({ siteId, approvalId: approval!.id, decision: "approved" });
}

/** Finding: a hand-set model (its output is age above a cut) was trained on an approved cohort although no site approved what it learns from or predicts. */
function handSetModel() {
  const base = logisticModel("Age above a cut");
  return {
    ...base,
    spec: {
      ...base.spec,
      input: {
        kind: "tabular" as const,
        features: [
          {
            name: "age",
            from: { source: "demographic" as const, field: "age_at_index" as const },
            encoding: "raw" as const,
          },
        ],
      },
    },
    outcome: { name: "Old age", conceptIds: [4163261], includeDescendants: true },
  };
}

/** Two fresh sites with an approver each (the sites above have training work queued). */
async function sitesWithApprovers(codes: [string, string]) {
  const db = testDb.db();
  const pair = [];
  for (const code of codes) {
    const site = await makeSite(db, code);
    pair.push({
      site,
      approver: await viewerOf(db, (await makeUser(db, [{ role: "approver", siteId: site.id }])).id),
      siteId: site.id,
    });
  }
  return pair;
}

describe("the outcome and features a job uses are those of the approved bundle", () => {
  test("a model whose task, input and outcome the approved bundle does not list is refused for training and evaluation, and nothing is written", async () => {
    const db = testDb.db();
    const pair = await sitesWithApprovers(["RFH", "STG"]);
    const pairIds = pair.map((p) => p.siteId);
    const listed = await makeTrainingProject(db, researcher, pair);
    const caller = callerAs(db, researcher);
    const { version } = await caller.models.register({ ...handSetModel(), projectId: listed.projectId });
    // The owner takes the hand-set model back out of the bundle, and both sites approve that revision.
    const detail = await caller.projects.byId({ projectId: listed.projectId });
    const bundle = { ...detail.revision.bundle, models: detail.revision.bundle.models.slice(0, 1) };
    await caller.projects.updateBundle({ projectId: listed.projectId, bundle });
    for (const a of pair) await approveAt(listed.projectId, a);
    const revised = await caller.projects.byId({ projectId: listed.projectId });
    expect(revised.project.status).toBe("active");

    const message = `The approved governance bundle (revision ${revised.revision.number}) does not list what "Age above a cut" learns from and predicts, so no site has agreed to train it. Upload a new version of the model to add its input and outcome to the bundle, then have the sites approve the new revision.`;
    const trainErrors = await refusedWithoutChange(
      db,
      () => caller.jobs.train(trainJobInput({ projectId: listed.projectId, versionId: version.id }, pairIds)),
      { code: "PRECONDITION_FAILED", message },
    );
    expect(trainErrors).toEqual({ versionId: [message] });
    const evaluateMessage = message.replace("agreed to train it", "agreed to evaluate it");
    const evaluateErrors = await refusedWithoutChange(
      db,
      () =>
        caller.jobs.evaluate({
          projectId: listed.projectId,
          versionId: version.id,
          siteIds: pairIds,
          validationFraction: 0.2,
        }),
      { code: "PRECONDITION_FAILED", message: evaluateMessage },
    );
    expect(evaluateErrors).toEqual({ versionId: [evaluateMessage] });
    expect(await db.select({ id: jobs.id }).from(jobs).where(eq(jobs.projectId, listed.projectId))).toEqual([]);
  });

  test("a model the bundle lists, in a revision a chosen site has not yet approved, is refused for training and evaluation, and nothing is written", async () => {
    const db = testDb.db();
    const pair = await sitesWithApprovers(["UCLH", "BART"]);
    const [uclh, bart] = pair.map((p) => p.site);
    const listed = await makeTrainingProject(db, researcher, pair);
    const caller = callerAs(db, researcher);
    const { version, bundle } = await caller.models.register({ ...handSetModel(), projectId: listed.projectId });
    expect(bundle.isNew).toBe(true);
    // UCLH approves the revision that lists the new model; BART has not decided yet.
    await approveAt(listed.projectId, pair[0]!);
    const detail = await caller.projects.byId({ projectId: listed.projectId });
    expect(detail.project.status).toBe("active");
    expect(detail.revision.bundle.models.map((m) => m.name)).toEqual([expect.any(String), "Age above a cut"]);

    const message = "Not approved for the current revision at BART; those sites receive no work until they approve it.";
    const both = [uclh!.id, bart!.id];
    expect(
      await refusedWithoutChange(
        db,
        () => caller.jobs.train(trainJobInput({ projectId: listed.projectId, versionId: version.id }, both)),
        { code: "FORBIDDEN", message },
      ),
    ).toEqual({ siteIds: [message] });
    expect(
      await refusedWithoutChange(
        db,
        () =>
          caller.jobs.evaluate({
            projectId: listed.projectId,
            versionId: version.id,
            siteIds: both,
            validationFraction: 0.2,
          }),
        { code: "FORBIDDEN", message },
      ),
    ).toEqual({ siteIds: [message] });
    expect(await db.select({ id: jobs.id }).from(jobs).where(eq(jobs.projectId, listed.projectId))).toEqual([]);
  });
});
