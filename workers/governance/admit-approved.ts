import { ZBundle, findBundleModel, type Bundle } from "@/protocol/bundle";
import { canonicalBundleJson, hashArchitecture, sha256Hex } from "@/protocol/bundle-hash";
import { canonicalJson } from "@/protocol/canonical-json";
import type { TaskKind } from "@/protocol/contract";
import { ZTaskGovernance, type TaskGovernance } from "@/protocol/signed-approval";
import type { ModelPackage } from "@/protocol/training";
import { verifyApprovalAssertion } from "@/protocol/webauthn/verify-assertion";
import { suppressionThreshold, type SitePolicy } from "../policy";
import { TaskError } from "../release/failures";
import type { VerifiedApproval } from "../ledger/verified-approvals";
import { relyingPartyIds, type Approver } from "./approvers";

/**
 * The site's own check that a task is one its approvers signed for, run before any handler reads
 * data: the bundle the task carries hashes to the hash an enrolled approver signed for this site
 * and revision, and the task (project, kind, output, cohort, model, rounds, threshold, privacy) is
 * inside that bundle. Whatever the hub's database says, a task that fails is refused and recorded.
 * Off while the policy lists no approvers; feasibility counts (counts only) need no approval.
 */
type AdmittedTask = { kind: TaskKind; payload: Record<string, unknown>; governance?: unknown };

const OUTPUT_OF: Partial<Record<TaskKind, Bundle["outputs"][number]>> = {
  cohort_count: "cohort_counts",
  train: "model_updates",
  evaluate: "metrics",
};

const missing = (detail: string) => new TaskError({ reason: "approval_missing" }, false, detail);
const invalid = (detail: string) => new TaskError({ reason: "approval_invalid" }, false, detail);
const outside = (detail: string) => new TaskError({ reason: "outside_approval" }, false, detail);

/**
 * Throws the site's refusal (TaskError) unless the task runs under a bundle an enrolled approver
 * signed; returns that bundle and the approval as verified (for the site ledger), or null when the
 * site does not require signed approvals for it.
 */
export function admitApprovedTask(
  policy: SitePolicy,
  task: AdmittedTask,
): { bundle: Bundle; approval: VerifiedApproval } | null {
  if (!policy.requireSignedApprovals || task.kind === "site_inventory") return null;
  // Before approval a site may answer counts only (the gate has already applied allowFeasibility).
  if (task.kind === "cohort_count" && task.payload.purpose === "feasibility") return null;
  if (task.governance === undefined || task.governance === null)
    throw missing("the task carries no governance bundle or approval");
  const parsed = ZTaskGovernance.safeParse(task.governance);
  if (!parsed.success)
    throw invalid(
      `the task's governance does not parse: ${parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
        .join("; ")}`,
    );
  const governance = parsed.data;
  if (!governance.approval) throw missing(`this site has not approved revision ${governance.revisionId}`);
  if (governance.approval.decision !== "approved")
    throw missing(`this site declined revision ${governance.revisionId}`);
  const { bundle, approver } = verifiedBundle(policy, governance);
  checkInsideBundle(policy, task, governance, bundle);
  const approval: VerifiedApproval = {
    projectId: governance.projectId,
    revisionId: governance.revisionId,
    bundleHash: governance.bundleHash,
    decidedAt: governance.approval.decidedAt,
    approver: approver.name,
    keyFingerprint: approver.fingerprint,
  };
  return { bundle, approval };
}

/** The DP budget the signed bundle gives the project at each site (ε at its maximum δ), if it names one. */
export function approvedPrivacyBudget(bundle: Bundle | null): { maxEpsilon: number; delta: number } | undefined {
  const dp = bundle?.privacy.differentialPrivacy;
  return dp?.maxEpsilon === undefined ? undefined : { maxEpsilon: dp.maxEpsilon, delta: dp.maxDelta };
}

function verifiedBundle(policy: SitePolicy, governance: TaskGovernance): { bundle: Bundle; approver: Approver } {
  const bundleHash = sha256Hex(governance.bundleJson);
  if (bundleHash !== governance.bundleHash)
    throw invalid(`the bundle hashes to ${bundleHash}, not to the ${governance.bundleHash} it claims`);
  let parsed: Bundle;
  try {
    parsed = ZBundle.parse(JSON.parse(governance.bundleJson));
  } catch {
    throw invalid("the bundle is not a governance bundle this worker reads");
  }
  if (canonicalBundleJson(parsed) !== governance.bundleJson) throw invalid("the bundle is not in canonical form");
  const { decidedAt, assertion } = governance.approval!;
  const statement = {
    bundleHash,
    revisionId: governance.revisionId,
    projectId: governance.projectId,
    // The site's own code, never the hub's word: an approval signed for another site does not verify here.
    siteCode: policy.site,
    decision: "approved" as const,
    decidedAt,
  };
  const check = verifyApprovalAssertion(statement, assertion, policy.approvers, {
    origins: policy.portalOrigins,
    rpIds: relyingPartyIds(policy),
  });
  if (!check.ok) throw invalid(`the approval's signature does not hold: ${check.reason}`);
  return { bundle: parsed, approver: check.key };
}

function checkInsideBundle(policy: SitePolicy, task: AdmittedTask, governance: TaskGovernance, bundle: Bundle) {
  const { payload } = task;
  if (payload.projectId !== governance.projectId) throw outside("the task is for another project than its approval");
  if (!(bundle.allowedJobKinds as readonly string[]).includes(task.kind))
    throw outside(`the approved bundle does not allow ${task.kind} tasks`);
  const output = OUTPUT_OF[task.kind];
  if (!output || !bundle.outputs.includes(output))
    throw outside(`the approved bundle does not let ${output ?? task.kind} leave the site`);
  const cohort = task.kind === "cohort_count" ? payload.definition : payload.cohort;
  if (!bundle.cohort || canonicalJson(cohort) !== canonicalJson(bundle.cohort))
    throw outside("the task's cohort is not the approved bundle's cohort");
  const threshold = suppressionThreshold(policy, payload.minCellCount as number | undefined);
  if (threshold < bundle.privacy.minCellCount)
    throw outside(`the task would suppress below ${bundle.privacy.minCellCount}, the approved minimum cell count`);
  const rounding = bundle.privacy.roundingBase;
  if (rounding && policy.roundingBase % rounding !== 0)
    throw outside(`this site rounds counts to ${policy.roundingBase}, not to multiples of the approved ${rounding}`);
  if (task.kind === "cohort_count") return;

  const model = payload.model as ModelPackage;
  const architectureSha256 = hashArchitecture(model.architecture);
  if (!findBundleModel(bundle, { ...model, architectureSha256 }))
    throw outside(`the approved bundle does not list this model (architecture ${architectureSha256})`);
  if (task.kind !== "train") return;
  const totalRounds = payload.totalRounds as number;
  if (totalRounds > bundle.maxRounds || (payload.round as number) > totalRounds)
    throw outside(`the job's ${totalRounds} rounds exceed the approved ${bundle.maxRounds}`);
  const required = bundle.privacy.differentialPrivacy;
  const dp = payload.differentialPrivacy as { noiseMultiplier: number; delta: number } | undefined;
  if (required && (!dp || dp.noiseMultiplier < required.minNoiseMultiplier || dp.delta > required.maxDelta))
    throw outside("the job's differential privacy is weaker than the approved bundle requires");
}
