import { runCohort } from "../cohort/run-cohort";
import { findUnknownConcepts } from "../cohort/unknown-concepts";
import { TaskError } from "../release/failures";
import type { CountCharge } from "../release/privacy-budget";
import type { TaskHandler } from "./base";

/**
 * Counts a cohort definition on this site's OMOP database. The handler computes exact figures and
 * who they count; the release gate decides what of them may leave the site.
 */
const STATEMENT_TIMEOUT_MS = 60_000;

export const cohortCountTask: TaskHandler<"cohort_count"> = {
  kind: "cohort_count",
  async run(payload, ctx) {
    const dp = payload.differentialPrivacy;
    if (ctx.policy.requireDifferentialPrivacyForCounts && !dp)
      throw new TaskError({ reason: "differential_privacy_required", of: "counts" });
    const privacy: CountCharge | undefined = dp && {
      projectId: payload.projectId,
      countDp: dp,
      steps: payload.definition.inclusionRules.length + 1,
    };
    // Refused before the query runs: a count the budget cannot pay for reads nothing.
    if (privacy) ctx.admitPrivacy(privacy);
    await ctx.progress(10, "counting_cohort");
    const { evidence, unknownConcepts } = await ctx.siteDb.readOnly(
      async (query) => ({
        evidence: await runCohort(query, payload.definition, { table: ctx.siteDb.table }),
        unknownConcepts: await findUnknownConcepts(query, payload.definition, ctx.siteDb.table),
      }),
      { statementTimeoutMs: STATEMENT_TIMEOUT_MS, signal: ctx.signal },
    );
    await ctx.progress(90, "checking_release");
    ctx.log.info("Cohort counted", { rules: payload.definition.inclusionRules.length });
    return {
      evidence,
      ruleNames: payload.definition.inclusionRules.map((rule) => rule.name),
      unknownConcepts,
      ...(privacy ? { privacy } : {}),
    };
  },
};
