import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { ZCohortDefinition } from "@/protocol/cohort-definition";
import { CONCEPT as C } from "@/protocol/omop/concepts";
import { startEmbeddedServer } from "@/server/database/embedded-server";
import { runCohort } from "@/workers/cohort/run-cohort";
import { openLedger } from "@/workers/ledger/ledger";
import { cellMembers, type CellKey, type CohortMembers } from "@/workers/ledger/member-sets";
import { releaseCohortCount } from "@/workers/release/cohort-release";
import { all, cohort, demographic, has, visit } from "@/workers/test-support/cohort-definitions";
import { createTestSite } from "@/workers/test-support/training-site";
import { timeBest } from "./lib/measure";

/**
 * What the site's release check costs: complementary suppression, the differencing check against a
 * ledger of earlier releases and the ledger write, against the cohort count itself (the SQL and
 * the person rows), both on the same generated site in the same run.
 *
 *   npm run bench:disclosure -- [--persons 100000] [--releases 10000]
 */
const { values } = parseArgs({ options: { persons: { type: "string" }, releases: { type: "string" } } });
const PERSONS = Number(values.persons ?? 100_000);
const RELEASES = Number(values.releases ?? 10_000);
const MAX_RELEASE = 100_000;
const RULE = { threshold: 10, base: 5 };

function rng(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return state / 0x1_0000_0000;
  };
}

/** An earlier release: `size` persons taken from a shuffled population, with two nested rule steps. */
function syntheticRelease(population: Float64Array, offset: number, size: number, random: () => number): CohortMembers {
  const ids = Float64Array.from({ length: size }, (_, i) => population[(offset + i) % population.length]!).sort();
  return {
    rules: 2,
    personIds: ids,
    steps: Uint8Array.from(ids, () => Math.min(2, Math.floor(random() * 3.2))),
    ageBand: Uint8Array.from(ids, () => Math.floor(random() * 10)),
    sex: Uint8Array.from(ids, () => Math.floor(random() * 2.05)),
  };
}

function releasedCells(members: CohortMembers): { key: CellKey; ids: Float64Array }[] {
  const keys: CellKey[] = [
    ...[0, 1, 2].map((i) => `attrition:${i}` as const),
    ...Array.from({ length: 10 }, (_, i) => `ageBands:${i}` as const),
    ...[0, 1, 2].map((i) => `sex:${i}` as const),
  ];
  return keys.map((key) => ({ key, ids: cellMembers(members, key) })).filter((c) => c.ids.length >= RULE.threshold);
}

async function main() {
  const adminUrl =
    process.env.TEST_DATABASE_URL ??
    process.env.DATABASE_URL ??
    (await startEmbeddedServer({ dataDir: path.resolve(".data", "bench-postgres"), port: 54359 })).adminUrl;
  console.log(`generating a site of ${PERSONS} persons...`);
  const site = await createTestSite(adminUrl, PERSONS, "KCH");
  const stateDir = mkdtempSync(path.join(tmpdir(), "flip-bench-ledger-"));
  const ledger = openLedger(stateDir);
  try {
    // An outpatient visit, aged 18 and over, with a haemoglobin test in the year before: a typical large cohort.
    const definition = ZCohortDefinition.parse(
      cohort(visit([C.outpatientVisit]), {
        inclusionRules: [
          { name: "Adult", group: all(demographic({ ageAtIndex: { min: 18 } })) },
          {
            name: "Recent inpatient stay",
            group: all(has(visit([C.inpatientVisit]), { startDays: -365, endDays: 0 })),
          },
        ],
      }),
    );
    const count = () =>
      site.siteDb.readOnly((q) => runCohort(q, definition, { table: site.siteDb.table }), {
        statementTimeoutMs: 600_000,
      });
    const evidence = await count();
    const everyone = await site.siteDb.readOnly(
      (q) => q<{ person_id: number }>(`SELECT person_id FROM ${site.siteDb.table("person")}`),
      { statementTimeoutMs: 60_000 },
    );
    const population = Float64Array.from(everyone, (row) => Number(row.person_id));
    console.log(
      `cohort: ${evidence.counts.attrition.join(" -> ")} persons; filling a ledger with ${RELEASES} releases...`,
    );

    const random = rng(7);
    for (let i = population.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [population[i], population[j]] = [population[j]!, population[i]!];
    }
    const scope = { projectId: randomUUID(), requesterId: randomUUID() };
    const fillStarted = performance.now();
    for (let i = 0; i < RELEASES; i++) {
      // Near copies of the benchmark cohort (a few persons swapped) make the check compare person by person.
      const isNearCopy = i % 200 === 0;
      const members = isNearCopy
        ? swapSome(evidence.members, population, 5 + (i % 4), random)
        : syntheticRelease(
            population,
            Math.floor(random() * population.length),
            Math.min(population.length, Math.round(10 * Math.exp(random() * Math.log(MAX_RELEASE / 10)))),
            random,
          );
      ledger.recordCohortRelease(
        { taskId: randomUUID(), kind: "cohort_count", purpose: "approved", ...scope, figures: {}, payloadSha256: "" },
        members,
        releasedCells(members),
      );
      if ((i + 1) % 1000 === 0) process.stdout.write(`  ${i + 1} releases\n`);
    }
    console.log(`ledger filled in ${((performance.now() - fillStarted) / 1000).toFixed(1)} s`);

    const countMs = await timeBest(async () => void (await count()), 3);
    const checkMs = await timeBest(() => {
      releaseCohortCount({
        proposal: { evidence, ruleNames: ["Adult", "Recent inpatient stay"] },
        rule: RULE,
        ledger,
        entry: { taskId: randomUUID(), kind: "cohort_count", purpose: "approved", ...scope },
        check: (value) => value as never,
        hash: () => "",
      });
    }, 3);
    console.log(`\ncohort count (SQL and person rows), best of 3:     ${countMs.toFixed(0)} ms`);
    console.log(`release check against ${RELEASES} releases, best of 3: ${checkMs.toFixed(0)} ms`);
    console.log(`the check adds ${((100 * checkMs) / countMs).toFixed(1)} % to the count (goal: under 20 %)`);
  } finally {
    ledger.close();
    rmSync(stateDir, { recursive: true, force: true });
    await site.drop();
  }
}

/** The benchmark cohort with `k` persons replaced by others: same size, differing by 2k persons. */
function swapSome(members: CohortMembers, population: Float64Array, k: number, random: () => number): CohortMembers {
  const inCohort = new Set(members.personIds);
  const outsiders = population.filter((id) => !inCohort.has(id)).slice(0, 1000);
  const ids = Array.from(members.personIds);
  for (let s = 0; s < k && outsiders.length > s; s++) ids[Math.floor(random() * ids.length)] = outsiders[s]!;
  const order = ids.map((id, i) => [id, i] as const).sort((a, b) => a[0] - b[0]);
  return {
    rules: members.rules,
    personIds: Float64Array.from(order, ([id]) => id),
    steps: Uint8Array.from(order, ([, i]) => members.steps[i]!),
    ageBand: Uint8Array.from(order, ([, i]) => members.ageBand[i]!),
    sex: Uint8Array.from(order, ([, i]) => members.sex[i]!),
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
