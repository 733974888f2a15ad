import { AGE_BANDS, type CohortCountResult } from "@/protocol/contract";
import type { CountRule } from "@/protocol/disclosure";
import type { CohortEvidence } from "../cohort/breakdowns";
import { SEX_CATEGORIES } from "../cohort/breakdowns";
import { protectCohortCells, type CellGroup, type CellRef, type CohortCells } from "../disclosure/cohort-cells";
import type { Ledger, ReleasedCell, ReleaseInput } from "../ledger/ledger";
import { cellMembers, type CellKey } from "../ledger/member-sets";
import { TaskError } from "./failures";

/**
 * Releases one cohort count. Small cells are suppressed and the rest rounded, complementary
 * suppression keeps suppressed cells and the persons each rule excluded from being worked out
 * within the result, and every released cell is compared with the cells this site released
 * earlier for the same project or the same requester: a cell that differs from an earlier one by
 * at least one and fewer than threshold persons is suppressed too, and when that cell is the
 * cohort's total the whole result is refused. What was released, and who each released cell
 * counted, goes into the ledger in the same step.
 */
export type CohortProposal = { evidence: CohortEvidence; ruleNames: string[]; unknownConcepts?: number[] };

const ENTRY_STEP = "Entry event";
const GROUPS: readonly CellGroup[] = ["attrition", "ageBands", "sex"];

export function releaseCohortCount({
  proposal,
  rule,
  ledger,
  entry,
  check,
  hash,
}: {
  proposal: CohortProposal;
  rule: CountRule;
  ledger: Ledger;
  entry: Omit<ReleaseInput, "figures" | "payloadSha256">;
  check: (value: unknown) => CohortCountResult;
  hash: (value: unknown) => string;
}): CohortCountResult {
  const { counts, members } = proposal.evidence;
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
