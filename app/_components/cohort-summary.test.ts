import { readFileSync } from "node:fs";
import path from "node:path";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { importCirce } from "@/protocol/circe/import-circe";
import { CohortSummary } from "./cohort-summary";

/** The summary's text for a published phenotype, as an approver reads it. */
function summaryOf(id: number): string {
  const file = path.resolve("protocol/circe/fixtures", `${id}.json`);
  const imported = importCirce(readFileSync(file, "utf8"));
  if (!imported.ok) throw new Error(`phenotype ${id} did not import`);
  const html = renderToStaticMarkup(createElement(CohortSummary, { definition: imported.definition }));
  return html
    .replace(/<[^>]+>/g, " ")
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/\s+/g, " ");
}

describe("the cohort summary of imported phenotypes reads as English", () => {
  it("names the index date and the index event's end instead of '0 index'", () => {
    const text = summaryOf(938);
    expect(text).toContain("starting on or after the index date and on or before the index event's end date");
    expect(text).not.toMatch(/\b0 index/);
    // No observation time required: nothing to say about it.
    expect(text).not.toContain("0 days observed");
  });

  it("sets excluded concepts apart from the included ones", () => {
    const text = summaryOf(1089);
    expect(text).toContain(
      "Cerebral infarction (incl. descendants) [except: Infarct of cerebrum due to iatrogenic cerebrovascular accident (incl. descendants); Lacunar infarction (incl. descendants)]",
    );
    expect(text).toContain("on or before the index date and ending on or after the index date");
    expect(text).toContain("before index (see the criteria below)");
  });

  it("says NONE of for 'at most 0' and names same-named concepts once", () => {
    const text = summaryOf(830);
    expect(text).toContain("NONE of:");
    expect(text).not.toContain("AT MOST 0");
    expect(text).toContain("Microsatellite Instability (MSI) (3 concepts)");
  });

  it("names the first few of a long concept set in the sentence and lists every concept under it", () => {
    const text = summaryOf(830);
    expect(text).toContain(
      "First procedure of: Excision of colon (incl. descendants); Partial excision of large intestine",
    );
    expect(text).toMatch(/\[except: Excision of colonic pouch[^\]]* and \d+ more\]/);
    expect(text).toMatch(/All \d+ concepts/);
    expect(text).toContain(
      "Soave endorectal pull-through operation for Hirschsprung's disease (incl. descendants) (concept",
    );
  });
});
