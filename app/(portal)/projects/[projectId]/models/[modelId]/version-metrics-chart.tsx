"use client";

import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { ChartFrame } from "@/app/_components/charts/chart-frame";
import { colourAt } from "@/app/_components/charts/chart-palette";
import { formatMetric, pooledOf } from "../_components/format";
import type { ModelVersionRow } from "../_components/types";

const SERIES = [
  { key: "auc", label: "AUC", axis: "score", colour: colourAt(0) },
  { key: "accuracy", label: "Accuracy", axis: "score", colour: colourAt(1) },
  { key: "loss", label: "Loss (right axis)", axis: "loss", colour: colourAt(2) },
] as const;

/**
 * Pooled validation figures across versions. AUC and accuracy share a fixed 0–1 axis so versions
 * compare honestly; loss has no fixed range, so it gets its own axis on the right.
 */
export function VersionMetricsChart({ versions }: { versions: ModelVersionRow[] }) {
  const rows = [...versions]
    .sort((a, b) => a.number - b.number)
    .flatMap((v) => {
      const pooled = pooledOf(v.metrics);
      return pooled
        ? [{ version: v.number, auc: pooled.auc ?? null, accuracy: pooled.accuracy ?? null, loss: pooled.loss ?? null }]
        : [];
    });
  if (rows.length === 0) {
    return (
      <p className="rounded-lg border border-dashed border-slate-300 bg-white px-4 py-6 text-center text-sm text-slate-600">
        No version has validation metrics yet; they appear after a training round or an evaluation.
      </p>
    );
  }
  return (
    <ChartFrame
      title="Validation metrics by version"
      description="Pooled over sites, on each site’s held-out split. AUC and accuracy on the left axis (0 to 1), loss on the right."
      note={rows.length === 1 ? "Only one version has metrics so far." : undefined}
    >
      {({ titleId, descriptionId }) => (
        <div className="h-72 w-full">
          <ResponsiveContainer width="100%" height="100%">
            <LineChart
              data={rows}
              margin={{ top: 8, right: 8, bottom: 16, left: 4 }}
              accessibilityLayer
              aria-labelledby={titleId}
              aria-describedby={descriptionId}
              role="img"
            >
              <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
              <XAxis
                dataKey="version"
                type="number"
                domain={["dataMin", "dataMax"]}
                ticks={rows.length <= 20 ? rows.map((r) => r.version) : undefined}
                allowDecimals={false}
                tick={{ fontSize: 11 }}
                tickFormatter={(n: number) => `v${n}`}
                label={{ value: "Model version", position: "insideBottom", offset: -10, fontSize: 11 }}
              />
              <YAxis
                yAxisId="score"
                domain={[0, 1]}
                tick={{ fontSize: 11 }}
                width={44}
                label={{ value: "AUC / accuracy (0–1)", angle: -90, position: "insideLeft", fontSize: 11, dy: 60 }}
              />
              <YAxis
                yAxisId="loss"
                orientation="right"
                tick={{ fontSize: 11 }}
                width={44}
                tickFormatter={(n: number) => n.toFixed(2)}
                label={{ value: "Loss", angle: 90, position: "insideRight", fontSize: 11 }}
              />
              <Tooltip
                labelFormatter={(label) => `Version ${String(label)}`}
                formatter={(value, name) => [formatMetric(typeof value === "number" ? value : null), name]}
              />
              <Legend verticalAlign="top" wrapperStyle={{ fontSize: 12 }} />
              {SERIES.map((s) => (
                <Line
                  key={s.key}
                  yAxisId={s.axis}
                  dataKey={s.key}
                  name={s.label}
                  stroke={s.colour}
                  strokeWidth={2}
                  dot={{ r: 3 }}
                  connectNulls
                  isAnimationActive={false}
                  strokeDasharray={s.axis === "loss" ? "5 3" : undefined}
                />
              ))}
            </LineChart>
          </ResponsiveContainer>
        </div>
      )}
    </ChartFrame>
  );
}
