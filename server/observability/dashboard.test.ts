import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { metrics } from "./metrics";

const DASHBOARD = fileURLToPath(new URL("../../ops/grafana/flip-hub.json", import.meta.url));
type Panel = { title: string; targets?: { expr: string }[] };

/** The series names a PromQL expression reads: hub metrics and the process metrics prom-client adds. */
function seriesIn(expr: string): string[] {
  return [...expr.matchAll(/\b(?:flip|process|nodejs)_[a-z0-9_]+/g)].map((m) => m[0]);
}

/** A histogram is exported as <name>_bucket, _sum and _count; a counter's name already ends in _total. */
function registeredName(series: string, registered: Set<string>): string | undefined {
  if (registered.has(series)) return series;
  const base = series.replace(/_(bucket|sum|count)$/, "");
  return registered.has(base) ? base : undefined;
}

describe("ops/grafana/flip-hub.json", () => {
  const panels = (JSON.parse(readFileSync(DASHBOARD, "utf8")) as { panels: Panel[] }).panels;
  const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

  it("queries only metrics the hub's registry exports", async () => {
    const registered = new Set((await metrics.registry.getMetricsAsJSON()).map((m) => m.name));
    const missing = exprs.flatMap(({ panel, expr }) =>
      seriesIn(expr)
        .filter((series) => !registeredName(series, registered))
        .map((series) => `${panel}: ${series}`),
    );
    expect(exprs.length).toBeGreaterThan(10);
    expect(missing).toEqual([]);
  });

  it("charts every hub metric", async () => {
    const queried = new Set(
      exprs.flatMap(({ expr }) => seriesIn(expr).map((s) => s.replace(/_(bucket|sum|count)$/, ""))),
    );
    const hubMetrics = (await metrics.registry.getMetricsAsJSON())
      .map((m) => m.name)
      .filter((n) => n.startsWith("flip_"));
    expect(hubMetrics.filter((name) => !queried.has(name))).toEqual([]);
  });
});
