/**
 * What travels in a secure-aggregation round (Bonawitz et al., CCS 2017, semi-honest version with
 * double masking), site → hub → sites. The hub relays and sums; it never holds a key that opens a
 * share, and it learns a site's self-mask seed or its masking key (never both) only from t shares.
 */

/** Round 0: a site's two X25519 public keys: one to agree share-encryption keys, one to agree pairwise masks. */
export type Advertisement = { siteId: string; encryptionKey: Uint8Array; maskingKey: Uint8Array };

/** Round 1: a site's Shamir shares of its self-mask seed and masking private key, one sealed box per other site. */
export type SealedShares = { from: string; to: string; sealed: Uint8Array };

/** Round 3: the hub names who uploaded (their self-masks come off) and who dropped after sharing (their pairwise masks come off). */
export type UnmaskRequest = { survivors: string[]; dropped: string[] };

/** A share as sent in an unmask response: whose secret it is a share of, and the share. */
export type NamedShare = { of: string; x: number; y: Uint8Array };

/** Round 3 answer: shares of each survivor's self-mask seed and of each dropped site's masking key. */
export type UnmaskResponse = { from: string; selfMaskShares: NamedShare[]; maskingKeyShares: NamedShare[] };

export class SecAggError extends Error {}

/** Seeds and share keys are bound to the round and to the (ordered) pair, so nothing carries over between rounds. */
export const pairContext = (roundId: string, use: "mask" | "shares", a: string, b: string) =>
  `${roundId}|${use}|${a < b ? a : b}|${a < b ? b : a}`;
