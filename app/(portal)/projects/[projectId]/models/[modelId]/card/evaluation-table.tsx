import { DataTable, type Column } from "@/app/_components/ui/data-table";
import { formatMetric, METRICS } from "../../_components/format";
import type { VersionMetrics } from "../../_components/types";
import { PooledCurves } from "../../_components/pooled-curves";
import { Section } from "./card-sections";

type Row = {
  key: string;
  site: string;
  examples: number | "suppressed" | null;
  metrics: Record<string, number | null>;
  isPooled: boolean;
};

const columns: Column<Row>[] = [
  { header: "Site", cell: (r) => (r.isPooled ? <strong>{r.site}</strong> : r.site) },
  {
    header: "Examples",
    className: "tabular-nums",
    cell: (r) =>
      r.examples === "suppressed" ? (
        <abbr title="Too few held-out examples to report; suppressed at the site">suppressed</abbr>
      ) : r.examples === null ? (
        "—"
      ) : (
        r.examples.toLocaleString("en-GB")
      ),
  },
  ...METRICS.map((m) => ({
    header: m.label,
    className: "tabular-nums",
    cell: (r: Row) => formatMetric(r.metrics[m.key]),
  })),
];

/** Per-site figures and the pooled row, exactly as the hub stored them for this version. */
export function EvaluationTable({ metrics }: { metrics: VersionMetrics | null }) {
  if (!metrics || metrics.perSite.length === 0) {
    return (
      <Section title="Evaluation">
        <p>Not evaluated yet. Metrics appear after a training round or an evaluation job.</p>
      </Section>
    );
  }
  const rows: Row[] = metrics.perSite.map((s) => ({
    key: s.siteCode,
    site: s.siteCode,
    examples: s.examples,
    metrics: s.metrics,
    isPooled: false,
  }));
  if (metrics.validation)
    rows.push({
      key: "pooled",
      site: "Pooled",
      examples: metrics.validation.examples ?? null,
      metrics: {
        loss: metrics.validation.loss,
        accuracy: metrics.validation.accuracy,
        auc: metrics.validation.auc,
        sensitivity: metrics.validation.sensitivity,
        specificity: metrics.validation.specificity,
      },
      isPooled: true,
    });
  return (
    <Section title="Evaluation">
      <p className="text-slate-600">Source: {metrics.source}. Each site scores its own held-out split.</p>
      <DataTable label="Evaluation per site" columns={columns} rows={rows} rowKey={(r) => r.key} />
      <p className="text-slate-600">
        Sites release metrics rounded to 2 places, and only when their positives and negatives each reach the threshold.
        Pooled figures come from the sites’ summed confusion matrices (accuracy, sensitivity and specificity at a 0.5
        threshold) and summed score histograms (AUC); loss is weighted by examples. Sites that withheld their counts are
        left out. For an uncommon outcome a model can rank cases well (AUC) yet call every case negative at 0.5, which
        shows as sensitivity 0.
      </p>
      {metrics.validation?.counts ? <PooledCurves pooled={metrics.validation} source={metrics.source} /> : null}
    </Section>
  );
}
