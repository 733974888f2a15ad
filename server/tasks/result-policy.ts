import { AppError } from "@/server/errors";
import { SUPPRESSED, TASK_SCHEMAS, type Cell, type TaskKind } from "@/protocol/contract";
import { isReleasableFigure, type CountRule } from "@/protocol/disclosure";
import type { EvaluationMetrics, SplitCounts } from "@/protocol/training";

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
      const cells: Cell[] = [
        r.persons,
        r.observationYears,
        ...Object.values(r.imagesByModality),
        ...r.topConditions.map((c) => c.persons),
      ];
      assertReleasable(cells, r.threshold, r.rounding);
      return;
    }
    case "cohort_count": {
      const request = TASK_SCHEMAS.cohort_count.payload.parse(payload);
      const asked = request.minCellCount ?? 1;
      const r = TASK_SCHEMAS.cohort_count.result.parse(result);
      const dp = request.differentialPrivacy;
      // A count asked for with DP noise must say it carries that noise, at no more than the ε and δ asked for.
      if (
        dp &&
        !(
          r.differentialPrivacy &&
          r.differentialPrivacy.epsilon <= dp.epsilon &&
          r.differentialPrivacy.delta <= dp.delta
        )
      )
        refuse("the count was asked for with differential privacy but does not carry the noise asked for");
      if (r.threshold < asked) refuse(`the site used threshold ${r.threshold}, below the ${asked} the hub asked for`);
      if (r.total !== r.attrition.at(-1)?.remaining) refuse("the total is not the last attrition step");
      assertReleasable(
        [...r.attrition.map((a) => a.remaining), ...r.ageBands.map((b) => b.persons), ...r.sex.map((s) => s.persons)],
        r.threshold,
        r.rounding,
      );
      return;
    }
    case "evaluate": {
      const asked = TASK_SCHEMAS.evaluate.payload.parse(payload).minCellCount ?? 1;
      const r = TASK_SCHEMAS.evaluate.result.parse(result);
      if (r.threshold < asked) refuse(`the site used threshold ${r.threshold}, below the ${asked} the hub asked for`);
      assertSuppressed([r.examples], r.threshold);
      assertNoMetricsWhenSuppressed(r.examples, r.metrics);
      assertSplitRelease(r, r.metrics, { threshold: r.threshold, base: r.rounding ?? 1 }, r.metricDecimals);
      return;
    }
    case "train": {
      const asked = TASK_SCHEMAS.train.payload.parse(payload).minCellCount ?? 1;
      const r = TASK_SCHEMAS.train.result.parse(result);
      // The example count is the FedAvg weight; a site below the threshold must refuse to train, not report it.
      if (r.exampleCount < asked) refuse(`the site trained on fewer examples than the threshold ${asked}`);
      if (r.threshold !== undefined && r.threshold < asked)
        refuse(`the site used threshold ${r.threshold}, below the ${asked} the hub asked for`);
      const { examples, positives, negatives, confusion: _c, histogram: _h, ...metrics } = r.globalValidation;
      assertSuppressed([examples], asked);
      // Both figures describe the same validation split: the local model's metrics are withheld with it too.
      assertNoMetricsWhenSuppressed(examples, metrics);
      assertNoMetricsWhenSuppressed(examples, r.localValidation);
      const rule = { threshold: r.threshold ?? asked, base: r.rounding ?? 1 };
      assertReleasable([r.exampleCount], rule.threshold, rule.base);
      assertSplitRelease(r.globalValidation, metrics, rule, r.metricDecimals);
      assertSplitRelease({ positives, negatives }, r.localValidation, rule, r.metricDecimals);
      return;
    }
  }
}

/**
 * An evaluated split as workers/release/metrics-release.ts releases it: every count (examples,
 * positives, negatives, confusion cells, histogram cells) suppressed or a releasable multiple of the
 * stated rounding; metrics only when positives and negatives were both released, and then to at most
 * the stated number of decimals; matrix and histogram withheld with the metrics.
 */
function assertSplitRelease(
  split: SplitCounts & { examples?: Cell },
  metrics: EvaluationMetrics,
  rule: CountRule,
  decimals: number | undefined,
): void {
  const cells: Cell[] = [
    ...(split.examples === undefined ? [] : [split.examples]),
    ...[split.positives, split.negatives].filter((c) => c !== undefined),
    ...(split.confusion ? Object.values(split.confusion) : []),
    ...(split.histogram ? [...split.histogram.positive, ...split.histogram.negative] : []),
  ];
  if (cells.some((c) => c !== SUPPRESSED && c < rule.threshold))
    refuse(`a count below the threshold ${rule.threshold} was not suppressed`);
  if (cells.some((c) => c !== SUPPRESSED && !isReleasableFigure(c, rule)))
    refuse(`a count is not rounded to the stated multiple of ${rule.base}`);
  const isReleased = typeof split.positives === "number" && typeof split.negatives === "number";
  const reported = Object.values(metrics).filter((m) => m !== null);
  if (!isReleased && (reported.length > 0 || split.confusion || split.histogram))
    refuse("metrics were reported for a split whose positives or negatives were suppressed");
  if (reported.length > 0 && decimals === undefined) refuse("metrics were reported without their stated precision");
  const scale = 10 ** (decimals ?? 0);
  if (reported.some((m) => Math.abs(m * scale - Math.round(m * scale)) > 1e-6))
    refuse(`a metric has more than the stated ${decimals} decimal places`);
}

/** Metrics of a suppressed group would describe it anyway: they must be withheld with the count. */
function assertNoMetricsWhenSuppressed(examples: Cell, metrics: Record<string, number | null>): void {
  if (examples === SUPPRESSED && Object.values(metrics).some((m) => m !== null))
    refuse("metrics were reported for a suppressed validation split");
}

/** Counts as the site's release rule produces them: suppressed, or at least the threshold and a multiple of the rounding. */
function assertReleasable(cells: Cell[], threshold: number, base: number): void {
  assertSuppressed(cells, threshold);
  if (cells.some((c) => c !== SUPPRESSED && !isReleasableFigure(c, { threshold, base })))
    refuse(`a count is not rounded to the stated multiple of ${base}`);
}

function assertSuppressed(cells: Cell[], threshold: number): void {
  if (cells.some((c) => c !== SUPPRESSED && c < threshold))
    refuse(`a count below the threshold ${threshold} was not suppressed`);
}

function refuse(why: string): never {
  throw new AppError("BAD_REQUEST", `Result refused: ${why}. Nothing was changed.`);
}
