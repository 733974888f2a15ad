/** A tiny dependency-free SVG line chart of percentages (0-100) over a time window. */

export type SparklinePoint = { at: Date; value: number };
export type SparklineSeries = { name: string; points: SparklinePoint[]; tone: keyof typeof tones };

const tones = {
  blue: { stroke: "stroke-nhs-blue", fill: "fill-nhs-blue", dot: "bg-nhs-blue" },
  violet: { stroke: "stroke-violet-500", fill: "fill-violet-500", dot: "bg-violet-500" },
} as const;

// A gap longer than this between samples is drawn as a break, not a straight line across it.
const MAX_GAP_MS = 2.5 * 60_000;
const WIDTH = 120;
const HEIGHT = 32;

const clampPercent = (v: number) => Math.min(100, Math.max(0, v));
const formatPercent = (v: number) => `${Math.round(clampPercent(v))}%`;

type Xy = [number, number];

function segmentsOf(points: SparklinePoint[], from: number, to: number): Xy[][] {
  const segments: Xy[][] = [];
  let previous: number | null = null;
  for (const p of points) {
    const t = p.at.getTime();
    if (t < from || t > to) continue;
    if (previous === null || t - previous > MAX_GAP_MS) segments.push([]);
    segments[segments.length - 1]!.push([
      ((t - from) / (to - from)) * WIDTH,
      HEIGHT - 1 - (clampPercent(p.value) / 100) * (HEIGHT - 2),
    ]);
    previous = t;
  }
  return segments;
}

/**
 * `windowLabel` finishes the sentence "CPU and memory …", e.g. "over the last hour"; it and the
 * latest values form the accessible name, since the drawing itself says nothing to a screen reader.
 */
export function Sparkline({
  series,
  from,
  to,
  windowLabel,
}: {
  series: SparklineSeries[];
  from: Date;
  to: Date;
  windowLabel: string;
}) {
  const names = series.map((s, i) => (i === 0 ? s.name : s.name.toLowerCase())).join(" and ");
  const latest = series.flatMap((s) => {
    const last = s.points[s.points.length - 1];
    return last ? [{ ...s, value: last.value }] : [];
  });

  if (latest.length === 0) {
    return (
      <div
        role="img"
        aria-label={`${names} ${windowLabel}: no data`}
        className="flex h-8 w-[120px] items-center justify-center rounded border border-dashed border-slate-300 text-xs text-slate-500"
      >
        no data
      </div>
    );
  }

  const label = `${names} ${windowLabel}, latest ${latest.map((s, i) => `${i === 0 ? s.name : s.name.toLowerCase()} ${formatPercent(s.value)}`).join(", ")}`;
  return (
    <div className="flex flex-col gap-0.5">
      <svg
        role="img"
        aria-label={label}
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        width={WIDTH}
        height={HEIGHT}
        className="overflow-visible rounded bg-slate-50"
      >
        <line x1={0} x2={WIDTH} y1={HEIGHT / 2} y2={HEIGHT / 2} className="stroke-slate-200" strokeDasharray="2 2" />
        {series.map((s) =>
          segmentsOf(s.points, from.getTime(), to.getTime()).map((segment, i) =>
            // A lone sample between gaps is still worth a visible mark.
            segment.length === 1 ? (
              <circle
                key={`${s.name}-${i}`}
                cx={segment[0]![0]}
                cy={segment[0]![1]}
                r={1.5}
                className={tones[s.tone].fill}
              />
            ) : (
              <polyline
                key={`${s.name}-${i}`}
                points={segment.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(" ")}
                fill="none"
                strokeWidth={1.5}
                strokeLinejoin="round"
                strokeLinecap="round"
                className={tones[s.tone].stroke}
              />
            ),
          ),
        )}
      </svg>
      <p aria-hidden className="flex gap-2 text-[11px] leading-none whitespace-nowrap text-slate-600">
        {latest.map((s) => (
          <span key={s.name} className="inline-flex items-center gap-1 tabular-nums">
            <span className={`inline-block size-1.5 rounded-full ${tones[s.tone].dot}`} />
            {s.name} {formatPercent(s.value)}
          </span>
        ))}
      </p>
    </div>
  );
}
