import { and, eq, inArray, sql } from "drizzle-orm";
import type { Tx } from "@/db/client";
import { secaggRounds, secaggSites } from "@/db/schema";
import { meanOfSecureSum } from "@/server/aggregation/secagg-aggregate";
import type { TensorSpec } from "@/server/aggregation/validate-update";
import { notifySites } from "@/server/tasks/tasks.service";
import { removeMasks } from "@/protocol/secagg/server";
import type { NamedTensor } from "@/protocol/tensor-codec";
import { siteNoiseStd, type DifferentialPrivacy } from "@/protocol/privacy/dp-settings";
import { secAggParams, type SecAggParams } from "@/protocol/secagg/quantise";

/** The ring parameters and weight divisor for a secure round of `siteCount` sites; stored with the round. */
export async function openSecureRound(
  tx: Tx,
  input: {
    roundId: string;
    siteCount: number;
    normBound: number;
    dp: DifferentialPrivacy | undefined;
    weightDivisor: number;
  },
): Promise<{ roundId: string; params: SecAggParams; weightDivisor: number }> {
  const { threshold } = secAggParams({ sites: input.siteCount, normBound: input.normBound, noiseStd: 0 });
  const noiseStd = input.dp ? siteNoiseStd(input.dp, input.normBound, threshold) : 0;
  const params = secAggParams({ sites: input.siteCount, normBound: input.normBound, noiseStd });
  const weightDivisor = Math.max(1, Math.ceil(input.weightDivisor));
  await tx.insert(secaggRounds).values({ roundId: input.roundId, params, weightDivisor });
  return { roundId: input.roundId, params, weightDivisor };
}

/**
 * Closing a secure-aggregation round, inside the round's close transaction (round-close.ts). The
 * first close after the uploads fixes the unmasking request: survivors are the sites whose masked
 * update was accepted, dropped the sites that shared keys and uploaded nothing. The survivors then
 * answer with shares; once all have (or the unmasking wait is over) the hub
 * sums the masked uploads modulo 2^32, rebuilds each survivor's self-mask seed and each dropped
 * site's masking key from t shares, removes those masks and divides by the survivors' weight.
 */
export const UNMASK_WAIT_SECONDS = 20;

export type SecureOutcome =
  "waiting" | { failure: string } | { mean: NamedTensor[]; totalWeight: number; survivors: string[] };

const tooFew = (count: number, what: string, threshold: number, of: number) =>
  `secure aggregation needs ${threshold} of the ${of} sites to ${what}, and only ${count} did, so the sum cannot be unmasked and no version was written. Check that the sites' workers are running and can reach the hub, then train again (with more sites, more can drop out: up to a third).`;

export async function gatherSecureSum(
  tx: Tx,
  round: { id: string },
  input: { spec: readonly TensorSpec[]; exampleCounts: ReadonlyMap<string, number> },
): Promise<SecureOutcome> {
  const [secure] = await tx.select().from(secaggRounds).where(eq(secaggRounds.roundId, round.id)).for("update");
  if (!secure) throw new Error(`round ${round.id} has no secure-aggregation state`);
  const { params } = secure;
  // The masked updates (megabytes each) are read once, when the sum is formed, not on every pass that waits.
  const members = await tx
    .select({
      siteId: secaggSites.siteId,
      maskingKey: secaggSites.maskingKey,
      hasUploaded: sql<boolean>`${secaggSites.masked} IS NOT NULL`,
      unmask: secaggSites.unmask,
    })
    .from(secaggSites)
    .where(eq(secaggSites.roundId, round.id));
  const sharedKeys = secure.sharedKeys ?? [];
  if (!secure.survivors) {
    if (!secure.sharedKeys) return { failure: tooFew(0, "exchange keys", params.threshold, params.sites) };
    const survivors = members
      .filter((m) => m.hasUploaded && input.exampleCounts.has(m.siteId))
      .map((m) => m.siteId)
      .sort();
    if (survivors.length < params.threshold)
      return { failure: tooFew(survivors.length, "upload a masked update", params.threshold, sharedKeys.length) };
    const dropped = sharedKeys.filter((s) => !survivors.includes(s));
    await tx
      .update(secaggRounds)
      .set({ survivors, dropped, unmaskDeadlineAt: new Date(Date.now() + UNMASK_WAIT_SECONDS * 1000) })
      .where(eq(secaggRounds.roundId, round.id));
    // The survivors wait for this request (workers/training/secagg-session.ts): wake them.
    await notifySites(tx, survivors);
    return "waiting";
  }
  const { survivors, dropped } = { survivors: secure.survivors, dropped: secure.dropped ?? [] };
  const answers = members.filter((m) => m.unmask && survivors.includes(m.siteId)).map((m) => m.unmask!);
  // The unmasking wait runs from the request, whatever the round deadline: survivors always get it to answer.
  const isWaitOver = secure.unmaskDeadlineAt !== null && secure.unmaskDeadlineAt < new Date();
  if (answers.length < survivors.length && !isWaitOver) return "waiting";
  if (answers.length < params.threshold)
    return { failure: tooFew(answers.length, "answer the unmasking request", params.threshold, survivors.length) };

  const length = input.spec.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
  const sum = new Uint32Array(length);
  const into = new Int32Array(sum.buffer);
  const uploads = await tx
    .select({ masked: secaggSites.masked })
    .from(secaggSites)
    .where(and(eq(secaggSites.roundId, round.id), inArray(secaggSites.siteId, survivors)));
  for (const { masked } of uploads) {
    // A small bytea may sit unaligned in Node's buffer pool: copy it then.
    const bytes = masked!.byteOffset % 4 === 0 ? masked! : new Uint8Array(masked!);
    const words = new Int32Array(bytes.buffer, bytes.byteOffset, length);
    for (let i = 0; i < length; i++) into[i] = (into[i]! + words[i]!) | 0;
  }
  const decode = (shares: { of: string; x: number; y: string }[]) =>
    shares.map((s) => ({ ...s, y: new Uint8Array(Buffer.from(s.y, "base64")) }));
  removeMasks(sum, {
    roundId: round.id,
    survivors,
    dropped,
    answers: answers.map((a) => ({
      selfMaskShares: decode(a.selfMaskShares),
      maskingKeyShares: decode(a.maskingKeyShares),
    })),
    maskingKeys: new Map(members.map((m) => [m.siteId, new Uint8Array(m.maskingKey)])),
  });
  const totalWeight = survivors.reduce((w, s) => w + input.exampleCounts.get(s)! / secure.weightDivisor, 0);
  const mean = meanOfSecureSum(sum, { survivors: survivors.length, totalWeight, params, spec: input.spec });
  return { mean, totalWeight, survivors };
}
