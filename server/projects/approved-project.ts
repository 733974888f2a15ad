import { and, eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { projects, siteApprovals } from "@/db/schema";
import { decideApproval } from "@/server/approvals/approvals.service";
import type { UserActor } from "@/server/auth/actor";
import { architectureOf, registerModel } from "@/server/models/models.service";
import { hashArchitecture } from "@/protocol/bundle-hash";
import type { TRegisterModelInput } from "@/server/models/models.schema";
import type { CohortDefinitionInput } from "@/protocol/cohort-definition";
import { ZCohortDefinition } from "@/protocol/cohort-definition";
import { ZBundleModel } from "@/protocol/bundle";
import { bundleModelOf, initialBundle } from "./bundle";
import type { Bundle } from "./projects.schema";
import { createProject, reviseBundle, submitProject } from "./projects.service";

export type ApprovedProjectSpec = {
  title: string;
  purpose: string;
  cohort: CohortDefinitionInput;
  approvers: { approver: UserActor; siteId: string }[];
  model: Omit<TRegisterModelInput, "projectId">;
  maxRounds?: number;
  /** What the sites approve about privacy (the minimum cell count, and DP or secure aggregation they require). */
  privacy?: Bundle["privacy"];
};

/**
 * A project taken through the real governance path (bundle allowing training and listing the
 * model's spec, submission, each site's approver approving) with one registered model, whose
 * registration then changes nothing in governance: what the demo seeds and what training
 * tests start from. Uses the same services the pages call, so it audits like a person would.
 */
export async function createApprovedProject(db: Database, researcher: UserActor, spec: ApprovedProjectSpec) {
  const project = await createProject(db, researcher, { title: spec.title, purpose: spec.purpose });
  const bundle: Bundle = {
    ...initialBundle(spec.purpose),
    cohort: ZCohortDefinition.parse(spec.cohort),
    allowedJobKinds: ["cohort_count", "train", "evaluate"],
    outputs: ["cohort_counts", "model_updates", "metrics"],
    maxRounds: spec.maxRounds ?? 20,
    privacy: spec.privacy ?? initialBundle(spec.purpose).privacy,
    // Sites approve what the model learns from and predicts, and its architecture, so its spec is in the bundle they approve.
    models: [
      ZBundleModel.parse(
        bundleModelOf({
          ...spec.model.spec,
          outcome: spec.model.outcome,
          architectureSha256: hashArchitecture(architectureOf(spec.model.spec)),
        }),
      ),
    ],
  };
  await reviseBundle(db, researcher, { projectId: project.id, bundle });
  await submitProject(db, researcher, { projectId: project.id, siteIds: spec.approvers.map((a) => a.siteId) });
  await approveCurrentRevision(db, project.id, spec.approvers);
  const { model, version } = await registerModel(db, researcher, { ...spec.model, projectId: project.id });
  return { projectId: project.id, modelId: model.id, versionId: version.id };
}

/** Each given site's approver approves the project's current revision where it is still pending. */
export async function approveCurrentRevision(
  db: Database,
  projectId: string,
  approvers: { approver: UserActor; siteId: string }[],
) {
  for (const { approver, siteId } of approvers) {
    const [approval] = await db
      .select({ id: siteApprovals.id })
      .from(siteApprovals)
      .innerJoin(projects, eq(projects.currentRevisionId, siteApprovals.revisionId))
      .where(and(eq(projects.id, projectId), eq(siteApprovals.siteId, siteId), eq(siteApprovals.status, "pending")));
    if (!approval) continue;
    await decideApproval(db, approver, {
      siteId,
      approvalId: approval.id,
      decision: "approved",
      comment: "Approved for federated training.",
    });
  }
}
