import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, test } from "vitest";
import { jobs, siteTasks } from "@/db/schema";
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

beforeAll(async () => {
  const db = testDb.db();
  researcher = await viewerOf(db, (await makeUser(db, [{ role: "researcher" }])).id);
  const sites = [await makeSite(db), await makeSite(db)];
  const approvers = [];
  for (const site of sites)
    approvers.push({
      approver: await viewerOf(db, (await makeUser(db, [{ role: "approver", siteId: site.id }])).id),
      siteId: site.id,
    });
  project = await makeTrainingProject(db, researcher, approvers);
  siteIds = sites.map((s) => s.id);
});

/** Registers a model the sites cannot train in the (active, approved) training project. */
async function registerUntrainable(task: "multiclass_classification" | "regression") {
  const base = logisticModel();
  const { version } = await callerAs(testDb.db(), researcher).models.register({
    ...base,
    projectId: project.projectId,
    spec: {
      ...base.spec,
      task,
      ...(task === "multiclass_classification" ? { classes: 3 } : {}),
      architecture: { kind: "template", template: "mlp" },
    },
  });
  return version.id;
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
    const versionId = await registerUntrainable(task);
    const caller = callerAs(testDb.db(), researcher);
    const message = `Sites can train and evaluate binary classification models only; this is a ${label} model, so every site would refuse it.`;

    const trainErrors = await refusedWithoutChange(
      testDb.db(),
      () => caller.jobs.train(trainJobInput({ projectId: project.projectId, versionId }, siteIds)),
      { code: "BAD_REQUEST", message },
    );
    expect(trainErrors).toEqual({ versionId: [message] });

    const evaluateErrors = await refusedWithoutChange(
      testDb.db(),
      () => caller.jobs.evaluate({ projectId: project.projectId, versionId, siteIds, validationFraction: 0.2 }),
      { code: "BAD_REQUEST", message },
    );
    expect(evaluateErrors).toEqual({ versionId: [message] });

    expect(await jobRowsOfProject()).toEqual({ jobs: 0, trainTasks: 0, evaluateTasks: 0 });
  });

  test("a binary classification model in the same project is accepted", async () => {
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
