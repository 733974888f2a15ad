import { and, asc, eq, inArray, isNotNull, sql } from "drizzle-orm";
import type { Tx } from "@/db/client";
import { artifacts, modelVersions, roundUpdates } from "@/db/schema";
import { getArtifactStore } from "@/server/artifacts/artifact-store";
import { createRunningSum, type RunningSum } from "@/server/aggregation/running-sum";
import type { TensorSpec } from "@/server/aggregation/validate-update";
import { decodeTensors, type NamedTensor } from "@/protocol/tensor-codec";

/**
 * The running weighted sum of each open round in this process, folded as updates commit, so
 * closing a round costs one mean rather than re-reading every update (memory O(model), not
 * O(sites x model)). The database is the truth: every accepted update is also
 * stored as an artifact until its round closes. When this process's sum does not cover exactly
 * the round's accepted updates (a restarted hub, another portal process took some), the sum is
 * rebuilt from those artifacts one update at a time, still in O(model) memory.
 */
const openSums = new Map<string, RunningSum>();
// Rounds closed by another process leave their sum here; a bound keeps that from growing.
const MAX_OPEN_ROUNDS = 64;

/** After an update's transaction commits: fold it into this process's sum for the round. */
export function foldCommittedUpdate(
  roundId: string,
  spec: readonly TensorSpec[],
  siteId: string,
  update: readonly NamedTensor[],
  weight: number,
): void {
  let sum = openSums.get(roundId);
  if (!sum) {
    sum = createRunningSum(spec);
    openSums.set(roundId, sum);
    if (openSums.size > MAX_OPEN_ROUNDS) openSums.delete(openSums.keys().next().value!);
  }
  if (!sum.contributors.includes(siteId)) sum.add(siteId, update, weight);
}

export function forgetRound(roundId: string): void {
  openSums.delete(roundId);
}

type Accepted = { siteId: string; exampleCount: number; updateSha256: string | null };

/**
 * The round's sum over exactly its accepted updates (read in the closing transaction), plus the
 * update being accepted right now, if any. Never mutates the cached sum: the transaction may
 * still roll back.
 */
export async function roundSum(
  tx: Tx,
  roundId: string,
  spec: readonly TensorSpec[],
  pending?: { siteId: string; update: readonly NamedTensor[]; weight: number },
): Promise<RunningSum> {
  const accepted: Accepted[] = await tx
    .select({
      siteId: roundUpdates.siteId,
      exampleCount: roundUpdates.exampleCount,
      updateSha256: roundUpdates.updateSha256,
    })
    .from(roundUpdates)
    .where(eq(roundUpdates.roundId, roundId))
    .orderBy(asc(roundUpdates.receivedAt));
  const committed = accepted.filter((a) => a.siteId !== pending?.siteId);
  const cached = openSums.get(roundId);
  const isCacheExact =
    cached !== undefined &&
    cached.contributors.length === committed.length &&
    committed.every((a) => cached.contributors.includes(a.siteId));
  const sum = isCacheExact ? cached.clone() : createRunningSum(spec);
  if (!isCacheExact) {
    for (const a of committed) {
      if (!a.updateSha256)
        throw new Error(
          `round ${roundId}: the update of site ${a.siteId} is no longer stored; the round cannot be aggregated`,
        );
      // One update decoded at a time, folded, then dropped.
      sum.add(a.siteId, decodeTensors(await getArtifactStore().get(tx, a.updateSha256)).tensors, a.exampleCount);
    }
  }
  if (pending) sum.add(pending.siteId, pending.update, pending.weight);
  return sum;
}

/** Once a round is aggregated its updates are no longer needed: drop their artifacts. */
export async function discardRoundUpdates(tx: Tx, roundId: string): Promise<void> {
  const stored = await tx
    .select({ sha256: roundUpdates.updateSha256 })
    .from(roundUpdates)
    .where(and(eq(roundUpdates.roundId, roundId), isNotNull(roundUpdates.updateSha256)));
  const shas = stored.map((s) => s.sha256!);
  // Content-addressed: identical bytes (e.g. an all-zero delta) may also be another round's update.
  if (shas.length) {
    await tx
      .delete(artifacts)
      .where(
        and(
          inArray(artifacts.sha256, shas),
          sql`NOT EXISTS (SELECT 1 FROM ${roundUpdates} WHERE ${roundUpdates.updateSha256} = ${artifacts.sha256} AND ${roundUpdates.roundId} <> ${roundId})`,
          sql`NOT EXISTS (SELECT 1 FROM ${modelVersions} WHERE ${modelVersions.weightsSha256} = ${artifacts.sha256} OR ${modelVersions.optimizerStateSha256} = ${artifacts.sha256})`,
        ),
      );
  }
  forgetRound(roundId);
}
