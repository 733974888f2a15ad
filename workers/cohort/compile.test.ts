import pg from "pg";
import { describe, expect, test } from "vitest";
import { ZCohortDefinition, type CohortDefinitionInput } from "@/protocol/cohort-definition";
import { CONCEPT as C } from "@/protocol/omop/concepts";
import {
  all,
  any,
  cohort,
  condition,
  demographic,
  drug,
  has,
  hasNo,
  imaging,
  measurement,
} from "../test-support/cohort-definitions";
import { compileCohort } from "./compile";

/** The compiler is pure: these need no database. */
const HOSTILE = `'); DROP TABLE person; --`;
const table = (name: string) => `${pg.escapeIdentifier(`site "x"; DROP`)}.${pg.escapeIdentifier(name)}`;
const options = { table, modalityConceptIds: { CT: [C.computedTomography, 2_000_000_001] } };

const hostileDefinition: CohortDefinitionInput = cohort(
  {
    type: "condition",
    concepts: [
      {
        conceptId: C.cerebrovascularAccident,
        includeDescendants: true,
        isExcluded: false,
        includeMapped: false,
        name: HOSTILE,
      },
    ],
  },
  {
    demographics: { ageAtIndex: { min: 18, max: 90 }, sex: ["female", "male"] },
    inclusionRules: [
      {
        name: HOSTILE,
        group: all(
          has(measurement([C.psa], { min: 4, max: 20, unitConceptId: 8842 }), { startDays: -30, endDays: 0 }),
          hasNo(drug([C.warfarin])),
        ),
      },
      {
        name: `${HOSTILE} 2`,
        group: any(
          has(imaging("CT")),
          all(demographic({ sex: ["male"] }), has(condition([C.atrialFibrillation], false))),
        ),
      },
    ],
  },
);

function compile(input: CohortDefinitionInput) {
  return compileCohort(ZCohortDefinition.parse(input), options);
}

describe("compileCohort", () => {
  test("no label or concept name reaches the SQL text, and every value is a bound number, id list or sex", () => {
    const { text, values } = compile(hostileDefinition);
    expect(text).not.toContain("DROP TABLE");
    expect(text).not.toMatch(/--/);
    // The only quotes are escaped identifiers (the schema's, and table names) and fixed literals from code.
    expect(text).toContain(`"site ""x""; DROP"."person"`);
    const withoutIdentifiers = text
      .replace(/"(?:[^"]|"")*"/g, "")
      .replace(/'(attrition|breakdown|male|female|other)'/g, "");
    expect(withoutIdentifiers).not.toMatch(/['";]/);
    for (const value of values) {
      const isNumber = typeof value === "number";
      const isIdList = Array.isArray(value) && value.every((v) => typeof v === "number");
      const isSexList = Array.isArray(value) && value.every((v) => v === "male" || v === "female");
      expect(isNumber || isIdList || isSexList).toBe(true);
    }
    expect(values).toContainEqual([C.computedTomography, 2_000_000_001]);
    expect(values).toEqual(expect.arrayContaining([4, 20, -30, 0]));
    expect(values).toContainEqual([8842]);
  });

  test("the same definition always gives the same SQL; the order of a concept list does not matter", () => {
    expect(compile(hostileDefinition)).toEqual(compile(structuredClone(hostileDefinition)));
    const ab = compile(cohort(condition([C.cerebrovascularAccident, C.atrialFibrillation])));
    const ba = compile(cohort(condition([C.atrialFibrillation, C.cerebrovascularAccident])));
    expect(ba).toEqual(ab);
    const other = compile(cohort(condition([C.atrialFibrillation])));
    expect(other.text).toBe(ab.text);
    expect(other.values).not.toEqual(ab.values);
  });

  test("an imaging criterion for a modality the site has no concept for matches nothing", () => {
    const { values } = compile(cohort(imaging("US")));
    expect(values[0]).toEqual([]);
  });
});

describe("ZCohortDefinition refuses what the compiler must never see", () => {
  const base = cohort(condition([C.cerebrovascularAccident]));
  const criterion = { kind: "criterion", criterion: base.entry };
  const nest = (depth: number): unknown =>
    depth === 1
      ? { kind: "group", operator: "AND", items: [criterion] }
      : { kind: "group", operator: "OR", items: [nest(depth - 1)] };
  const issues = (input: unknown) => {
    const parsed = ZCohortDefinition.safeParse(input);
    return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  };

  test.each([
    ["an unknown field (e.g. free SQL)", { ...base, sql: "SELECT 1" }, `: Unrecognized key: "sql"`],
    [
      "an unknown field on a criterion",
      { ...base, entry: { ...base.entry, table: "person" } },
      `entry: Unrecognized key: "table"`,
    ],
    [
      "a concept id of the wrong type",
      { ...base, entry: { type: "condition", concepts: [{ conceptId: "1 OR 1=1" }] } },
      "entry.concepts.0.conceptId: Invalid input: expected number, received string",
    ],
    [
      "an out-of-range window",
      {
        ...base,
        inclusionRules: [
          {
            name: "r",
            group: {
              kind: "group",
              operator: "AND",
              items: [{ ...criterion, window: { startDays: -40_000, endDays: 0 } }],
            },
          },
        ],
      },
      "inclusionRules.0.group.items.0.window.startDays: Too small: expected number to be >=-36500",
    ],
    [
      "an out-of-range age",
      { ...base, demographics: { ageAtIndex: { min: 200 } } },
      "demographics.ageAtIndex.min: Too big: expected number to be <=130",
    ],
    [
      "groups nested too deep",
      { ...base, inclusionRules: [{ name: "r", group: nest(5) }] },
      "inclusionRules.0.group: Groups may nest at most 4 deep",
    ],
    [
      "too many rules",
      { ...base, inclusionRules: Array.from({ length: 51 }, (_, i) => ({ name: `r${i}`, group: nest(1) })) },
      "inclusionRules: Too big: expected array to have <=50 items",
    ],
    [
      "too many criteria in all",
      {
        ...base,
        inclusionRules: Array.from({ length: 4 }, (_, i) => ({
          name: `r${i}`,
          group: { kind: "group", operator: "AND", items: Array(16).fill(criterion) },
        })),
      },
      "inclusionRules: At most 60 criteria in all",
    ],
    [
      "a count on an AND group",
      {
        ...base,
        inclusionRules: [{ name: "r", group: { kind: "group", operator: "AND", count: 2, items: [criterion] } }],
      },
      "inclusionRules.0.group.count: A count goes only with 'at least' or 'at most'",
    ],
    [
      "an 'at least' group without its count, nested in a criterion",
      {
        ...base,
        entry: { ...base.entry, nested: { kind: "group", operator: "AT_LEAST", items: [criterion] } },
      },
      "entry.nested.count: Say how many of the items must match",
    ],
    [
      "a calendar date that is not one",
      { ...base, entry: { ...base.entry, startDate: { from: "2020-13-01" } } },
      "entry.startDate.from: Enter a date as YYYY-MM-DD",
    ],
    [
      "a date range that ends before it starts",
      { ...base, entry: { ...base.entry, endDate: { from: "2021-01-01", to: "2020-01-01" } } },
      "entry.endDate: The first date must not be after the last",
    ],
    [
      "a definition that is too large",
      {
        ...base,
        entry: {
          type: "condition",
          concepts: Array.from({ length: 2000 }, (_, i) => ({ conceptId: i + 1, name: "x".repeat(255) })),
        },
      },
      ": The definition is larger than 262144 bytes",
    ],
  ])("%s", (_, input, message) => {
    expect(issues(input)).toEqual([message]);
  });
});
