"use client";

import {
  CartesianGrid,
  Legend,
  Line,
  LineChart as RechartsLineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { colourAt } from "./chart-palette";
import { ChartFrame } from "./chart-frame";

/** `isEmphasised` draws a thick solid line (e.g. a pooled figure); the others are thin and dashed, so the difference never rests on colour alone. */
export type LineSeries = { key: string; label: string; colour?: string; isEmphasised?: boolean };
/** One x position; a missing or null value leaves a gap in that series. */
export type LinePoint = { x: number; values: Record<string, number | null | undefined> };

type Props = {
  title: string;
  description: string;
  series: LineSeries[];
  points: LinePoint[];
  xLabel: string;
  yLabel: string;
  /** Fixes the x axis (e.g. every round of a job), so it does not rescale as points arrive. */
  xDomain: [number, number];
  yDomain?: [number, number];
  formatX?: (x: number) => string;
  formatY?: (y: number) => string;
  note?: string;
};

/** Lines over a numeric x axis with labelled axes, legend and tooltip; the line-chart counterpart of GroupedBarChart. */
export function LineChart({
  title,
  description,
  series,
  points,
  xLabel,
  yLabel,
  xDomain,
  yDomain,
  formatX = String,
  formatY = (y) => y.toLocaleString("en-GB"),
  note,
}: Props) {
  const data = points.map((p) => ({
    x: p.x,
    ...Object.fromEntries(series.map((s) => [s.key, p.values[s.key] ?? null])),
  }));
  const ticks = Array.from({ length: xDomain[1] - xDomain[0] + 1 }, (_, i) => xDomain[0] + i);
  return (
    <ChartFrame title={title} description={description} note={note}>
      {({ titleId, descriptionId }) => (
        <div style={{ height: 280 }} className="w-full">
          <ResponsiveContainer width="100%" height="100%">
            <RechartsLineChart
              data={data}
              margin={{ top: 4, right: 16, bottom: 16, left: 8 }}
              accessibilityLayer
              aria-labelledby={titleId}
              aria-describedby={descriptionId}
              role="img"
            >
              <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
              <XAxis
                dataKey="x"
                type="number"
                domain={xDomain}
                ticks={ticks.length <= 20 ? ticks : undefined}
                allowDecimals={false}
                tickFormatter={formatX}
                tick={{ fontSize: 11 }}
                label={{ value: xLabel, position: "insideBottom", offset: -10, fontSize: 11 }}
                height={36}
              />
              <YAxis
                domain={yDomain ?? ["auto", "auto"]}
                tickFormatter={formatY}
                tick={{ fontSize: 11 }}
                width={52}
                label={{
                  value: yLabel,
                  angle: -90,
                  position: "insideLeft",
                  fontSize: 11,
                  style: { textAnchor: "middle" },
                }}
              />
              <Tooltip
                labelFormatter={(x) => `${xLabel} ${formatX(Number(x))}`}
                formatter={(value, name) => [formatY(Number(value)), name]}
              />
              {/* In series order (e.g. the pooled line first), not recharts' default alphabetical order. */}
              <Legend
                itemSorter={(item) => series.findIndex((s) => s.key === item.dataKey)}
                wrapperStyle={{ fontSize: 12, paddingTop: 12 }}
              />
              {series.map((s, i) => (
                <Line
                  key={s.key}
                  dataKey={s.key}
                  name={s.label}
                  type="linear"
                  stroke={s.colour ?? colourAt(i)}
                  strokeWidth={s.isEmphasised ? 3 : 1.5}
                  strokeDasharray={s.isEmphasised ? undefined : "5 3"}
                  dot={{ r: s.isEmphasised ? 4 : 3 }}
                  isAnimationActive={false}
                />
              ))}
            </RechartsLineChart>
          </ResponsiveContainer>
        </div>
      )}
    </ChartFrame>
  );
}
