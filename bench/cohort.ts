import { availableParallelism, loadavg } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { ZCohortDefinition, type CohortDefinitionInput } from "@/protocol/cohort-definition";
import { CONCEPT as C } from "@/protocol/omop/concepts";
import { startEmbeddedServer } from "@/server/database/embedded-server";
import { runCohort } from "@/workers/cohort/run-cohort";
import {
  all,
  cohort,
  condition,
  drug,
  has,
  hasNo,
  measurement,
  procedure,
  visit,
} from "@/workers/test-support/cohort-definitions";
import { createTestSite } from "@/workers/test-support/training-site";
import { timeBest } from "./lib/measure";

/**
 * Cohort counts at the site on a large generated site: three typical definitions, each with its
 * attrition, age bands and sex (the full statement and person rows the release gate receives),
 * against a plain count(distinct person_id) over the same entry events, in the same run; then a
 * cohort of nearly every person, to show how a rule over a million index events scales.
 *
 *   npm run bench:cohort -- [--persons 1000000]
 */
const { values } = parseArgs({ options: { persons: { type: "string" } } });
const PERSONS = Number(values.persons ?? 1_000_000);
const GOAL_MS = 2_000;
const NG_PER_ML = 8842;

type Case = {
  name: string;
  /** Typical definitions have the goal; a cohort of nearly everyone is printed to show how it scales. */
  hasGoal: boolean;
  definition: CohortDefinitionInput;
  baseline: (
    t: (name: "concept_ancestor" | "condition_occurrence" | "measurement" | "visit_occurrence") => string,
  ) => string;
};

const withDescendants = (t: (name: "concept_ancestor") => string, id: number) =>
  `(SELECT ${id} UNION SELECT descendant_concept_id FROM ${t("concept_ancestor")} WHERE ancestor_concept_id = ${id})`;

const CASES: Case[] = [
  {
    name: "condition entry (cerebral infarction)",
    hasGoal: true,
    definition: cohort(condition([C.cerebralInfarction])),
    baseline: (t) =>
      `SELECT count(DISTINCT person_id) FROM ${t("condition_occurrence")} WHERE condition_concept_id IN ${withDescendants(t, C.cerebralInfarction)}`,
  },
  {
    name: "PSA 4-20 ng/mL, biopsy and diagnosis windows, no prior anti-androgen",
    hasGoal: true,
    definition: cohort(measurement([C.psa], { min: 4, max: 20, unitConceptId: NG_PER_ML }), {
      inclusionRules: [
        {
          name: "Biopsy within 180 days",
          group: all(has(procedure([C.prostateBiopsy]), { startDays: 0, endDays: 180 })),
        },
        {
          name: "Prostate cancer within a year",
          group: all(has(condition([C.malignantTumorOfProstate]), { startDays: 0, endDays: 365 })),
        },
        { name: "No prior bicalutamide", group: all(hasNo(drug([C.bicalutamide]), { startDays: -3650, endDays: -1 })) },
      ],
    }),
    baseline: (t) =>
      `SELECT count(DISTINCT person_id) FROM ${t("measurement")} WHERE measurement_concept_id IN ${withDescendants(t, C.psa)}
         AND value_as_number BETWEEN 4 AND 20 AND unit_concept_id = ${NG_PER_ML}`,
  },
  {
    name: "inpatient visit with a haemoglobin in the 30 days before",
    hasGoal: true,
    definition: cohort(visit([C.inpatientVisit]), {
      inclusionRules: [
        { name: "Haemoglobin", group: all(has(measurement([C.haemoglobin]), { startDays: -30, endDays: 0 })) },
      ],
    }),
    baseline: (t) =>
      `SELECT count(DISTINCT person_id) FROM ${t("visit_occurrence")} WHERE visit_concept_id IN ${withDescendants(t, C.inpatientVisit)}`,
  },
  {
    name: "outpatient visit with a haemoglobin in the year before (nearly everyone; no goal)",
    hasGoal: false,
    definition: cohort(visit([C.outpatientVisit]), {
      inclusionRules: [
        { name: "Haemoglobin", group: all(has(measurement([C.haemoglobin]), { startDays: -365, endDays: 0 })) },
      ],
    }),
    baseline: (t) =>
      `SELECT count(DISTINCT person_id) FROM ${t("visit_occurrence")} WHERE visit_concept_id IN ${withDescendants(t, C.outpatientVisit)}`,
  },
];

/** The machine may be shared: timings are read beside its load. */
const loadAverage = () =>
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(", ")} on ${availableParallelism()} CPUs`;

async function main() {
  const adminUrl =
    process.env.TEST_DATABASE_URL ??
    process.env.DATABASE_URL ??
    (await startEmbeddedServer({ dataDir: path.resolve(".data", "bench-postgres"), port: 54359 })).adminUrl;
  console.log(`generating a site of ${PERSONS} persons...`);
  const started = performance.now();
  const site = await createTestSite(adminUrl, PERSONS, "KCH");
  console.log(`generated in ${((performance.now() - started) / 1000).toFixed(0)} s (${loadAverage()})\n`);
  const options = { statementTimeoutMs: 600_000 };
  try {
    await site.siteDb.readOnly((q) => q("ANALYZE"), options).catch(() => undefined);
    for (const { name, hasGoal, definition, baseline } of CASES) {
      const parsed = ZCohortDefinition.parse(definition);
      const count = () => site.siteDb.readOnly((q) => runCohort(q, parsed, { table: site.siteDb.table }), options);
      const plain = () => site.siteDb.readOnly((q) => q(baseline(site.siteDb.table)), options);
      const evidence = await count();
      await plain();
      const countMs = await timeBest(async () => void (await count()), 3);
      const plainMs = await timeBest(async () => void (await plain()), 3);
      console.log(name);
      console.log(`  attrition ${evidence.counts.attrition.join(" -> ")}`);
      const goal = hasGoal ? ` (goal < ${GOAL_MS} ms: ${countMs < GOAL_MS ? "met" : "NOT met"})` : "";
      console.log(`  cohort with attrition and breakdowns, best of 3: ${countMs.toFixed(0)} ms${goal}`);
      console.log(`  plain count(distinct person_id) of the entry events: ${plainMs.toFixed(0)} ms`);
      console.log(`  ratio ${(countMs / plainMs).toFixed(1)}x (${loadAverage()})\n`);
    }
  } finally {
    await site.drop();
  }
}

await main();
