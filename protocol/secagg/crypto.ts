import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from "node:crypto";

/**
 * The primitives of secure aggregation: X25519 key agreement, HKDF-SHA-256 to derive pairwise
 * seeds and share-encryption keys bound to the round, AES-128-CTR as the pseudorandom generator
 * that expands a seed into a mask, and AES-256-GCM for the shares one site sends another through
 * the hub.
 */
const SPKI_X25519 = Buffer.from("302a300506032b656e032100", "hex");
const PKCS8_X25519 = Buffer.from("302e020100300506032b656e04220420", "hex");

export type KeyPair = { publicKey: Uint8Array; privateKey: Uint8Array };

export function generateKeyPair(): KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync("x25519");
  return {
    publicKey: new Uint8Array(publicKey.export({ format: "der", type: "spki" }).subarray(SPKI_X25519.length)),
    privateKey: new Uint8Array(privateKey.export({ format: "der", type: "pkcs8" }).subarray(PKCS8_X25519.length)),
  };
}

const publicKeyOf = (raw: Uint8Array): KeyObject => {
  if (raw.length !== 32) throw new RangeError("an X25519 public key is 32 bytes");
  return createPublicKey({ key: Buffer.concat([SPKI_X25519, raw]), format: "der", type: "spki" });
};
const privateKeyOf = (raw: Uint8Array): KeyObject => {
  if (raw.length !== 32) throw new RangeError("an X25519 private key is 32 bytes");
  return createPrivateKey({ key: Buffer.concat([PKCS8_X25519, raw]), format: "der", type: "pkcs8" });
};

/** A key of `length` bytes both parties derive from their X25519 agreement, bound to the round and its use. */
export function agreeKey(
  privateKey: Uint8Array,
  peerPublicKey: Uint8Array,
  context: string,
  length: number,
): Uint8Array {
  const shared = diffieHellman({ privateKey: privateKeyOf(privateKey), publicKey: publicKeyOf(peerPublicKey) });
  return new Uint8Array(hkdfSync("sha256", shared, Buffer.alloc(0), `flip-secagg|${context}`, length));
}

/** A fresh 32-byte seed from the CSPRNG. */
export const randomSeed = (): Uint8Array => new Uint8Array(randomBytes(32));

const CHUNK_WORDS = 1 << 16;
const ZEROS = new Uint8Array(CHUNK_WORDS * 4);

export type Mask = { seed: Uint8Array; sign: 1 | -1 };

/**
 * Adds (sign +1) or subtracts (−1) the masks the 32-byte seeds expand to (AES-128-CTR keystream:
 * key = seed[0..16), counter block = seed[16..32)) into `target`, modulo 2^32, in place. Chunk by
 * chunk, every mask in turn, so the chunk stays in cache; int32 adds wrap exactly as mod 2^32.
 */
export function applyMasks(target: Uint32Array, masks: readonly Mask[]): void {
  const ciphers = masks.map((m) => createCipheriv("aes-128-ctr", m.seed.subarray(0, 16), m.seed.subarray(16, 32)));
  const out = new Int32Array(target.buffer, target.byteOffset, target.length);
  for (let start = 0; start < out.length; start += CHUNK_WORDS) {
    const words = Math.min(CHUNK_WORDS, out.length - start);
    const end = start + words;
    masks.forEach((m, k) => {
      const block = ciphers[k]!.update(ZEROS.subarray(0, words * 4));
      const mask = new Int32Array(block.buffer, block.byteOffset, words);
      if (m.sign === 1) for (let i = start; i < end; i++) out[i] = (out[i]! + mask[i - start]!) | 0;
      else for (let i = start; i < end; i++) out[i] = (out[i]! - mask[i - start]!) | 0;
    });
  }
}

/** AES-256-GCM with a random nonce: nonce ‖ ciphertext ‖ tag. */
export function seal(key: Uint8Array, plaintext: Uint8Array, associated: string): Uint8Array {
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(Buffer.from(associated));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return new Uint8Array(Buffer.concat([nonce, body, cipher.getAuthTag()]));
}

export function open(key: Uint8Array, sealed: Uint8Array, associated: string): Uint8Array {
  const decipher = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, 12));
  decipher.setAAD(Buffer.from(associated));
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return new Uint8Array(Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]));
}
