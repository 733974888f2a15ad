"use client";

import { CurveChart } from "@/app/_components/charts/curve-chart";
import type { Interval, PooledMetrics } from "@/protocol/registry";

const fixed = (x: number) => x.toFixed(3);
const range = (interval: Interval | null | undefined) =>
  interval ? `${fixed(interval[0])} to ${fixed(interval[1])}` : "not computable";

/**
 * The pooled ROC curve and calibration plot of one evaluation, from the sites' summed score
 * histograms (the same counts the pooled AUC comes from), with what the bins and the release rules
 * leave uncertain. Shown on the job page and the model card.
 */
export function PooledCurves({ pooled, source }: { pooled: PooledMetrics | null; source: string }) {
  const counts = pooled?.counts;
  if (!pooled || !counts || counts.roc.length === 0)
    return (
      <p className="text-sm text-slate-600">
        No pooled ROC or calibration: no site released its score histogram for {source} (a site releases it only when
        its positives and negatives each reach its threshold).
      </p>
    );
  const roc = counts.roc.map((p) => ({ x: p.fpr, y: p.tpr }));
  const calibration = counts.calibration.map((b) => ({ x: b.midScore, y: b.observed, range: b.observedRange }));
  const bins = counts.bins;
  return (
    <div className="space-y-3">
      <p className="text-sm text-slate-700">
        Pooled over {counts.sitesPooled.join(", ")}
        {counts.sitesLeftOut.length ? ` (left out, counts withheld: ${counts.sitesLeftOut.join(", ")})` : ""}. AUC{" "}
        <strong>{pooled.auc === null ? "—" : fixed(pooled.auc)}</strong> from {bins} score bins: ties within a bin leave
        it between {range(counts.aucBinInterval)}; allowing every rounded cell its rounding and every suppressed cell up
        to its threshold − 1 persons, between {range(counts.bounds.auc)}. Sensitivity {range(counts.bounds.sensitivity)}{" "}
        and specificity {range(counts.bounds.specificity)} at 0.5 on the same terms.
      </p>
      <div className="grid gap-4 lg:grid-cols-2">
        <CurveChart
          title="Pooled ROC curve"
          description={`True positive rate against false positive rate at each of the ${bins + 1} bin edges, from all pooled sites' ${source}.`}
          points={roc}
          xLabel="False positive rate"
          yLabel="True positive rate"
          seriesLabel="Pooled ROC"
          diagonalLabel="chance"
          note="Corners between bin edges are joined by straight lines (the trapezoid the pooled AUC is)."
        />
        <CurveChart
          title="Calibration"
          description={`Observed share of positives in each score bin against the bin's mid score, pooled from the same ${source}.`}
          points={calibration}
          xLabel="Predicted score (bin mid)"
          yLabel="Observed positive fraction"
          seriesLabel="Observed positive fraction"
          diagonalLabel="perfect calibration"
          isScatter
          colour="#ed8b00"
          note="Bars: the fraction over every count the bin's rounded and suppressed cells could stand for. A suppressed cell's point value is its share of its class's remaining total, so a bin of mostly suppressed cells has a long bar. Bins with no examples are left out."
        />
      </div>
    </div>
  );
}
