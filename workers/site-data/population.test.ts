import { describe, expect, it } from "vitest";
import { CONCEPT } from "@/protocol/omop/concepts";
import { EVENT_TABLES, type EventWriter, REFERENCE_DAY } from "./events";
import { renderCtHead } from "./images";
import { streamPopulation, synthesizePopulation } from "./persons";
import { resolveSiteProfile, SITE_PROFILES } from "./profiles";
import { auc } from "./test-helpers";
import type { Value } from "./writer";

const PERSONS = 3000;

function column(writer: EventWriter, table: keyof EventWriter["tables"], name: string): Value[] {
  const buffer = writer.tables[table];
  const index = buffer.def.columns.findIndex((c) => c.name === name);
  return buffer.columns[index] ?? [];
}

/** Per-site facts computed the way a cohort query would: from rows, not from generator internals. */
function describeSite(code: string) {
  const writer = synthesizePopulation({ profile: resolveSiteProfile(code, 1), seed: 1, persons: PERSONS });
  const birthYears = column(writer, "person", "year_of_birth") as number[];
  const referenceYear = new Date(REFERENCE_DAY * 86_400_000).getUTCFullYear();
  const meanAge = birthYears.reduce((sum, year) => sum + (referenceYear - year), 0) / birthYears.length;
  const conditions = column(writer, "condition_occurrence", "condition_concept_id");
  const conditionPersons = column(writer, "condition_occurrence", "person_id");
  const withCondition = (ids: number[]) =>
    new Set(conditionPersons.filter((_, i) => ids.includes(conditions[i] as number)));
  const strokes = withCondition([CONCEPT.cerebralInfarction]);
  const cancers = withCondition([CONCEPT.primaryMalignantNeoplasmOfProstate, CONCEPT.malignantTumorOfProstate]);
  const measurementIds = column(writer, "measurement", "measurement_concept_id");
  const measurementPersons = column(writer, "measurement", "person_id");
  const values = column(writer, "measurement", "value_as_number");
  const maxLogPsa = new Map<number, number>();
  measurementIds.forEach((id, i) => {
    if (id !== CONCEPT.psa) return;
    const person = measurementPersons[i] as number;
    maxLogPsa.set(person, Math.max(maxLogPsa.get(person) ?? -Infinity, Math.log(values[i] as number)));
  });
  const tested = [...maxLogPsa.keys()];
  return {
    meanAge,
    strokePrevalence: strokes.size / PERSONS,
    prostatePrevalence: tested.filter((p) => cancers.has(p)).length / tested.length,
    prostate: tested.map((p) => ({
      logPsa: maxLogPsa.get(p) as number,
      age: referenceYear - (birthYears[p - 1] as number),
      hasCancer: cancers.has(p),
    })),
  };
}

const sites = Object.fromEntries(["KCH", "GSTT", "UCLH"].map((code) => [code, describeSite(code)]));
const site = (code: string) => sites[code] as ReturnType<typeof describeSite>;

describe("site populations", () => {
  it("differ between sites in age mix and prevalence (non-IID)", () => {
    expect(site("UCLH").meanAge - site("GSTT").meanAge).toBeGreaterThan(4);
    expect(site("KCH").strokePrevalence).toBeGreaterThan(site("GSTT").strokePrevalence * 1.5);
    expect(site("GSTT").prostatePrevalence).toBeGreaterThan(site("UCLH").prostatePrevalence * 1.2);
  });

  it("carry a learnable but imperfect prostate cancer signal in log PSA and age", () => {
    const pooled = Object.values(sites).flatMap((s) => s.prostate);
    expect(pooled.length).toBeGreaterThan(1000);
    // The generating direction (log PSA up, age up) scored on recorded values: what a linear model can reach.
    const score = auc(
      pooled.map((p) => 1.5 * p.logPsa + 0.035 * p.age),
      pooled.map((p) => p.hasCancer),
    );
    expect(score).toBeGreaterThan(0.75);
    expect(score).toBeLessThan(0.95);
  });

  it("streams, a batch at a time, exactly the rows and images it builds in one go", async () => {
    const options = { profile: resolveSiteProfile("KCH", 1), seed: 1, persons: 400 };
    const whole = synthesizePopulation(options);
    const streamed = Object.fromEntries(
      EVENT_TABLES.map((t) => [t, whole.tables[t].def.columns.map(() => [] as Value[])]),
    );
    let batches = 0;
    const writer = await streamPopulation(options, 7, async (batch) => {
      batches++;
      for (const table of EVENT_TABLES)
        batch.tables[table].columns.forEach((values, i) => streamed[table]![i]!.push(...values));
    });
    expect(batches).toBe(Math.ceil(400 / 7));
    for (const table of EVENT_TABLES) expect(streamed[table], table).toEqual(whole.tables[table].columns);
    expect(writer.images).toEqual(whole.images);
    // Nothing is kept once a batch was handed over.
    expect(EVENT_TABLES.map((t) => writer.tables[t].rowCount)).toEqual(EVENT_TABLES.map(() => 0));
  });

  it("gives every site code a profile; unknown codes get one derived from the seed", () => {
    expect(resolveSiteProfile("kch", 1)).toBe(SITE_PROFILES.KCH);
    expect(resolveSiteProfile("RJZ", 1)).toEqual(resolveSiteProfile("RJZ", 1));
    expect(resolveSiteProfile("RJZ", 1)).not.toEqual(resolveSiteProfile("RJZ", 2));
  });

  it("renders the same anatomy differently on different sites' scanners", () => {
    const meanPixel = (code: string) => {
      const pixels = renderCtHead(42, resolveSiteProfile(code, 1).ct, false);
      return pixels.reduce((a, b) => a + b, 0) / pixels.length;
    };
    expect(Math.abs(meanPixel("GSTT") - meanPixel("UCLH"))).toBeGreaterThan(5);
    const kch = resolveSiteProfile("KCH", 1).ct;
    expect(renderCtHead(42, kch, true)).not.toEqual(renderCtHead(42, kch, false));
  });
});
