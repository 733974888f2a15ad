import { describe, expect, it } from "vitest";
import { createProgressBar } from "./progress-bar";

function fakeStream(isTTY: boolean) {
  const written: string[] = [];
  return { stream: { isTTY, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream, written };
}

describe("createProgressBar", () => {
  it("writes a line per tenth of a file and per step when the output is a log", () => {
    const { stream, written } = fakeStream(false);
    const draw = createProgressBar(stream);
    for (const bytesRead of [0, 50, 120, 990, 1000])
      draw({ phase: "file", file: "CONCEPT.csv", bytesRead, bytesTotal: 1000, rows: bytesRead * 2 });
    draw({ phase: "step", message: "Swapping in the new vocabulary…" });
    expect(written).toEqual([
      "CONCEPT.csv: 0% (0 rows)\n",
      "CONCEPT.csv: 10% (240 rows)\n",
      "CONCEPT.csv: 90% (1,980 rows)\n",
      "CONCEPT.csv: 100% (2,000 rows)\n",
      "Swapping in the new vocabulary…\n",
    ]);
  });

  it("redraws one bar in place on a terminal and ends it with a newline", () => {
    const { stream, written } = fakeStream(true);
    const draw = createProgressBar(stream);
    draw({ phase: "file", file: "CONCEPT_ANCESTOR.csv", bytesRead: 500, bytesTotal: 1000, rows: 12_000_000 });
    draw({ phase: "file", file: "CONCEPT_ANCESTOR.csv", bytesRead: 1000, bytesTotal: 1000, rows: 24_000_000 });
    expect(written[0]).toBe(`\rCONCEPT_ANCESTOR.csv       [${"#".repeat(15)}${"-".repeat(15)}]  50%  12,000,000 rows`);
    expect(written.slice(1)).toEqual([`\rCONCEPT_ANCESTOR.csv       [${"#".repeat(30)}] 100%  24,000,000 rows`, "\n"]);
  });
});
