"use client";

import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { colourAt } from "./chart-palette";
import { ChartFrame } from "./chart-frame";

export type ChartSeries = { key: string; label: string; colour?: string };
/** One category (a rule, an age band…); a null value is a suppressed cell, drawn as zero and named in the tooltip. */
export type ChartRow = { category: string; values: Record<string, number | null> };

type Props = {
  title: string;
  description: string;
  series: ChartSeries[];
  rows: ChartRow[];
  /** "horizontal" draws bars left to right with categories down the side, as a funnel. */
  orientation?: "horizontal" | "vertical";
  isStacked?: boolean;
  unit?: string;
  suppressedText?: (seriesKey: string) => string;
  note?: string;
};

const numberFormat = (n: number) => n.toLocaleString("en-GB");

/** Bars per category and series with axes, legend and unit; wraps recharts for every count chart. */
export function GroupedBarChart({
  title,
  description,
  series,
  rows,
  orientation = "vertical",
  isStacked = false,
  unit = "persons",
  suppressedText,
  note,
}: Props) {
  const data = rows.map((row) => ({
    category: row.category,
    ...Object.fromEntries(series.map((s) => [s.key, row.values[s.key] ?? 0])),
  }));
  const suppressed = new Set(
    rows.flatMap((row) => series.filter((s) => row.values[s.key] === null).map((s) => `${row.category}|${s.key}`)),
  );
  const isHorizontal = orientation === "horizontal";
  const isCrowded = !isHorizontal && rows.length > 6;
  const barsPerCategory = isStacked ? 1 : series.length;
  const height = isHorizontal ? Math.max(180, rows.length * (barsPerCategory * 14 + 22) + 70) : 280;

  return (
    <ChartFrame title={title} description={description} note={note}>
      {({ titleId, descriptionId }) => (
        <div style={{ height }} className="w-full">
          <ResponsiveContainer width="100%" height="100%">
            <BarChart
              data={data}
              layout={isHorizontal ? "vertical" : "horizontal"}
              margin={{ top: 4, right: 16, bottom: 4, left: 4 }}
              accessibilityLayer
              aria-labelledby={titleId}
              aria-describedby={descriptionId}
              role="img"
            >
              <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
              {isHorizontal ? (
                <>
                  <XAxis
                    type="number"
                    tickFormatter={numberFormat}
                    tick={{ fontSize: 11 }}
                    label={{ value: unit, position: "insideBottomRight", offset: -2, fontSize: 11 }}
                    height={36}
                  />
                  <YAxis type="category" dataKey="category" width={120} tick={{ fontSize: 11 }} interval={0} />
                </>
              ) : (
                <>
                  <XAxis
                    dataKey="category"
                    tick={{ fontSize: 11 }}
                    interval={0}
                    angle={isCrowded ? -40 : 0}
                    textAnchor={isCrowded ? "end" : "middle"}
                    height={isCrowded ? 48 : 30}
                  />
                  <YAxis
                    tickFormatter={numberFormat}
                    tick={{ fontSize: 11 }}
                    width={48}
                    label={{ value: unit, angle: -90, position: "insideLeft", fontSize: 11 }}
                  />
                </>
              )}
              <Tooltip
                formatter={(value, name, item) => {
                  const key = String(item.dataKey);
                  const category = String((item.payload as { category: string }).category);
                  const text = suppressed.has(`${category}|${key}`)
                    ? (suppressedText?.(key) ?? "suppressed")
                    : `${numberFormat(Number(value))} ${unit}`;
                  return [text, name];
                }}
              />
              <Legend wrapperStyle={{ fontSize: 12 }} />
              {series.map((s, i) => (
                <Bar
                  key={s.key}
                  dataKey={s.key}
                  name={s.label}
                  fill={s.colour ?? colourAt(i)}
                  stackId={isStacked ? "stack" : undefined}
                  maxBarSize={isHorizontal ? 14 : 36}
                  isAnimationActive={false}
                />
              ))}
            </BarChart>
          </ResponsiveContainer>
        </div>
      )}
    </ChartFrame>
  );
}
