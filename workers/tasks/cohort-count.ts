import { suppressCohortCounts } from "../cohort/breakdowns";
import { countCohort } from "../cohort/run-cohort";
import { suppressionThreshold } from "../policy";
import { TaskError, type TaskHandler } from "./base";

/**
 * Counts a cohort definition on this site's OMOP database and returns only suppressed
 * aggregates: total, cumulative attrition, age bands and sex. Progress messages are fixed text:
 * an unsuppressed count must not slip out through them.
 */
const STATEMENT_TIMEOUT_MS = 60_000;

export const cohortCountTask: TaskHandler<"cohort_count"> = {
  kind: "cohort_count",
  async run(payload, ctx) {
    if (payload.purpose === "feasibility" && !ctx.policy.allowFeasibility) {
      throw new TaskError(
        "This site does not answer feasibility cohort counts (allowFeasibility is false in its site policy file); it counts only cohorts of a project revision it approved.",
        false,
        "refused_by_site_policy",
      );
    }
    const threshold = suppressionThreshold(ctx.policy, payload.minCellCount);
    await ctx.progress(10, "counting the cohort");
    const counts = await ctx.siteDb.readOnly(
      (query) => countCohort(query, payload.definition, { table: ctx.siteDb.table }),
      {
        statementTimeoutMs: STATEMENT_TIMEOUT_MS,
        signal: ctx.signal,
      },
    );
    await ctx.progress(90, "cohort counted; suppressing small cells");
    ctx.log.info("Cohort counted", { rules: payload.definition.inclusionRules.length, threshold });
    return suppressCohortCounts(payload.definition, counts, threshold);
  },
};
