import { eq, sql } from "drizzle-orm";
import { newTotpSecret } from "@/server/auth/totp";
import { describe, expect, it } from "vitest";
import { sites, siteTasks } from "@/db/schema";
import { seedDemo } from "@/server/cli/demo-seed";
import { getUserByEmail, viewerOf } from "@/server/lib/test-support/fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { countUnseenDecisions, getProject, listMyProjects, reviseBundle } from "@/server/projects/projects.service";
import { listModels } from "@/server/models/models.service";
import { countDemoCohorts, PROSTATE_PROJECT, seedDemoProjects, STROKE_PROJECT } from "./demo-projects";

const testDb = useTestDatabase();

describe("seedDemoProjects", () => {
  it("creates the two ready-to-train projects, approved at every demo site with a model each, once", async () => {
    const db = testDb.db();
    await seedDemo(db, "demo-password-1", { totpSecret: newTotpSecret() });
    expect(await seedDemoProjects(db)).toEqual([
      `project "${PROSTATE_PROJECT.title}"`,
      `project "${STROKE_PROJECT.title}"`,
    ]);
    expect(await seedDemoProjects(db)).toEqual([]);

    const researcher = await viewerOf(db, (await getUserByEmail(db, "researcher@demo.flip"))!.id);
    const projects = await listMyProjects(db, researcher, {});
    expect(projects.map((p) => [p.title, p.status]).sort()).toEqual([
      [PROSTATE_PROJECT.title, "active"],
      [STROKE_PROJECT.title, "active"],
    ]);
    for (const project of projects) {
      const detail = await getProject(db, researcher, { projectId: project.id });
      expect(detail.sites.map((s) => [s.code, s.status]).sort()).toEqual([
        ["GSTT", "approved"],
        ["KCH", "approved"],
        ["UCLH", "approved"],
      ]);
      expect(detail.revision.bundle.allowedJobKinds).toEqual(["cohort_count", "train", "evaluate"]);
      // The prostate project's sites approved training only with differential privacy and secure aggregation.
      const isProstate = project.title === PROSTATE_PROJECT.title;
      expect(detail.revision.bundle.privacy.differentialPrivacy).toEqual(
        isProstate ? { minNoiseMultiplier: 1.2, maxDelta: 1e-5 } : undefined,
      );
      expect(detail.revision.bundle.privacy.secureAggregation).toBe(isProstate ? true : undefined);
      const models = await listModels(db, { projectId: project.id });
      expect(models).toMatchObject([
        { name: project.title === PROSTATE_PROJECT.title ? "PSA risk MLP" : "Lesion CNN", versionCount: 1 },
      ]);
      // The sites approved the revision that lists the model, so it can train: registering it changed nothing.
      expect(detail.revision.number).toBe(2);
      const demo = project.title === PROSTATE_PROJECT.title ? PROSTATE_PROJECT : STROKE_PROJECT;
      expect(detail.revision.bundle.models).toEqual([
        {
          name: demo.model.spec.name,
          task: demo.model.spec.task,
          input: demo.model.spec.input,
          outcome: demo.model.outcome,
          architectureSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        },
      ]);
    }
    expect(await countUnseenDecisions(db, researcher)).toBe(0);
  });
});

describe("seedDemoProjects on a demo database from before bundles listed models", () => {
  it("lists each demo model in its project's bundle and has every site approve that revision, once", async () => {
    const db = testDb.db();
    await seedDemo(db, "demo-password-3", { totpSecret: newTotpSecret() });
    await seedDemoProjects(db);
    const researcher = await viewerOf(db, (await getUserByEmail(db, "researcher@demo.flip"))!.id);
    const projects = await listMyProjects(db, researcher, {});
    // As such a database was: the approved bundle lists no model.
    for (const project of projects) {
      const detail = await getProject(db, researcher, { projectId: project.id });
      await reviseBundle(db, researcher, { projectId: project.id, bundle: { ...detail.revision.bundle, models: [] } });
    }

    expect((await seedDemoProjects(db)).sort()).toEqual([
      `model "Lesion CNN" in the bundle of "${STROKE_PROJECT.title}"`,
      `model "PSA risk MLP" in the bundle of "${PROSTATE_PROJECT.title}"`,
    ]);
    expect(await seedDemoProjects(db)).toEqual([]);
    for (const project of projects) {
      const detail = await getProject(db, researcher, { projectId: project.id });
      expect(detail.project.status).toBe("active");
      expect(detail.revision.number).toBe(4);
      expect(detail.revision.bundle.models).toHaveLength(1);
      expect(detail.sites.map((s) => s.status)).toEqual(["approved", "approved", "approved"]);
    }
  });
});

describe("countDemoCohorts", () => {
  it("queues the approved count of each demo project at every approved site, once per revision", async () => {
    const db = testDb.db();
    await seedDemo(db, "demo-password-2", { totpSecret: newTotpSecret() });
    await seedDemoProjects(db);
    expect(await countDemoCohorts(db)).toEqual([`"${PROSTATE_PROJECT.title}"`, `"${STROKE_PROJECT.title}"`]);
    expect(await countDemoCohorts(db)).toEqual([]);
    const queued = await db
      .select({ site: sites.code, purpose: sql<string>`${siteTasks.payload} ->> 'purpose'`, status: siteTasks.status })
      .from(siteTasks)
      .innerJoin(sites, eq(sites.id, siteTasks.siteId))
      .where(eq(siteTasks.kind, "cohort_count"));
    expect(queued.map((t) => `${t.site} ${t.purpose} ${t.status}`).sort()).toEqual(
      ["GSTT", "GSTT", "KCH", "KCH", "UCLH", "UCLH"].map((code) => `${code} approved queued`),
    );
  });
});
