import { AGE_BANDS, type CohortCountResult } from "@/protocol/contract";
import { countNoiseSigma, type CountPrivacyReport } from "@/protocol/privacy/dp-counts";
import { releaseCount, type CountRule } from "@/protocol/disclosure";
import type { CohortEvidence } from "../cohort/breakdowns";
import { SEX_CATEGORIES } from "../cohort/breakdowns";
import {
  protectCohortCells,
  type CellGroup,
  type CellRef,
  type CohortCells,
  type CohortCounts,
} from "../disclosure/cohort-cells";
import type { Ledger, ReleasedCell, ReleaseInput } from "../ledger/ledger";
import { cellMembers, type CellKey } from "../ledger/member-sets";
import { createDiscreteGaussian } from "../privacy/discrete-gaussian";
import { TaskError } from "./failures";
import type { CountCharge, previewCharge } from "./privacy-budget";

/**
 * Releases one cohort count. Small cells are suppressed and the rest rounded, complementary
 * suppression keeps suppressed cells and the persons each rule excluded from being worked out
 * within the result, and every released cell is compared with the cells this site released
 * earlier for the same project or the same requester: a cell that differs from an earlier one by
 * at least one and fewer than threshold persons is suppressed too, and when that cell is the
 * cohort's total the whole result is refused. What was released, and who each released cell
 * counted, goes into the ledger in the same step.
 *
 * A differentially private count (`privacy`) adds discrete Gaussian noise to every exact cell first;
 * suppression and rounding then act on the noisy counts only, so they are post-processing and the
 * guarantee holds for the released figures. Complementary suppression is not needed then: working a
 * suppressed cell out of the others (the total minus the other bands) yields a noisy figure, which
 * the guarantee covers, never an exact count; and its interval reasoning assumes cells that add up,
 * which noisy cells do not. Its ε is charged to the
 * project's budget in the ledger transaction that records the release. The differencing check is
 * skipped for it: that check decides on exact member sets, which would leak outside the guarantee,
 * and the noise is what stops differencing. Its cells are still recorded, so later exact counts are
 * compared with them.
 */
export type CohortProposal = {
  evidence: CohortEvidence;
  ruleNames: string[];
  unknownConcepts?: number[];
  /** A DP count: its settings and attrition steps, already admitted against the budget before the query. */
  privacy?: CountCharge;
};
type Preview = ReturnType<typeof previewCharge>;

const ENTRY_STEP = "Entry event";
const GROUPS: readonly CellGroup[] = ["attrition", "ageBands", "sex"];

export function releaseCohortCount({
  proposal,
  rule,
  ledger,
  entry,
  check,
  hash,
  preview,
}: {
  proposal: CohortProposal;
  rule: CountRule;
  ledger: Ledger;
  entry: Omit<ReleaseInput, "figures" | "payloadSha256">;
  check: (value: unknown) => CohortCountResult;
  hash: (value: unknown) => string;
  /** For a DP count: what recording it will leave the project at, and the ledger's check. */
  preview?: Preview;
}): CohortCountResult {
  const { counts, members } = proposal.evidence;
  if (proposal.privacy && preview) {
    const sigma = countNoiseSigma(proposal.privacy.countDp, counts.attrition.length);
    const noisy = noisyCounts(counts, sigma);
    const cell = (n: number) => releaseCount(n, rule);
    const cells = {
      attrition: noisy.attrition.map(cell),
      ageBands: noisy.ageBands.map(cell),
      sex: noisy.sex.map(cell),
    };
    const report: CountPrivacyReport = {
      ...proposal.privacy.countDp,
      sigma,
      epsilonSpent: preview.epsilonSpent,
      maxEpsilon: preview.budget.maxEpsilon,
      budgetDelta: preview.budget.delta,
    };
    const result = check({
      ...resultOf(cells, rule, proposal.ruleNames, proposal.unknownConcepts ?? []),
      differentialPrivacy: report,
    });
    const released = releasedMembers(cells, (key) => cellMembers(members, key));
    const cost = { projectId: proposal.privacy.projectId, ...preview.cost, admit: preview.admit };
    ledger.recordCohortRelease({ ...entry, figures: result, payloadSha256: hash(result) }, members, released, cost);
    return result;
  }
  const total: CellKey = `attrition:${members.rules}`;
  if (!entry.projectId || !entry.requesterId)
    throw new TaskError({ reason: "invalid_payload" }, false, "no project or requester");
  const scope = { projectId: entry.projectId, requesterId: entry.requesterId };

  const forced: CellRef[] = [];
  for (;;) {
    const cells = protectCohortCells(counts, rule, forced);
    const releasedCells = releasedMembers(cells, (key) => cellMembers(members, key));
    const near = ledger.findNearCells(scope, releasedCells, rule.threshold);
    const nearTotal = near.find((n) => n.key === total);
    if (nearTotal) {
      const detail = `the total differs by ${nearTotal.difference} persons from ledger entry ${nearTotal.earlierEntryId}`;
      throw new TaskError({ reason: "differencing" }, false, detail);
    }
    if (near.length === 0) {
      const result = check(resultOf(cells, rule, proposal.ruleNames, proposal.unknownConcepts ?? []));
      ledger.recordCohortRelease({ ...entry, figures: result, payloadSha256: hash(result) }, members, releasedCells);
      return result;
    }
    for (const { key } of near) {
      const [group, index] = key.split(":") as [CellGroup, string];
      forced.push({ group, index: Number(index) });
    }
  }
}

/**
 * Exact counts plus independent N_Z(0, σ²) noise, clamped at 0 and with each attrition step held at
 * or below the one before: functions of the noisy counts alone, so post-processing.
 */
function noisyCounts(counts: CohortCounts, sigma: number): CohortCounts {
  const noise = createDiscreteGaussian(sigma);
  const noisy = (n: number) => Math.max(0, n + noise());
  const attrition: number[] = [];
  for (const n of counts.attrition) attrition.push(Math.min(noisy(n), attrition.at(-1) ?? Infinity));
  return { attrition, ageBands: counts.ageBands.map(noisy), sex: counts.sex.map(noisy) };
}

function releasedMembers(cells: CohortCells, membersOf: (key: CellKey) => Float64Array): ReleasedCell[] {
  const out: ReleasedCell[] = [];
  for (const group of GROUPS) {
    cells[group].forEach((cell, index) => {
      if (typeof cell !== "number") return;
      const key: CellKey = `${group}:${index}`;
      out.push({ key, ids: membersOf(key) });
    });
  }
  return out;
}

function resultOf(
  cells: CohortCells,
  rule: CountRule,
  ruleNames: readonly string[],
  unknownConcepts: readonly number[],
): CohortCountResult {
  const names = [ENTRY_STEP, ...ruleNames];
  return {
    threshold: rule.threshold,
    rounding: rule.base,
    total: cells.attrition.at(-1)!,
    attrition: names.map((name, i) => ({ rule: name, remaining: cells.attrition[i]! })),
    ageBands: AGE_BANDS.map((band, i) => ({ band, persons: cells.ageBands[i]! })),
    sex: SEX_CATEGORIES.map((sex, i) => ({ sex, persons: cells.sex[i]! })),
    ...(unknownConcepts.length > 0 ? { unknownConcepts: [...unknownConcepts] } : {}),
  };
}
