import { and, eq, inArray, isNotNull, sql } from "drizzle-orm";
import type { Database, Tx } from "@/db/client";
import { artifacts, modelVersions, roundPartials, roundUpdates, secaggSites } from "@/db/schema";
import { getArtifactStore } from "@/server/artifacts/artifact-store";
import {
  createRunningSum,
  sumFromBytes,
  sumOfParts,
  type RunningSum,
  type PartialSum,
} from "@/server/aggregation/running-sum";
import type { TensorSpec } from "@/server/aggregation/validate-update";
import { decodeTensors } from "@/protocol/tensor-codec";
import { announceRoundClosed, getRoundExchange, isHolderAlive, requestPartial, sameSites } from "./round-exchange";

/**
 * The round's running sum at close (ARCHITECTURE.md, "Several portal processes"): this process's
 * own sum from memory, every other holder's published partial, and nothing re-read per update.
 */
export type RoundAggregate = {
  sum: Pick<RunningSum, "meanOf" | "totalWeight">;
  /** Sites whose accepted update is gone with a portal process that stopped before the round closed. */
  lost: string[];
};

type Accepted = { siteId: string; exampleCount: number; updateSha256: string | null; holder: string | null };

/**
 * Gathers the sum over exactly the round's accepted updates (`accepted`, read by the closing
 * transaction with the round row locked, so no update commits meanwhile). Returns "waiting" after
 * asking the holders that are alive but have not published yet; each of them retries the close
 * once it has. Past the deadline, or once a holder is gone, its updates count as lost rather than
 * holding the round open.
 */
export async function gatherRoundSum(
  db: Database,
  tx: Tx,
  round: { id: string; isPastDeadline: boolean },
  spec: readonly TensorSpec[],
  accepted: readonly Accepted[],
): Promise<RoundAggregate | "waiting"> {
  const exchange = getRoundExchange(db);
  const lost: string[] = [];
  const byHolder = new Map<string, string[]>();
  const stored = accepted.filter((a) => a.updateSha256);
  for (const a of accepted) {
    if (a.updateSha256) continue;
    const key = a.holder ?? "";
    byHolder.set(key, [...(byHolder.get(key) ?? []), a.siteId]);
  }
  // The usual case, one process holding every update: its own sum is the round's, not merged into a
  // copy (nor is a model-sized sum allocated for nothing).
  const onlyHolder = byHolder.size === 1 ? byHolder.get(exchange.holder) : undefined;
  if (onlyHolder && stored.length === 0) {
    const own = await exchange.heldSum(round.id, onlyHolder);
    if (own) return { sum: own, lost };
  }
  // Read together at the close (sumOfParts), not merged into a sum of their own.
  const parts: PartialSum[] = [];
  if (stored.length > 0) {
    const fromStored = createRunningSum(spec);
    for (const a of stored) {
      // Accepted before updates were kept in memory: stored, read once here.
      fromStored.add(
        a.siteId,
        decodeTensors(await getArtifactStore().get(tx, a.updateSha256!)).tensors,
        a.exampleCount,
      );
    }
    parts.push(fromStored);
  }
  // The other processes' parts: this process's own is in its memory, not read back.
  const published = await exchange.othersPartials(tx, round.id);
  let isWaiting = false;
  for (const [holder, siteIds] of byHolder) {
    if (holder === exchange.holder) {
      const own = await exchange.heldSum(round.id, siteIds);
      if (own) parts.push(own);
      else lost.push(...siteIds);
      continue;
    }
    const partial = published.find((p) => p.holder === holder);
    if (partial && sameSites(partial.contributors, siteIds)) {
      parts.push(sumFromBytes(spec, partial.sums, partial.contributors, partial.totalWeight));
    } else if (holder && !round.isPastDeadline && (await isHolderAlive(tx, holder))) {
      await requestPartial(tx, round.id, holder);
      isWaiting = true;
    } else {
      lost.push(...siteIds);
    }
  }
  // Waiting: this process's part goes to the database with the request (on the same commit), so the
  // holder that answers can close the round itself rather than ask this process back in turn.
  if (isWaiting && byHolder.has(exchange.holder)) await exchange.publish(tx, round.id);
  return isWaiting ? "waiting" : { sum: sumOfParts(parts), lost };
}

/** Once a round is aggregated (or failed) its partial sums, secure-aggregation messages and any stored updates are no longer needed. */
export async function discardRoundUpdates(tx: Tx, roundId: string): Promise<void> {
  await tx.delete(roundPartials).where(eq(roundPartials.roundId, roundId));
  // Secure aggregation: the masked uploads, sealed boxes and unmasking shares go with the round.
  await tx.delete(secaggSites).where(eq(secaggSites.roundId, roundId));
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
  await announceRoundClosed(tx, roundId);
}
