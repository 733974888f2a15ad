import { AGE_BANDS } from "@/protocol/contract";
import type { CohortCounts } from "../disclosure/cohort-cells";
import type { CohortMembers } from "../ledger/member-sets";
import type { CohortRow } from "./compile";

/**
 * Exact counts and member sets of one cohort as computed at the site, from the person rows of the
 * compiled statement. They never leave the site: the release gate turns them into released figures.
 */
export const SEX_CATEGORIES = ["male", "female", "other"] as const;

export type CohortEvidence = { counts: CohortCounts; members: CohortMembers };

export function evidenceFromRows(rows: readonly CohortRow[], rules: number): CohortEvidence {
  const n = rows.length;
  const members: CohortMembers = {
    rules,
    personIds: new Float64Array(n),
    steps: new Uint8Array(n),
    ageBand: new Uint8Array(n),
    sex: new Uint8Array(n),
  };
  const counts: CohortCounts = {
    attrition: Array.from({ length: rules + 1 }, () => 0),
    ageBands: AGE_BANDS.map(() => 0),
    sex: SEX_CATEGORIES.map(() => 0),
  };
  rows.forEach((row, i) => {
    const sex = Math.max(0, SEX_CATEGORIES.indexOf(row.sex));
    members.personIds[i] = Number(row.person_id);
    members.steps[i] = row.steps;
    members.ageBand[i] = row.band;
    members.sex[i] = sex;
    for (let step = 0; step <= row.steps; step++) counts.attrition[step]!++;
    if (row.steps === rules) {
      counts.ageBands[row.band]!++;
      counts.sex[sex]!++;
    }
  });
  return { counts, members };
}
