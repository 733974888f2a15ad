import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, test } from "vitest";
import { jobs, siteTasks } from "@/db/schema";
import type { Viewer } from "@/server/auth/permissions";
import { callerAs, makeSite, makeUser, refusedWithoutChange, viewerOf } from "@/server/lib/test-support/fixtures";
import { logisticModel, makeTrainingProject, trainJobInput } from "@/server/lib/test-support/training-fixtures";
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
