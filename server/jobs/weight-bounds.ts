import { and, desc, eq, inArray } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { cohortRuns, cohortRunTasks, siteTasks } from "@/db/schema";
import { AppError } from "@/server/errors";
import { SUPPRESSED, ZCohortCountResult, type Cell } from "@/protocol/contract";

/**
 * A site's weight in a federated round (its `exampleCount`, the FedAvg weight and the figure on the
 * model card) is bounded by what it released for the approved cohort: the total of its latest
 * approved `cohort_count` for the revision the job runs under. A site cannot weight itself above
 * the cohort it published; it trains on part of that cohort, so a larger count is refused.
 */
export type ReleasedCount = { total: Cell; releasedAt: Date };

/** Each site's latest approved cohort count for the revision, by site id; a site that released none is absent. */
export async function releasedApprovedCounts(
  tx: DbOrTx,
  { revisionId, siteIds }: { revisionId: string; siteIds: readonly string[] },
): Promise<Map<string, ReleasedCount>> {
  if (siteIds.length === 0) return new Map();
  const rows = await tx
    .selectDistinctOn([cohortRunTasks.siteId], {
      siteId: cohortRunTasks.siteId,
      result: siteTasks.result,
      finishedAt: siteTasks.finishedAt,
    })
    .from(cohortRunTasks)
    .innerJoin(cohortRuns, eq(cohortRuns.id, cohortRunTasks.runId))
    .innerJoin(siteTasks, eq(siteTasks.id, cohortRunTasks.taskId))
    .where(
      and(
        eq(cohortRuns.revisionId, revisionId),
        eq(cohortRuns.purpose, "approved"),
        eq(siteTasks.kind, "cohort_count"),
        eq(siteTasks.status, "done"),
        inArray(cohortRunTasks.siteId, [...siteIds]),
      ),
    )
    .orderBy(cohortRunTasks.siteId, desc(siteTasks.finishedAt), desc(siteTasks.id));
  const released = new Map<string, ReleasedCount>();
  for (const row of rows) {
    // Only the total is read; a result the hub accepted always has one.
    const parsed = ZCohortCountResult.pick({ total: true }).safeParse(row.result);
    if (parsed.success && row.finishedAt)
      released.set(row.siteId, { total: parsed.data.total, releasedAt: row.finishedAt });
  }
  return released;
}

export const releaseDate = (at: Date) => at.toISOString().slice(0, 10);

/**
 * Training starts only at sites whose bound is known: each chosen site released an approved count
 * for this revision, above its threshold. Refused otherwise, naming the sites and what to do.
 */
export async function checkWeightBoundsReleased(
  tx: DbOrTx,
  { revisionId, sites }: { revisionId: string; sites: readonly { id: string; code: string }[] },
): Promise<void> {
  const released = await releasedApprovedCounts(tx, { revisionId, siteIds: sites.map((s) => s.id) });
  const uncounted = sites.filter((s) => !released.has(s.id)).map((s) => s.code);
  if (uncounted.length)
    throw AppError.field(
      "PRECONDITION_FAILED",
      "siteIds",
      `Count the approved cohort at ${uncounted.join(", ")} first: a site's weight in training is bounded by the count it released.`,
    );
  const suppressed = sites.filter((s) => released.get(s.id)?.total === SUPPRESSED).map((s) => s.code);
  if (suppressed.length)
    throw AppError.field(
      "PRECONDITION_FAILED",
      "siteIds",
      `The approved cohort count at ${suppressed.join(", ")} came back suppressed: too few people there to train on. Leave ${suppressed.length === 1 ? "that site" : "those sites"} out of the job.`,
    );
}
