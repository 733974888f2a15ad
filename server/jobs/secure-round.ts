import { eq } from "drizzle-orm";
import type { Database, Tx } from "@/db/client";
import { secaggRounds, secaggSites } from "@/db/schema";
import { meanOfSecureSum } from "@/server/aggregation/secagg-aggregate";
import type { TensorSpec } from "@/server/aggregation/validate-update";
import { notifySites } from "@/server/tasks/tasks.service";
import { removeMasks } from "@/protocol/secagg/server";
import { getRoundExchange, isHolderAlive, requestPartial } from "./round-exchange";
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
 * first close after the uploads gathers the masked sum from the portal processes holding it and
 * fixes the unmasking request: survivors are the sites whose masked update is in that sum, dropped
 * the sites that shared keys and are not (they uploaded nothing, or their upload was lost). The survivors then
 * answer with shares; once all have (or the unmasking wait is over) the hub gathers the masked
 * sum again (the partials stay until the round closes), rebuilds each survivor's self-mask seed and each dropped
 * site's masking key from t shares, removes those masks and divides by the survivors' weight.
 */
export const UNMASK_WAIT_SECONDS = 20;

export type SecureOutcome =
  "waiting" | { failure: string } | { mean: NamedTensor[]; totalWeight: number; survivors: string[]; lost: string[] };

const tooFew = (count: number, what: string, threshold: number, of: number) =>
  `secure aggregation needs ${threshold} of the ${of} sites to ${what}, and only ${count} did, so the sum cannot be unmasked and no version was written. Check that the sites' workers are running and can reach the hub, then train again (with more sites, more can drop out: up to a third).`;

type Accepted = { siteId: string; holder: string | null };

/**
 * The sum modulo 2^32 of the round's masked uploads, from the portal processes that accepted them
 * (round-exchange.ts): this one's from memory, the others' as published partials, asking those
 * alive that have not published yet ("waiting"). Uploads held by a process that is gone are lost.
 */
async function gatherMaskedSum(
  db: Database,
  tx: Tx,
  round: { id: string; isPastDeadline: boolean },
  accepted: readonly Accepted[],
  length: number,
): Promise<{ sum: Uint32Array; contributors: string[]; lost: string[] } | "waiting"> {
  const exchange = getRoundExchange(db);
  const sum = new Uint32Array(length);
  const into = new Int32Array(sum.buffer);
  const add = (words: Int32Array) => {
    for (let i = 0; i < length; i++) into[i] = (into[i]! + words[i]!) | 0;
  };
  // The other processes' parts: this process's own is in its memory, not read back.
  const published = await exchange.othersPartials(tx, round.id);
  const contributors: string[] = [];
  const lost: string[] = [];
  let isWaiting = false;
  for (const holder of new Set(accepted.map((a) => a.holder ?? ""))) {
    const siteIds = accepted.filter((a) => (a.holder ?? "") === holder).map((a) => a.siteId);
    const partial = published.find((p) => p.holder === holder);
    const own = holder === exchange.holder ? await exchange.heldMasked(round.id, siteIds) : null;
    if (own) add(new Int32Array(own.buffer, own.byteOffset, length));
    else if (
      partial &&
      siteIds.every((s) => partial.contributors.includes(s)) &&
      partial.sums.byteLength === length * 4
    )
      // Read into a buffer of its own (binary-copy.ts), so aligned.
      add(new Int32Array(partial.sums.buffer, partial.sums.byteOffset, length));
    else if (holder && holder !== exchange.holder && !round.isPastDeadline && (await isHolderAlive(tx, holder))) {
      await requestPartial(tx, round.id, holder);
      isWaiting = true;
      continue;
    } else {
      lost.push(...siteIds);
      continue;
    }
    contributors.push(...siteIds);
  }
  // Waiting: this process's part goes with the request (on the same commit), so the holder asked
  // can close the round itself, as gatherRoundSum does for plain sums.
  if (isWaiting && accepted.some((a) => a.holder === exchange.holder)) await exchange.publish(tx, round.id);
  return isWaiting ? "waiting" : { sum, contributors: contributors.sort(), lost };
}

export async function gatherSecureSum(
  db: Database,
  tx: Tx,
  round: { id: string; isPastDeadline: boolean },
  input: { spec: readonly TensorSpec[]; accepted: readonly (Accepted & { exampleCount: number })[] },
): Promise<SecureOutcome> {
  const [secure] = await tx.select().from(secaggRounds).where(eq(secaggRounds.roundId, round.id)).for("update");
  if (!secure) throw new Error(`round ${round.id} has no secure-aggregation state`);
  const { params } = secure;
  const members = await tx.select().from(secaggSites).where(eq(secaggSites.roundId, round.id));
  const sharedKeys = secure.sharedKeys ?? [];
  const length = input.spec.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
  const gathered = await gatherMaskedSum(db, tx, round, input.accepted, length);
  if (gathered === "waiting") return "waiting";
  if (!secure.survivors) {
    if (!secure.sharedKeys) return { failure: tooFew(0, "exchange keys", params.threshold, params.sites) };
    // A site whose masked update went with a stopped portal process counts as dropped: its pairwise masks come off.
    const survivors = gathered.contributors;
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
  if (gathered.contributors.join() !== survivors.join())
    return {
      failure: `the masked updates of ${survivors.length - gathered.contributors.length} sites went with a portal process that stopped after unmasking began, so the sum cannot be unmasked and no version was written; train again.`,
    };

  const { sum } = gathered;
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
  const countOf = new Map(input.accepted.map((a) => [a.siteId, a.exampleCount]));
  const totalWeight = survivors.reduce((w, s) => w + countOf.get(s)! / secure.weightDivisor, 0);
  const mean = meanOfSecureSum(sum, { survivors: survivors.length, totalWeight, params, spec: input.spec });
  return {
    mean,
    totalWeight,
    survivors,
    lost: input.accepted.map((a) => a.siteId).filter((s) => !survivors.includes(s)),
  };
}
