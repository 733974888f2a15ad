import { readFileSync } from "node:fs";
import { z } from "zod";
import type { CountRule } from "@/protocol/disclosure";
import type { SiteFailure } from "./release/failures";
import { ZApprover, ZPortalOrigin } from "./governance/approvers";

const ZBudget = z.strictObject({
  maxEpsilon: z.number().positive().max(1000).default(10),
  delta: z.number().min(1e-12).max(1e-3).default(1e-5),
});
export type PrivacyBudget = z.infer<typeof ZBudget>;

/**
 * The site's own policy file (FLIP_SITE_POLICY), written by the Trust's data-governance office.
 * The worker enforces it before any handler runs, whatever the hub asks. Unknown keys are an
 * error rather than ignored: a misspelt "minCellCount" must not silently fall back to a default.
 */
const ZPolicyFields = z.strictObject({
  /** The site code this policy belongs to; the worker refuses to run for a hub that calls it another site. */
  site: z.string().trim().min(1).max(20),
  /** Task kinds this site runs; kinds this worker version does not know yet may be listed ahead of an upgrade. */
  allowedTaskKinds: z
    .array(z.string().regex(/^[a-z][a-z0-9_]*$/, "a task kind such as site_inventory"))
    .default(["site_inventory", "cohort_count"]),
  /** Counts below this are returned as "suppressed"; the hub may ask for more, never less. */
  minCellCount: z.number().int().min(1).max(1000).default(10),
  /** Released counts are rounded to a multiple of this (5 is the usual NHS practice; 1 turns rounding off). */
  roundingBase: z.number().int().min(1).max(100).default(5),
  allowFeasibility: z.boolean().default(true),
  /** Feasibility counts this site answers per day, across all projects and requesters. */
  maxFeasibilityCountsPerDay: z.number().int().min(0).max(10_000).default(20),
  maxRounds: z.number().int().min(1).max(10_000).default(50),
  /**
   * Evaluations (`evaluate` results) this site releases per project, ever: each one's metrics and
   * counts say a little about the same persons, and a hand-set model turns metrics into counts.
   */
  maxEvaluationsPerProject: z.number().int().min(0).max(10_000).default(20),
  minCohortSize: z.number().int().min(1).default(10),
  requireDifferentialPrivacy: z.boolean().default(false),
  /**
   * The differential-privacy budget per project: the ε (at this δ) the site lets all of a project's
   * DP training spend, ever, recorded in the site ledger; `projects` sets it per project id.
   */
  privacyBudget: z
    .strictObject({
      ...ZBudget.shape,
      projects: z.record(z.uuid("a project id"), ZBudget).default({}),
    })
    .default({ maxEpsilon: 10, delta: 1e-5, projects: {} }),
  /**
   * The Trust's approvers and their passkey public keys. With any listed, every project task must
   * carry an approval signed by one of them over the bundle it runs under, or the site refuses it.
   */
  approvers: z.array(ZApprover).max(100).default([]),
  /** Where approvers sign: the portal's origins, as the browser reports them in the signature's client data. */
  portalOrigins: z.array(ZPortalOrigin).max(10).default([]),
  /** The passkeys' relying-party id when it is not the portal origins' host name. */
  rpId: z.string().trim().min(1).max(253).optional(),
  /** Follows the approvers: on when any are listed. Setting it against them is an error, not a choice. */
  requireSignedApprovals: z.boolean().optional(),
});

export const ZSitePolicy = ZPolicyFields.superRefine((policy, ctx) => {
  const hasApprovers = policy.approvers.length > 0;
  if (hasApprovers && policy.requireSignedApprovals === false)
    ctx.addIssue({
      code: "custom",
      path: ["requireSignedApprovals"],
      message: "approvers are listed, so signed approvals are required; remove requireSignedApprovals: false",
    });
  if (!hasApprovers && policy.requireSignedApprovals === true)
    ctx.addIssue({
      code: "custom",
      path: ["approvers"],
      message: "signed approvals are required: list at least one approver with their public key",
    });
  if (hasApprovers && policy.portalOrigins.length === 0)
    ctx.addIssue({
      code: "custom",
      path: ["portalOrigins"],
      message: "list the portal's origin (e.g. https://flip.example.nhs.uk) where the approvers sign",
    });
}).transform((policy) => ({ ...policy, requireSignedApprovals: policy.approvers.length > 0 }));
export type SitePolicy = z.output<typeof ZSitePolicy>;

export class PolicyFileError extends Error {}

/** Reads and validates the policy file; the error says which file and which fields are wrong. */
export function loadSitePolicy(path: string): SitePolicy {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new PolicyFileError(`cannot read the site policy file ${path} (${code})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PolicyFileError(`the site policy file ${path} is not valid JSON`);
  }
  const parsed = ZSitePolicy.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(file)"}: ${i.message}`).join("; ");
    throw new PolicyFileError(`the site policy file ${path} is not valid: ${issues}`);
  }
  return parsed.data;
}

/** The suppression threshold for a result: the site's own, or the hub's when it asks for more. */
export function suppressionThreshold(policy: SitePolicy, requested: number | undefined): number {
  return Math.max(policy.minCellCount, requested ?? 0);
}

/** How counts of a result are released: the threshold (the hub may raise it) and the site's rounding base. */
export function countRule(policy: SitePolicy, requested: number | undefined): CountRule {
  return { threshold: suppressionThreshold(policy, requested), base: policy.roundingBase };
}

/** The DP budget the site gives a project. */
export function privacyBudgetFor(policy: SitePolicy, projectId: string): PrivacyBudget {
  const { projects, ...fallback } = policy.privacyBudget;
  return projects[projectId] ?? fallback;
}

/** Why the site refuses a train task under its policy, or null; checked before any site data is read. */
export function trainingRefusal(policy: SitePolicy, totalRounds: number, hasDp = false): SiteFailure | null {
  if (policy.requireDifferentialPrivacy && !hasDp) return { reason: "differential_privacy_required" };
  if (totalRounds > policy.maxRounds) return { reason: "too_many_rounds", maxRounds: policy.maxRounds };
  return null;
}

/**
 * The fewest examples the site trains on: its minCohortSize, and never fewer than the result's
 * threshold, so a refusal for a small cohort says no more than a suppressed count would.
 */
export function minimumExamples(policy: SitePolicy, requestedThreshold: number | undefined): number {
  return Math.max(policy.minCohortSize, suppressionThreshold(policy, requestedThreshold));
}
