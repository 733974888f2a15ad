import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, test } from "vitest";
import { cohortRunTasks, siteTasks } from "@/db/schema";
import type { Viewer } from "@/server/auth/permissions";
import { callerAs, makeSite, makeUser, refusedWithoutChange, viewerOf } from "@/server/lib/test-support/fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { logisticModel } from "@/server/lib/test-support/training-fixtures";
import { createApprovedProject } from "@/server/projects/approved-project";

/** The hub's side of DP cohort counts: the settings validated, sent to each site, and required by the bundle. */
const testDb = useTestDatabase();
let researcher: Viewer;
beforeAll(async () => {
  researcher = await viewerOf(testDb.db(), (await makeUser(testDb.db(), [{ role: "researcher" }])).id);
});

async function project(countPrivacy?: { maxEpsilonPerCount: number; maxDelta: number }) {
  const db = testDb.db();
  const site = await makeSite(db);
  const approver = await viewerOf(db, (await makeUser(db, [{ role: "approver", siteId: site.id }])).id);
  const { projectId } = await createApprovedProject(db, researcher, {
    title: "DP counts at the hub",
    purpose: "Count strokes with differential privacy, for the tests.",
    cohort: { version: 1, entry: { type: "visit", concepts: [{ conceptId: 9202, includeDescendants: true }] } },
    approvers: [{ approver, siteId: site.id }],
    model: logisticModel(),
    privacy: { minCellCount: 10, ...(countPrivacy ? { countPrivacy } : {}) },
  });
  return { projectId, site };
}

const payloadsOf = async (runId: string) =>
  (
    await testDb
      .db()
      .select({ payload: siteTasks.payload })
      .from(cohortRunTasks)
      .innerJoin(siteTasks, eq(siteTasks.id, cohortRunTasks.taskId))
      .where(eq(cohortRunTasks.runId, runId))
  ).map((r) => r.payload);

describe("DP cohort counts at the hub", () => {
  test("the researcher's ε and δ go to each site in the count's payload", async () => {
    const { projectId, site } = await project();
    const caller = callerAs(testDb.db(), researcher);
    const dp = { epsilon: 0.5, delta: 1e-6 };
    const run = await caller.cohorts.run({
      projectId,
      purpose: "approved",
      siteIds: [site.id],
      differentialPrivacy: dp,
    });
    expect(await payloadsOf(run.id)).toMatchObject([{ differentialPrivacy: dp }]);
  });

  test("settings outside the limits are refused field by field, and nothing is queued", async () => {
    const { projectId, site } = await project();
    const caller = callerAs(testDb.db(), researcher);
    const call = () =>
      caller.cohorts.run({
        projectId,
        purpose: "approved",
        siteIds: [site.id],
        differentialPrivacy: { epsilon: 0, delta: 1e-6 },
      });
    await refusedWithoutChange(testDb.db(), call, { code: "BAD_REQUEST" });
    await expect(call()).rejects.toThrow(/ε at least 0.05/);
  });

  test("a bundle that requires DP counts refuses a plain or weaker count, and takes one within it", async () => {
    const { projectId, site } = await project({ maxEpsilonPerCount: 1, maxDelta: 1e-6 });
    const caller = callerAs(testDb.db(), researcher);
    const input = { projectId, purpose: "approved" as const, siteIds: [site.id] };
    for (const differentialPrivacy of [undefined, { epsilon: 2, delta: 1e-6 }, { epsilon: 1, delta: 1e-5 }])
      await refusedWithoutChange(testDb.db(), () => caller.cohorts.run({ ...input, differentialPrivacy }), {
        code: "PRECONDITION_FAILED",
      });
    await expect(caller.cohorts.run(input)).rejects.toThrow(/requires differential privacy on cohort counts/);
    const run = await caller.cohorts.run({ ...input, differentialPrivacy: { epsilon: 1, delta: 1e-6 } });
    expect(await payloadsOf(run.id)).toMatchObject([{ differentialPrivacy: { epsilon: 1, delta: 1e-6 } }]);
  });
});
