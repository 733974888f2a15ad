import { and, eq, inArray } from "drizzle-orm";
import type { Database } from "@/db/client";
import { DEMO_ACCOUNTS } from "@/server/cli/demo-seed";
import { cohortRuns, projectRevisions, projects, roleGrants, sites, users } from "@/db/schema";
import { findBundleModel, ZBundleModel } from "@/protocol/bundle";
import { hashArchitecture } from "@/protocol/bundle-hash";
import { runCohort } from "@/server/cohorts/cohorts.service";
import { architectureOf } from "@/server/models/models.service";
import {
  approveCurrentRevision,
  createApprovedProject,
  type ApprovedProjectSpec,
} from "@/server/projects/approved-project";
import { bundleModelOf } from "@/server/projects/bundle";
import { listApprovedSiteIds, markDecisionsSeen, reviseBundle } from "@/server/projects/projects.service";

/**
 * The two ready-to-train demo projects: approved at every demo site, each with a model, so a
 * newcomer can press Train and watch rounds come in. Concept ids are those the synthetic site
 * data uses (workers/site-data/README.md).
 */
const PSA = 3013603;
const NG_PER_ML = 8842;

export const PROSTATE_PROJECT = {
  title: "Prostate cancer risk",
  purpose:
    "Estimate the risk that a man who has a PSA test is diagnosed with prostate cancer within three years, from his PSA results and age, so that referral for MRI can be prioritised fairly across Trusts.",
  cohort: {
    version: 1,
    entry: { type: "measurement", concepts: [{ conceptId: PSA, name: "PSA", includeDescendants: true }] },
    demographics: { sex: ["male"], ageAtIndex: { min: 40 } },
    inclusionRules: [],
  },
  model: {
    spec: {
      name: "PSA risk MLP",
      task: "binary_classification",
      input: {
        kind: "tabular",
        features: [
          {
            name: "psa_latest",
            from: {
              source: "measurement",
              conceptId: PSA,
              unitConceptId: NG_PER_ML,
              aggregation: "latest",
              windowDays: 730,
            },
            encoding: "standardise",
          },
          { name: "age", from: { source: "demographic", field: "age_at_index" }, encoding: "standardise" },
        ],
      },
      architecture: { kind: "template", template: "mlp" },
    },
    outcome: { name: "Prostate cancer", conceptIds: [4163261], includeDescendants: true, withinDays: 1095 },
    limitations:
      "Synthetic demonstration data. PSA is standardised with each site's own training statistics. Not for clinical use.",
  },
  // The sites approve training only with differential privacy and secure aggregation: the hub sees only the sum
  // of the three sites' masked updates, each site adds its share of the noise, and 3 rounds at this noise cost
  // each site ε ≈ 7.3 of its 10.
  privacy: {
    minCellCount: 10,
    differentialPrivacy: { minNoiseMultiplier: 1.2, maxDelta: 1e-5 },
    secureAggregation: true,
  },
} as const satisfies Omit<ApprovedProjectSpec, "approvers">;

export const STROKE_PROJECT = {
  title: "Stroke lesion detection on CT",
  purpose:
    "Detect ischaemic stroke lesions on non-contrast head CT slices, trained across Trusts without moving any image, to support triage in hospitals without a neuroradiologist on site.",
  cohort: { version: 1, entry: { type: "imaging", modality: "CT" }, inclusionRules: [] },
  model: {
    spec: {
      name: "Lesion CNN",
      task: "binary_classification",
      input: { kind: "image", height: 64, width: 64, channels: 1, modality: "CT", horizontalFlip: true },
      architecture: { kind: "template", template: "small_cnn" },
    },
    outcome: { name: "Cerebral infarction", conceptIds: [443454], includeDescendants: true },
    limitations:
      "Synthetic 64 x 64 slices with a simulated hypodense lesion; real CT needs full volumes and windowing. Not for clinical use.",
  },
} as const satisfies Omit<ApprovedProjectSpec, "approvers">;

/**
 * Idempotent: creates whichever demo project (by title) does not exist yet. A demo project seeded
 * before bundles listed models gets its model's spec listed and approved again, so it still trains.
 */
export async function seedDemoProjects(db: Database): Promise<string[]> {
  const existing = new Map(
    (
      await db
        .select({ id: projects.id, title: projects.title, bundle: projectRevisions.bundle })
        .from(projects)
        .innerJoin(projectRevisions, eq(projectRevisions.id, projects.currentRevisionId))
        .where(inArray(projects.title, [PROSTATE_PROJECT.title, STROKE_PROJECT.title]))
    ).map((p) => [p.title, p] as const),
  );
  const missing = [PROSTATE_PROJECT, STROKE_PROJECT].filter((p) => !existing.has(p.title));
  const specOf = (demo: typeof PROSTATE_PROJECT | typeof STROKE_PROJECT) =>
    ZBundleModel.parse(
      bundleModelOf({
        ...demo.model.spec,
        outcome: demo.model.outcome,
        architectureSha256: hashArchitecture(architectureOf(demo.model.spec)),
      }),
    );
  const unlisted = [PROSTATE_PROJECT, STROKE_PROJECT].filter((p) => {
    const project = existing.get(p.title);
    return project && !findBundleModel(project.bundle, specOf(p));
  });
  if (missing.length === 0 && unlisted.length === 0) return [];
  const researcherEmail = DEMO_ACCOUNTS.find((a) => a.role === "researcher")!.email;
  const [researcher] = await db
    .select({ id: users.id, email: users.email })
    .from(users)
    .where(eq(users.email, researcherEmail));
  const approvers = await db
    .select({ id: users.id, email: users.email, siteId: sites.id })
    .from(roleGrants)
    .innerJoin(users, eq(users.id, roleGrants.userId))
    .innerJoin(sites, eq(sites.id, roleGrants.siteId))
    .where(
      inArray(
        users.email,
        DEMO_ACCOUNTS.filter((a) => a.role === "approver").map((a) => a.email),
      ),
    );
  const created: string[] = [];
  for (const project of missing) {
    const { projectId } = await createApprovedProject(db, researcher!, {
      ...project,
      approvers: approvers.map((a) => ({ approver: a, siteId: a.siteId })),
    } as ApprovedProjectSpec);
    // Seeded approvals are part of the set-up, not news: no "new decisions" badge for them.
    await markDecisionsSeen(db, researcher!, { projectId });
    created.push(`project "${project.title}"`);
  }
  for (const demo of unlisted) {
    const project = existing.get(demo.title)!;
    const bundle = { ...project.bundle, models: [...project.bundle.models, specOf(demo)] };
    await reviseBundle(db, researcher!, { projectId: project.id, bundle });
    await approveCurrentRevision(
      db,
      project.id,
      approvers.map((a) => ({ approver: a, siteId: a.siteId })),
    );
    await markDecisionsSeen(db, researcher!, { projectId: project.id });
    created.push(`model "${demo.model.spec.name}" in the bundle of "${demo.title}"`);
  }
  return created;
}

/**
 * What the researcher does before pressing Train: counts the approved cohort of each demo project at
 * every site that approved it. A site's weight in training is bounded by the count it released, so a
 * project whose sites have not released one cannot train. Idempotent: a project whose current revision
 * already has an approved count is left alone. The workers pick the counts up as they come online.
 */
export async function countDemoCohorts(db: Database): Promise<string[]> {
  const researcherEmail = DEMO_ACCOUNTS.find((a) => a.role === "researcher")!.email;
  const [researcher] = await db
    .select({ id: users.id, email: users.email })
    .from(users)
    .where(eq(users.email, researcherEmail));
  const demo = await db
    .select({ id: projects.id, title: projects.title, revisionId: projects.currentRevisionId })
    .from(projects)
    .where(inArray(projects.title, [PROSTATE_PROJECT.title, STROKE_PROJECT.title]))
    .orderBy(projects.title);
  const counted: string[] = [];
  for (const project of demo) {
    if (!researcher || !project.revisionId) continue;
    const [existing] = await db
      .select({ id: cohortRuns.id })
      .from(cohortRuns)
      .where(and(eq(cohortRuns.revisionId, project.revisionId), eq(cohortRuns.purpose, "approved")))
      .limit(1);
    const siteIds = [...(await listApprovedSiteIds(db, { projectId: project.id }))];
    if (existing || siteIds.length === 0) continue;
    await runCohort(db, researcher, { projectId: project.id, purpose: "approved", siteIds });
    counted.push(`"${project.title}"`);
  }
  return counted;
}
