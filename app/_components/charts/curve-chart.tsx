"use client";

import {
  CartesianGrid,
  ErrorBar,
  Line,
  LineChart as RechartsLineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { ChartFrame } from "./chart-frame";

/** One curve point in the unit square (a rate or a probability on each axis), optionally with the range y could be in. */
export type CurvePoint = { x: number; y: number; range?: [number, number] };

type Props = {
  title: string;
  description: string;
  points: CurvePoint[];
  xLabel: string;
  yLabel: string;
  seriesLabel: string;
  /** Dots only (calibration bins) rather than a line through them (an ROC curve). */
  isScatter?: boolean;
  /** What the dashed diagonal stands for, e.g. "chance" or "perfect calibration". */
  diagonalLabel: string;
  colour?: string;
  note?: string;
};

const TICKS = [0, 0.2, 0.4, 0.6, 0.8, 1];
const format = (v: number) => v.toFixed(2);

/** A curve in the unit square against the dashed y = x diagonal: ROC curves and calibration plots. */
export function CurveChart({
  title,
  description,
  points,
  xLabel,
  yLabel,
  seriesLabel,
  isScatter = false,
  diagonalLabel,
  colour = "#005eb8",
  note,
}: Props) {
  return (
    <ChartFrame title={title} description={description} note={note}>
      {({ titleId, descriptionId }) => (
        <div style={{ height: 300 }} className="w-full">
          <ResponsiveContainer width="100%" height="100%">
            <RechartsLineChart
              data={points.map((p) => ({ ...p, error: p.range ? [p.y - p.range[0], p.range[1] - p.y] : undefined }))}
              margin={{ top: 8, right: 16, bottom: 16, left: 8 }}
              accessibilityLayer
              aria-labelledby={titleId}
              aria-describedby={descriptionId}
              role="img"
            >
              <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
              <XAxis
                dataKey="x"
                type="number"
                domain={[0, 1]}
                ticks={TICKS}
                tickFormatter={format}
                tick={{ fontSize: 11 }}
                label={{ value: xLabel, position: "insideBottom", offset: -10, fontSize: 11 }}
                height={36}
              />
              <YAxis
                type="number"
                domain={[0, 1]}
                ticks={TICKS}
                tickFormatter={format}
                tick={{ fontSize: 11 }}
                width={44}
                label={{
                  value: yLabel,
                  angle: -90,
                  position: "insideLeft",
                  fontSize: 11,
                  style: { textAnchor: "middle" },
                }}
              />
              <ReferenceLine
                segment={[
                  { x: 0, y: 0 },
                  { x: 1, y: 1 },
                ]}
                stroke="#94a3b8"
                strokeDasharray="4 4"
                ifOverflow="extendDomain"
                label={{ value: diagonalLabel, position: "insideBottomRight", fontSize: 11, fill: "#64748b" }}
              />
              <Tooltip
                labelFormatter={(x) => `${xLabel} ${format(Number(x))}`}
                formatter={(value) => [format(Number(value)), seriesLabel]}
              />
              <Line
                dataKey="y"
                name={seriesLabel}
                type="linear"
                stroke={colour}
                strokeWidth={isScatter ? 0 : 2.5}
                dot={{ r: isScatter ? 4 : 2.5, fill: colour }}
                activeDot={{ r: 5 }}
                isAnimationActive={false}
              >
                {points.some((p) => p.range) ? (
                  <ErrorBar
                    dataKey="error"
                    width={4}
                    strokeWidth={1}
                    stroke="#475569"
                    direction="y"
                    isAnimationActive={false}
                  />
                ) : null}
              </Line>
            </RechartsLineChart>
          </ResponsiveContainer>
        </div>
      )}
    </ChartFrame>
  );
}
