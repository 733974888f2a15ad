import { AppError } from "@/server/errors";
import { SUPPRESSED, TASK_SCHEMAS, type Cell, type TaskKind } from "@/workers/protocol/contract";

/**
 * The hub's second line of defence on what leaves a site: the site suppresses small cells, and
 * the hub refuses any result that shows a count below the threshold the result claims, or a
 * threshold lower than the one the hub asked for.
 */
export function checkResultPolicy(kind: TaskKind, payload: unknown, result: unknown): void {
  switch (kind) {
    case "site_inventory": {
      const asked = TASK_SCHEMAS.site_inventory.payload.parse(payload).minCellCount ?? 1;
      const r = TASK_SCHEMAS.site_inventory.result.parse(result);
      if (r.threshold < asked) refuse(`the site used threshold ${r.threshold}, below the ${asked} the hub asked for`);
      const cells: Cell[] = [r.persons, r.observationYears, ...Object.values(r.imagesByModality), ...r.topConditions.map((c) => c.persons)];
      assertSuppressed(cells, r.threshold);
      return;
    }
    case "cohort_count": {
      const asked = TASK_SCHEMAS.cohort_count.payload.parse(payload).minCellCount ?? 1;
      const r = TASK_SCHEMAS.cohort_count.result.parse(result);
      if (r.threshold < asked) refuse(`the site used threshold ${r.threshold}, below the ${asked} the hub asked for`);
      assertSuppressed([r.total, ...r.attrition.map((a) => a.remaining), ...r.ageBands.map((b) => b.persons), ...r.sex.map((s) => s.persons)], r.threshold);
      return;
    }
  }
}

function assertSuppressed(cells: Cell[], threshold: number): void {
  if (cells.some((c) => c !== SUPPRESSED && c < threshold)) refuse(`a count below the threshold ${threshold} was not suppressed`);
}

function refuse(why: string): never {
  throw new AppError("BAD_REQUEST", `Result refused: ${why}. Nothing was changed.`);
}
