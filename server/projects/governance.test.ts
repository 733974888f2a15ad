import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditEvents, projects, siteTasks } from "@/db/schema";
import {
  callerAs,
  fieldErrorsOfCall,
  makeSite,
  makeUser,
  snapshotTables,
  viewerOf,
} from "@/server/lib/test-support/fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { ZCohortDefinition } from "@/protocol/cohort-definition";
import { createHash } from "node:crypto";
import { canonicalJson } from "@/protocol/canonical-json";
import { logisticModel } from "@/server/lib/test-support/training-fixtures";
import { hashBundle } from "@/protocol/bundle-hash";
import { bundleModelOf, diffBundles, initialBundle } from "./bundle";
import { canTransition } from "./project-status";
import type { Bundle } from "./projects.schema";

const testDb = useTestDatabase();

const cohort = ZCohortDefinition.parse({
  version: 1,
  entry: { type: "condition", concepts: [{ conceptId: 443454 }] },
  inclusionRules: [],
});
const bundleWith = (purpose: string): Bundle => ({ ...initialBundle(purpose), cohort });

async function scene() {
  const db = testDb.db();
  const [kch, gstt] = [await makeSite(db), await makeSite(db)];
  const researcher = await viewerOf(db, (await makeUser(db, [{ role: "researcher" }])).id);
  const kchApprover = await viewerOf(db, (await makeUser(db, [{ role: "approver", siteId: kch.id }])).id);
  const gsttApprover = await viewerOf(db, (await makeUser(db, [{ role: "approver", siteId: gstt.id }])).id);
  const admin = await viewerOf(db, (await makeUser(db, [{ role: "admin" }])).id);
  const asResearcher = callerAs(db, researcher);
  const project = await asResearcher.projects.create({
    title: "Stroke lesion detection",
    purpose: "Find ischaemic stroke lesions on CT scans of the head.",
  });
  await asResearcher.projects.updateBundle({
    projectId: project.id,
    bundle: bundleWith("Find ischaemic stroke lesions on CT scans of the head."),
  });
  return { db, kch, gstt, researcher, asResearcher, kchApprover, gsttApprover, admin, projectId: project.id };
}

async function pendingApproval(
  s: Awaited<ReturnType<typeof scene>>,
  caller: ReturnType<typeof callerAs>,
  siteId: string,
) {
  const [request] = await caller.approvals.inbox({ siteId });
  return request!;
}

describe("bundle hash", () => {
  it("is the same whatever the key order and changes with any field", () => {
    const a = bundleWith("A purpose for the hash test, long enough.");
    const reordered = JSON.parse(
      JSON.stringify({
        maxRounds: a.maxRounds,
        privacy: a.privacy,
        outputs: a.outputs,
        allowedJobKinds: a.allowedJobKinds,
        cohort: a.cohort,
        purpose: a.purpose,
        models: a.models,
        bundleVersion: 1,
      }),
    ) as Bundle;
    expect(hashBundle(reordered)).toBe(hashBundle(a));
    // Bundles saved before they listed models keep their hash; a listed model is part of it.
    const { models: _models, ...withoutModels } = a;
    expect(hashBundle(a)).toBe(createHash("sha256").update(canonicalJson(withoutModels)).digest("hex"));
    const withModel = {
      ...a,
      models: [bundleModelOf({ ...logisticModel("Risk").spec, outcome: logisticModel().outcome })],
    };
    expect(hashBundle(withModel)).not.toBe(hashBundle(a));
    expect(hashBundle({ ...withModel, models: [{ ...withModel.models[0]!, task: "regression" }] })).not.toBe(
      hashBundle(withModel),
    );
    expect(hashBundle({ ...a, maxRounds: a.maxRounds + 1 })).not.toBe(hashBundle(a));
    // Rounding is something sites approve too; bundles without it keep their hash.
    expect(hashBundle({ ...a, privacy: { ...a.privacy, roundingBase: 5 } })).not.toBe(hashBundle(a));
    expect(diffBundles(a, { ...a, privacy: { minCellCount: 20 } })).toEqual([
      { path: "privacy.minCellCount", before: 10, after: 20 },
    ]);
  });
});

describe("project status", () => {
  it("allows only the documented moves", () => {
    expect(canTransition("draft", "submitted")).toBe(true);
    expect(canTransition("submitted", "active")).toBe(true);
    expect(canTransition("active", "submitted")).toBe(true);
    expect(canTransition("draft", "active")).toBe(false);
    expect(canTransition("closed", "draft")).toBe(false);
    expect(canTransition("closed", "active")).toBe(false);
  });
});

describe("per-site approvals", () => {
  it("activates on the first approval, keeps a decline with its comment, and a revision voids both", async () => {
    const s = await scene();
    await s.asResearcher.projects.submit({ projectId: s.projectId, siteIds: [s.kch.id, s.gstt.id] });
    const kch = callerAs(s.db, s.kchApprover);
    const gstt = callerAs(s.db, s.gsttApprover);

    const kchRequest = await pendingApproval(s, kch, s.kch.id);
    await kch.approvals.decide({ siteId: s.kch.id, approvalId: kchRequest.approvalId, decision: "approved" });
    const gsttRequest = await pendingApproval(s, gstt, s.gstt.id);
    const noComment = gstt.approvals.decide({
      siteId: s.gstt.id,
      approvalId: gsttRequest.approvalId,
      decision: "declined",
    });
    expect(await fieldErrorsOfCall(noComment)).toEqual({
      comment: ["Say why you decline, so the researchers can act on it"],
    });
    await gstt.approvals.decide({
      siteId: s.gstt.id,
      approvalId: gsttRequest.approvalId,
      decision: "declined",
      comment: "Outside our data-sharing agreement.",
    });

    let page = await s.asResearcher.projects.byId({ projectId: s.projectId });
    expect(page.project.status).toBe("active");
    expect(page.sites.map((x) => [x.code, x.status, x.comment])).toEqual(
      [
        [s.kch.code, "approved", null],
        [s.gstt.code, "declined", "Outside our data-sharing agreement."],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    expect(await s.asResearcher.projects.newDecisions()).toBe(2);

    // Decisions are final for a revision.
    await expect(
      kch.approvals.decide({
        siteId: s.kch.id,
        approvalId: kchRequest.approvalId,
        decision: "declined",
        comment: "changed my mind",
      }),
    ).rejects.toThrow("This revision was already approved; decisions are final. Nothing was changed.");

    await s.asResearcher.projects.updateBundle({
      projectId: s.projectId,
      bundle: { ...bundleWith("Find ischaemic stroke lesions on CT scans of the head."), maxRounds: 30 },
    });
    page = await s.asResearcher.projects.byId({ projectId: s.projectId });
    expect(page.project.status).toBe("submitted");
    expect(page.revision.number).toBe(3);
    expect(page.sites.every((x) => x.status === "pending")).toBe(true);

    const again = await kch.approvals.request({
      siteId: s.kch.id,
      approvalId: (await pendingApproval(s, kch, s.kch.id)).approvalId,
    });
    expect(again.previouslyApproved?.changes).toEqual([{ path: "maxRounds", before: 20, after: 30 }]);
  });

  it("lets nobody but that site's approver decide, and changes nothing when refused", async () => {
    const s = await scene();
    await s.asResearcher.projects.submit({ projectId: s.projectId, siteIds: [s.kch.id] });
    const request = await pendingApproval(s, callerAs(s.db, s.kchApprover), s.kch.id);
    const input = { siteId: s.kch.id, approvalId: request.approvalId, decision: "approved" as const };
    const before = await snapshotTables(s.db);
    for (const viewer of [s.admin, s.researcher, s.gsttApprover]) {
      await expect(callerAs(s.db, viewer).approvals.decide(input)).rejects.toMatchObject({
        code: "FORBIDDEN",
        message: "Only an approver for this site can do this.",
      });
    }
    // Naming their own site does not help the GSTT approver reach KCH's request.
    await expect(
      callerAs(s.db, s.gsttApprover).approvals.decide({ ...input, siteId: s.gstt.id }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await snapshotTables(s.db)).toEqual(before);
  });
});

describe("cohort dispatch", () => {
  it("sends approved work only to sites whose approval matches the current revision", async () => {
    const s = await scene();
    await s.asResearcher.projects.submit({ projectId: s.projectId, siteIds: [s.kch.id, s.gstt.id] });
    const kch = callerAs(s.db, s.kchApprover);
    await kch.approvals.decide({
      siteId: s.kch.id,
      approvalId: (await pendingApproval(s, kch, s.kch.id)).approvalId,
      decision: "approved",
    });
    const before = await snapshotTables(s.db);
    await expect(
      s.asResearcher.cohorts.run({ projectId: s.projectId, purpose: "approved", siteIds: [s.kch.id, s.gstt.id] }),
    ).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: `Not approved for the current revision at ${s.gstt.code}; those sites receive no work until they approve it.`,
    });
    expect(await snapshotTables(s.db)).toEqual(before);
    const run = await s.asResearcher.cohorts.run({ projectId: s.projectId, purpose: "approved", siteIds: [s.kch.id] });
    const tasks = await s.db.select().from(siteTasks).where(eq(siteTasks.kind, "cohort_count"));
    expect(tasks.map((t) => t.siteId)).toEqual([s.kch.id]);
    expect(tasks[0]!.payload.minCellCount).toBe(10);
    expect((await s.asResearcher.cohorts.result({ projectId: s.projectId, runId: run.id })).sites[0]).toMatchObject({
      code: s.kch.code,
      status: "queued",
    });
  });

  it("limits repeated feasibility counts of the same definition per site per day", async () => {
    const s = await scene();
    for (let i = 0; i < 3; i++)
      await s.asResearcher.cohorts.run({ projectId: s.projectId, purpose: "feasibility", siteIds: [s.kch.id] });
    const before = await snapshotTables(s.db);
    await expect(
      s.asResearcher.cohorts.run({ projectId: s.projectId, purpose: "feasibility", siteIds: [s.kch.id, s.gstt.id] }),
    ).rejects.toMatchObject({
      code: "TOO_MANY_REQUESTS",
      message: `This exact cohort was already counted 3 times today at ${s.kch.code}. Use the earlier results or try again tomorrow.`,
    });
    expect(await snapshotTables(s.db)).toEqual(before);
    await s.asResearcher.cohorts.run({ projectId: s.projectId, purpose: "feasibility", siteIds: [s.gstt.id] });
  });

  it("finding: renaming a rule or asking from a second project does not make the same query new", async () => {
    const s = await scene();
    const labelled = (ruleName: string, conceptName: string) =>
      ZCohortDefinition.parse({
        version: 1,
        entry: { type: "condition", concepts: [{ conceptId: 443454, name: conceptName }] },
        inclusionRules: [
          {
            name: ruleName,
            group: {
              kind: "group",
              operator: "AND",
              items: [{ kind: "demographics", demographics: { ageAtIndex: { min: 85 } } }],
            },
          },
        ],
      });
    const revise = (projectId: string, ruleName: string, conceptName: string) =>
      s.asResearcher.projects.updateBundle({
        projectId,
        bundle: {
          ...initialBundle("Find ischaemic stroke lesions on CT scans of the head."),
          cohort: labelled(ruleName, conceptName),
        },
      });
    const count = (projectId: string) =>
      s.asResearcher.cohorts.run({ projectId, purpose: "feasibility", siteIds: [s.kch.id] });
    await revise(s.projectId, "Aged 85 and over", "Cerebral infarction");
    await count(s.projectId);
    await revise(s.projectId, "Oldest old", "Stroke");
    await count(s.projectId);
    const second = await s.asResearcher.projects.create({
      title: "Stroke lesion detection, again",
      purpose: "Find ischaemic stroke lesions on CT scans of the head.",
    });
    await revise(second.id, "Very old", "Infarct");
    await count(second.id);
    const before = await snapshotTables(s.db);
    await revise(s.projectId, "Renamed once more", "CVA").then(() => undefined);
    const afterRevision = await snapshotTables(s.db);
    await expect(count(s.projectId)).rejects.toMatchObject({ code: "TOO_MANY_REQUESTS" });
    await expect(count(second.id)).rejects.toMatchObject({ code: "TOO_MANY_REQUESTS" });
    expect(await snapshotTables(s.db)).toEqual(afterRevision);
    expect(afterRevision).not.toEqual(before);
  });

  it("refuses a project without a cohort, and records every request in the audit log", async () => {
    const s = await scene();
    const bare = await s.asResearcher.projects.create({
      title: "No cohort yet",
      purpose: "Nothing defined yet, on purpose for this test.",
    });
    await expect(
      s.asResearcher.cohorts.run({ projectId: bare.id, purpose: "feasibility", siteIds: [s.kch.id] }),
    ).rejects.toThrow("Define the cohort first.");
    const actions = (await s.db.select({ action: auditEvents.action }).from(auditEvents)).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["project.created", "project.revised"]));
    const [row] = await s.db.select({ status: projects.status }).from(projects).where(eq(projects.id, bare.id));
    expect(row!.status).toBe("draft");
  });
});

describe("models in the bundle", () => {
  it("registering a model adds what it learns from and predicts to the bundle as a revision the sites approve again", async () => {
    const s = await scene();
    await s.asResearcher.projects.submit({ projectId: s.projectId, siteIds: [s.kch.id, s.gstt.id] });
    const kch = callerAs(s.db, s.kchApprover);
    const gstt = callerAs(s.db, s.gsttApprover);
    for (const [caller, site] of [
      [kch, s.kch],
      [gstt, s.gstt],
    ] as const) {
      const request = await pendingApproval(s, caller, site.id);
      await caller.approvals.decide({ siteId: site.id, approvalId: request.approvalId, decision: "approved" });
    }
    const before = await s.asResearcher.projects.byId({ projectId: s.projectId });
    expect(before.project.status).toBe("active");
    expect(before.revision.bundle.models).toEqual([]);

    const model = logisticModel("Stroke risk");
    const registered = await s.asResearcher.models.register({ ...model, projectId: s.projectId });
    expect(registered.bundle).toEqual({ revision: before.revision.number + 1, isNew: true });
    const after = await s.asResearcher.projects.byId({ projectId: s.projectId });
    expect(after.project.status).toBe("submitted");
    expect(after.revision.bundle.models).toEqual([
      {
        name: "Stroke risk",
        task: "binary_classification",
        input: model.spec.input,
        outcome: model.outcome,
        architectureSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
    ]);
    expect(after.sites.map((x) => x.status)).toEqual(["pending", "pending"]);
    const audit = await s.db.select().from(auditEvents).orderBy(auditEvents.seq);
    expect(audit.slice(-2).map((e) => e.action)).toEqual(["project.revised", "model.registered"]);

    // The approver sees the model in the bundle, and the change against the revision the site approved.
    const request = await pendingApproval(s, kch, s.kch.id);
    const view = await kch.approvals.request({ siteId: s.kch.id, approvalId: request.approvalId });
    expect(view.bundle.models.map((m) => m.name)).toEqual(["Stroke risk"]);
    expect(view.previouslyApproved?.changes.map((c) => c.path)).toEqual(
      expect.arrayContaining([
        "models.0.name",
        "models.0.task",
        "models.0.outcome.conceptIds.0",
        "models.0.input.kind",
      ]),
    );
    expect(view.previouslyApproved?.changes.every((c) => c.path.startsWith("models.0."))).toBe(true);

    // Another model with the same task, input and outcome changes nothing in governance.
    const governance = async () => {
      const tables = await snapshotTables(s.db);
      return [tables.projects, tables.project_revisions, tables.site_approvals, tables.project_sites];
    };
    const snapshot = await governance();
    const same = await s.asResearcher.models.register({
      ...logisticModel("Stroke risk, deeper"),
      projectId: s.projectId,
    });
    expect(same.bundle).toEqual({ revision: after.revision.number, isNew: false });
    expect(await governance()).toEqual(snapshot);

    // The same data through another architecture is another model to approve: a new revision, pending again.
    const other = logisticModel("Stroke risk, two layers");
    const mlp = await s.asResearcher.models.register({
      ...other,
      spec: { ...other.spec, architecture: { kind: "template", template: "mlp" } },
      projectId: s.projectId,
    });
    expect(mlp.bundle).toEqual({ revision: after.revision.number + 1, isNew: true });
    const latest = await s.asResearcher.projects.byId({ projectId: s.projectId });
    expect(latest.revision.bundle.models.map((m) => m.name)).toEqual(["Stroke risk", "Stroke risk, two layers"]);
    expect(latest.sites.map((x) => x.status)).toEqual(["pending", "pending"]);
  });
});
