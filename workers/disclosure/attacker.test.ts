import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { solve, type Model } from "yalps";
import { ZCohortDefinition, type CohortDefinitionInput } from "@/protocol/cohort-definition";
import { SUPPRESSED, type Cell, type CohortCountResult } from "@/protocol/contract";
import { countInterval, type CountRule } from "@/protocol/disclosure";
import { CONCEPT as C } from "@/protocol/omop/concepts";
import { runCohort } from "../cohort/run-cohort";
import { cellMembers, type CellKey, type CohortMembers } from "../ledger/member-sets";
import { ZSitePolicy } from "../policy";
import { cohortCountTask } from "../tasks/cohort-count";
import {
  all,
  any,
  cohort,
  condition,
  demographic,
  drug,
  has,
  hasNo,
  measurement,
  procedure,
  visit,
} from "../test-support/cohort-definitions";
import { createTestGate, runThroughGate } from "../test-support/gate-fixture";
import { createTestSite, quietLog, type TestSite } from "../test-support/training-site";

/**
 * A hostile researcher's view: every result the site released for one project, searched for any
 * count below the threshold. Within a result, a linear program (not the site's own reasoning) bounds
 * every suppressed cell and the persons each rule excluded, given the released figures and their
 * rounding; across results, any two released cells whose persons are nested (one group inside the
 * other, as "age >= 85" and "age >= 86" are) are subtracted. A finding is a quantity pinned between
 * 1 and threshold - 1. Random definitions on a generated site; the site must leave no finding.
 */
const adminUrl = inject("pgAdminUrl");
const RULE: CountRule = { threshold: 10, base: 5 };
const DEFINITIONS = 60;
let site: TestSite;

beforeAll(async () => {
  site = await createTestSite(adminUrl, 1500, "KCH");
}, 240_000);
afterAll(async () => {
  await site?.drop();
});

/** A seeded stream, so a failure names a reproducible definition. */
function rng(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return state / 0x1_0000_0000;
  };
}

function randomDefinition(random: () => number): CohortDefinitionInput {
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const entries = [
    condition([C.cerebrovascularAccident]),
    condition([C.hypertensiveDisorder]),
    condition([C.diabetesMellitus]),
    measurement([C.psa]),
    measurement([C.systolicBp], { min: 120 + Math.floor(random() * 40) }),
    visit([C.outpatientVisit]),
    procedure([C.ctHead]),
  ];
  const items = [
    () => has(condition([C.atrialFibrillation])),
    () => hasNo(drug([C.warfarin])),
    () => has(drug([C.aspirin])),
    () => hasNo(drug([C.metformin])),
    () => has(measurement([C.haemoglobin]), { startDays: -365 * (1 + Math.floor(random() * 4)), endDays: 0 }),
    () => demographic({ ageAtIndex: { min: 40 + Math.floor(random() * 50) } }),
    () => demographic({ sex: [pick(["male", "female"] as const)] }),
    () => has(visit([C.inpatientVisit]), { startDays: 0, endDays: Math.floor(random() * 30) }),
  ];
  const rules = Array.from({ length: Math.floor(random() * 4) }, (_, i) => ({
    name: `Rule ${i + 1}`,
    group: random() < 0.3 ? any(pick(items)(), pick(items)()) : all(pick(items)()),
  }));
  const minAge = random() < 0.6 ? 30 + Math.floor(random() * 60) : undefined;
  return cohort(pick(entries), {
    demographics: minAge === undefined ? undefined : { ageAtIndex: { min: minAge } },
    inclusionRules: rules,
  });
}

type Released = { result: CohortCountResult; members: CohortMembers };

/** The released figures as the LP's variables: attrition steps, age bands, sex cells. */
function cellsOf(result: CohortCountResult): Record<CellKey, Cell> {
  const cells: Record<CellKey, Cell> = {};
  result.attrition.forEach((a, i) => (cells[`attrition:${i}`] = a.remaining));
  result.ageBands.forEach((b, i) => (cells[`ageBands:${i}`] = b.persons));
  result.sex.forEach((s, i) => (cells[`sex:${i}`] = s.persons));
  return cells;
}

/** Min and max of `objective` (variable name -> coefficient) over every table consistent with the result. */
function bounds(result: CohortCountResult, objective: Record<string, number>): [number, number] {
  const cells = cellsOf(result);
  const keys = Object.keys(cells) as CellKey[];
  const total = `attrition:${result.attrition.length - 1}`;
  const constraints: Record<string, { min?: number; max?: number; equal?: number }> = {};
  const variables: Record<string, Record<string, number>> = Object.fromEntries(keys.map((k) => [k, {}]));
  const coefficient = (constraint: string, key: string, value: number) => (variables[key]![constraint] = value);
  for (const key of keys) {
    const [lo, hi] = countInterval(cells[key]!, RULE, 1e9);
    constraints[`range:${key}`] = { min: lo, max: hi };
    coefficient(`range:${key}`, key, 1);
  }
  for (let i = 1; i < result.attrition.length; i++) {
    constraints[`chain:${i}`] = { min: 0 };
    coefficient(`chain:${i}`, `attrition:${i - 1}`, 1);
    coefficient(`chain:${i}`, `attrition:${i}`, -1);
  }
  for (const group of ["ageBands", "sex"]) {
    constraints[`sum:${group}`] = { equal: 0 };
    for (const key of keys.filter((k) => k.startsWith(`${group}:`))) coefficient(`sum:${group}`, key, 1);
    coefficient(`sum:${group}`, total, -1);
  }
  for (const [key, c] of Object.entries(objective)) coefficient("objective", key, c);
  const model = (direction: "minimize" | "maximize"): Model => ({
    direction,
    objective: "objective",
    constraints,
    variables,
  });
  const low = solve(model("minimize"));
  const high = solve(model("maximize"));
  if (low.status !== "optimal" || high.status !== "optimal") throw new Error(`LP ${low.status}/${high.status}`);
  return [Math.round(low.result * 1e6) / 1e6, Math.round(high.result * 1e6) / 1e6];
}

const isFinding = ([lo, hi]: [number, number]) => lo >= 1 && hi <= RULE.threshold - 1;

describe("a hostile researcher against one site's released counts", () => {
  test(
    `${DEFINITIONS} random definitions: no count below the threshold can be worked out within or across results`,
    { timeout: 300_000 },
    async () => {
      const policy = ZSitePolicy.parse({
        site: "KCH",
        minCellCount: RULE.threshold,
        roundingBase: RULE.base,
        allowedTaskKinds: ["cohort_count"],
        maxFeasibilityCountsPerDay: 10_000,
      });
      const { gate } = createTestGate(policy);
      const scope = { projectId: randomUUID(), requesterId: randomUUID() };
      const random = rng(20261206);
      const released: Released[] = [];
      let refused = 0;
      for (let n = 0; n < DEFINITIONS; n++) {
        const definition = ZCohortDefinition.parse(randomDefinition(random));
        const context = {
          taskId: randomUUID(),
          attempt: 1,
          signal: new AbortController().signal,
          log: quietLog,
          policy,
          siteDb: site.siteDb,
          dataDir: site.dataDir,
          progress: async () => undefined,
          downloadWeights: () => Promise.reject(new Error("no weights")),
        };
        const outcome = await runThroughGate(
          cohortCountTask,
          { definition, purpose: "approved", ...scope },
          context,
          gate,
        );
        if (outcome.type !== "complete") {
          expect(outcome).toMatchObject({ type: "fail", code: "refused_by_site_policy" });
          refused++;
          continue;
        }
        const evidence = await site.siteDb.readOnly((q) => runCohort(q, definition, { table: site.siteDb.table }), {
          statementTimeoutMs: 30_000,
        });
        released.push({ result: outcome.result as unknown as CohortCountResult, members: evidence.members });
      }
      expect(released.length).toBeGreaterThan(DEFINITIONS / 2);

      const findings: string[] = [];
      // Within each result: every suppressed cell, and the persons each rule excluded.
      released.forEach(({ result }, r) => {
        for (const [key, cell] of Object.entries(cellsOf(result))) {
          if (cell === SUPPRESSED && isFinding(bounds(result, { [key]: 1 }))) findings.push(`result ${r}: ${key}`);
        }
        for (let i = 1; i < result.attrition.length; i++) {
          const excluded = bounds(result, { [`attrition:${i - 1}`]: 1, [`attrition:${i}`]: -1 });
          if (isFinding(excluded)) findings.push(`result ${r}: persons excluded by rule ${i} in ${excluded}`);
        }
      });
      // Across results: two released cells whose persons are nested give the persons in one and not the other.
      const releasedCells = released.flatMap(({ result, members }, r) =>
        Object.entries(cellsOf(result))
          .filter((entry): entry is [CellKey, number] => entry[1] !== SUPPRESSED)
          .map(([key, value]) => ({ r, key, value, ids: new Set(cellMembers(members, key)) })),
      );
      for (const a of releasedCells) {
        for (const b of releasedCells) {
          if (a.r === b.r || b.ids.size > a.ids.size || ![...b.ids].every((id) => a.ids.has(id))) continue;
          const [aLo, aHi] = countInterval(a.value, RULE, 1e9);
          const [bLo, bHi] = countInterval(b.value, RULE, 1e9);
          const difference: [number, number] = [Math.max(0, aLo - bHi), aHi - bLo];
          if (isFinding(difference)) findings.push(`results ${a.r}/${b.r}: ${a.key} - ${b.key} in ${difference}`);
        }
      }
      expect(findings).toEqual([]);
      // The search had something to search: rounding, suppression and refusals all took part.
      expect(released.some(({ result }) => Object.values(cellsOf(result)).includes(SUPPRESSED))).toBe(true);
      expect(releasedCells.length).toBeGreaterThan(200);
      console.info(
        `attacker suite: ${released.length} results released, ${refused} refused, ${releasedCells.length} cells`,
      );
    },
  );
});
