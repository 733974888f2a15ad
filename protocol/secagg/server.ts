import { agreeKey, applyMasks, type Mask } from "./crypto";
import {
  pairContext,
  SecAggError,
  type Advertisement,
  type SealedShares,
  type UnmaskRequest,
  type UnmaskResponse,
} from "./messages";
import type { SecAggParams } from "./quantise";
import { combineShares } from "./shamir";

/**
 * The hub's side of one secure-aggregation round: relays keys and sealed shares, folds each masked
 * upload into one running sum modulo 2^32 as it arrives (O(model) memory; no upload is kept), and
 * at the end removes the survivors' self masks and the dropped sites' pairwise masks from shares
 * the survivors send. What it holds is public keys, boxes it cannot open, the masked sum, and at the
 * end seeds that only ever open the sum.
 */
export function createSecAggServer(input: { roundId: string; params: SecAggParams; length: number }) {
  const { roundId, params, length } = input;
  const advertised = new Map<string, Advertisement>();
  const mailboxes = new Map<string, SealedShares[]>();
  const sharedKeys = new Set<string>();
  const uploaded = new Set<string>();
  const sum = new Uint32Array(length);
  let request: UnmaskRequest | null = null;
  const responses = new Map<string, UnmaskResponse>();

  const need = (count: number, what: string) => {
    if (count < params.threshold)
      throw new SecAggError(
        `only ${count} sites ${what}; secure aggregation needs ${params.threshold} of ${params.sites} (more than ${params.sites - params.threshold} dropped out), so the round cannot be unmasked`,
      );
  };

  return {
    advertise(ad: Advertisement): void {
      if (advertised.has(ad.siteId)) throw new SecAggError(`site ${ad.siteId} already advertised keys`);
      advertised.set(ad.siteId, ad);
    },

    roster(): Advertisement[] {
      need(advertised.size, "advertised keys");
      return [...advertised.values()];
    },

    relayShares(from: string, boxes: readonly SealedShares[]): void {
      if (!advertised.has(from)) throw new SecAggError(`site ${from} did not advertise keys`);
      for (const box of boxes) {
        if (box.from !== from || !advertised.has(box.to)) throw new SecAggError("a share box is misaddressed");
        mailboxes.set(box.to, [...(mailboxes.get(box.to) ?? []), box]);
      }
      sharedKeys.add(from);
    },

    /** Boxes for `to` from sites that shared keys. */
    sharesFor(to: string): SealedShares[] {
      return (mailboxes.get(to) ?? []).filter((b) => sharedKeys.has(b.from));
    },

    /** Who shared keys: every site masks against exactly these. */
    sharedKeys(): string[] {
      need(sharedKeys.size, "shared keys");
      return [...sharedKeys].sort();
    },

    addMaskedInput(from: string, masked: Uint32Array): void {
      if (!sharedKeys.has(from)) throw new SecAggError(`site ${from} did not share keys this round`);
      if (uploaded.has(from)) throw new SecAggError(`site ${from} already uploaded`);
      if (request) throw new SecAggError("unmasking has begun; the upload is too late");
      if (masked.length !== length) throw new SecAggError(`a masked update has ${masked.length} values, not ${length}`);
      const into = new Int32Array(sum.buffer);
      const from_ = new Int32Array(masked.buffer, masked.byteOffset, masked.length);
      for (let i = 0; i < length; i++) into[i] = (into[i]! + from_[i]!) | 0;
      uploaded.add(from);
    },

    unmaskRequest(): UnmaskRequest {
      need(uploaded.size, "uploaded masked updates");
      request ??= {
        survivors: [...uploaded].sort(),
        dropped: [...sharedKeys].filter((s) => !uploaded.has(s)).sort(),
      };
      return request;
    },

    addUnmaskResponse(response: UnmaskResponse): void {
      if (!request || !request.survivors.includes(response.from))
        throw new SecAggError(`site ${response.from} was not asked to unmask`);
      responses.set(response.from, response);
    },

    /** The exact sum of the survivors' encodings, and who they are. */
    finish(): { sum: Uint32Array; survivors: string[] } {
      if (!request) throw new SecAggError("unmasking was never requested");
      need(responses.size, "answered the unmasking request");
      const maskingKeys = new Map([...advertised].map(([id, ad]) => [id, ad.maskingKey]));
      removeMasks(sum, { roundId, ...request, answers: [...responses.values()], maskingKeys });
      return { sum, survivors: request.survivors };
    },
  };
}

/**
 * Turns the masked sum into the exact sum of the survivors' encodings, in place: rebuilds each
 * survivor's self-mask seed and each dropped site's masking key from the survivors' shares (t
 * needed), and subtracts the self masks and the pairwise masks the survivors added against the
 * dropped sites. `maskingKeys` are the sites' advertised masking public keys.
 */
export function removeMasks(
  sum: Uint32Array,
  input: UnmaskRequest & {
    roundId: string;
    answers: readonly Omit<UnmaskResponse, "from">[];
    maskingKeys: ReadonlyMap<string, Uint8Array>;
  },
): void {
  const secretOf = (of: string, pick: "selfMaskShares" | "maskingKeyShares") =>
    combineShares(input.answers.flatMap((a) => a[pick].filter((s) => s.of === of)));
  const masks: Mask[] = input.survivors.map((survivor) => ({ seed: secretOf(survivor, "selfMaskShares"), sign: -1 }));
  for (const dropped of input.dropped) {
    const maskingKey = secretOf(dropped, "maskingKeyShares");
    for (const survivor of input.survivors) {
      const peerKey = input.maskingKeys.get(survivor);
      if (!peerKey) throw new SecAggError(`site ${survivor} advertised no masking key`);
      // The survivor added the pair's mask when it sorts first, subtracted it otherwise: undo that.
      masks.push({
        seed: agreeKey(maskingKey, peerKey, pairContext(input.roundId, "mask", dropped, survivor), 32),
        sign: survivor < dropped ? -1 : 1,
      });
    }
  }
  applyMasks(sum, masks);
}
