import { agreeKey, applyMasks, generateKeyPair, open, randomSeed, seal, type KeyPair, type Mask } from "./crypto";
import {
  pairContext,
  SecAggError,
  type Advertisement,
  type NamedShare,
  type SealedShares,
  type UnmaskRequest,
  type UnmaskResponse,
} from "./messages";
import type { SecAggParams } from "./quantise";
import { splitSecret } from "./shamir";

/**
 * A site's side of one secure-aggregation round. Its state (two key pairs, the self-mask seed and
 * the shares it holds for others) lives only in the worker's memory for the round. The one rule that
 * keeps a site's update hidden even from a hub that lies about who dropped: for any site the client
 * reveals a share of its self-mask seed or of its masking key, never both, and only once.
 */
export function createSecAggClient(input: { siteId: string; roundId: string; params: SecAggParams }) {
  const { siteId, roundId, params } = input;
  const encryption: KeyPair = generateKeyPair();
  const masking: KeyPair = generateKeyPair();
  const selfSeed = randomSeed();
  let roster: Advertisement[] = [];
  const held = new Map<string, { x: number; selfMask: Uint8Array; maskingKey: Uint8Array }>();
  let hasMasked = false;
  let hasAnswered = false;
  const peer = (id: string) => {
    const found = roster.find((a) => a.siteId === id);
    if (!found) throw new SecAggError(`site ${id} is not in this round's roster`);
    return found;
  };

  return {
    advertise(): Advertisement {
      return { siteId, encryptionKey: encryption.publicKey, maskingKey: masking.publicKey };
    },

    /** Shares of the self-mask seed and the masking private key, one sealed box per other site in the roster. */
    shareKeys(advertised: readonly Advertisement[]): SealedShares[] {
      roster = [...advertised].sort((a, b) => (a.siteId < b.siteId ? -1 : 1));
      if (roster.length < params.threshold)
        throw new SecAggError(`only ${roster.length} sites advertised keys; this round needs ${params.threshold}`);
      if (new Set(roster.map((a) => a.siteId)).size !== roster.length) throw new SecAggError("a site advertised twice");
      if (!roster.some((a) => a.siteId === siteId)) throw new SecAggError("this site is missing from the roster");
      const selfShares = splitSecret(selfSeed, roster.length, params.threshold);
      const keyShares = splitSecret(masking.privateKey, roster.length, params.threshold);
      return roster.flatMap((other, k) => {
        const box = { x: k + 1, selfMask: selfShares[k]!.y, maskingKey: keyShares[k]!.y };
        if (other.siteId === siteId) {
          held.set(siteId, box);
          return [];
        }
        const key = agreeKey(
          encryption.privateKey,
          other.encryptionKey,
          pairContext(roundId, "shares", siteId, other.siteId),
          32,
        );
        const plaintext = new Uint8Array(4 + 66 + 66);
        new DataView(plaintext.buffer).setUint32(0, box.x);
        plaintext.set(box.selfMask, 4);
        plaintext.set(box.maskingKey, 70);
        return [
          { from: siteId, to: other.siteId, sealed: seal(key, plaintext, `${roundId}|${siteId}|${other.siteId}`) },
        ];
      });
    },

    /** Opens the shares other sites sealed for this one; a box that does not open is refused. */
    receiveShares(messages: readonly SealedShares[]): void {
      for (const m of messages) {
        if (m.to !== siteId) throw new SecAggError(`a share for ${m.to} was routed to ${siteId}`);
        const key = agreeKey(
          encryption.privateKey,
          peer(m.from).encryptionKey,
          pairContext(roundId, "shares", siteId, m.from),
          32,
        );
        let plaintext: Uint8Array;
        try {
          plaintext = open(key, m.sealed, `${roundId}|${m.from}|${siteId}`);
        } catch {
          throw new SecAggError(`the shares from ${m.from} do not open: altered or not meant for this site`);
        }
        held.set(m.from, {
          x: new DataView(plaintext.buffer, plaintext.byteOffset).getUint32(0),
          selfMask: plaintext.slice(4, 70),
          maskingKey: plaintext.slice(70, 136),
        });
      }
    },

    /**
     * The masked upload: the encoded update plus the self mask plus, for every other site that shared
     * keys (`sharedKeys`, from the hub), a pairwise mask added when this site sorts first, subtracted
     * otherwise, so the pairwise masks cancel in the sum.
     */
    maskInput(encoded: Uint32Array, sharedKeys: readonly string[]): Uint32Array {
      if (hasMasked) throw new SecAggError("this site already uploaded its masked update for the round");
      if (sharedKeys.length < params.threshold)
        throw new SecAggError(`only ${sharedKeys.length} sites shared keys; this round needs ${params.threshold}`);
      hasMasked = true;
      const masked = Uint32Array.from(encoded);
      const masks: Mask[] = [{ seed: selfSeed, sign: 1 }];
      for (const other of sharedKeys) {
        if (other === siteId) continue;
        const seed = agreeKey(
          masking.privateKey,
          peer(other).maskingKey,
          pairContext(roundId, "mask", siteId, other),
          32,
        );
        masks.push({ seed, sign: siteId < other ? 1 : -1 });
      }
      applyMasks(masked, masks);
      return masked;
    },

    /** Shares for unmasking, after checking the request cannot make this site reveal both secrets of any site. */
    unmask(request: UnmaskRequest): UnmaskResponse {
      if (hasAnswered) throw new SecAggError("this site already answered the unmasking request");
      const survivors = new Set(request.survivors);
      if (request.dropped.some((d) => survivors.has(d)))
        throw new SecAggError("the hub named a site as both uploaded and dropped; refusing to unmask");
      if (survivors.size < params.threshold)
        throw new SecAggError(`only ${survivors.size} sites uploaded; this round needs ${params.threshold}`);
      if (!survivors.has(siteId)) throw new SecAggError("this site uploaded but is not named as a survivor");
      hasAnswered = true;
      const share = (of: string, pick: "selfMask" | "maskingKey"): NamedShare => {
        const box = held.get(of);
        if (!box) throw new SecAggError(`this site holds no share of ${of}`);
        return { of, x: box.x, y: box[pick] };
      };
      return {
        from: siteId,
        selfMaskShares: request.survivors.map((s) => share(s, "selfMask")),
        maskingKeyShares: request.dropped.map((d) => share(d, "maskingKey")),
      };
    },
  };
}
export type SecAggClient = ReturnType<typeof createSecAggClient>;
