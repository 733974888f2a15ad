import { randomBytes } from "node:crypto";

/**
 * Shamir secret sharing (t of n) over the prime field GF(2^521 − 1), for the seeds and keys of
 * secure aggregation (at most 64 bytes). Any t shares give the secret by Lagrange interpolation at
 * 0; fewer reveal nothing about it (every secret is equally likely given t − 1 points of a random
 * degree t − 1 polynomial). Coefficients come from the CSPRNG by rejection sampling, so they are
 * uniform in the field.
 */
const P = (1n << 521n) - 1n;
const FIELD_BYTES = 66;
export const MAX_SECRET_BYTES = 64;

export type Share = { x: number; y: Uint8Array };

const toBig = (bytes: Uint8Array) => bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);

function toBytes(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let v = value;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  if (v !== 0n) throw new RangeError("value does not fit");
  return out;
}

function randomFieldElement(): bigint {
  for (;;) {
    const bytes = randomBytes(FIELD_BYTES);
    bytes[0]! &= 0x01; // 521 bits
    const value = toBig(bytes);
    if (value < P) return value;
  }
}

const mod = (a: bigint) => ((a % P) + P) % P;

/** The inverse modulo P by the extended Euclidean algorithm (a few times faster than Fermat's a^(P−2) on BigInt). */
function inverse(a: bigint): bigint {
  let [r0, r1] = [P, mod(a)];
  let [t0, t1] = [0n, 1n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [t0, t1] = [t1, t0 - q * t1];
  }
  return mod(t0);
}

// Every secret of a round is recovered from the same parties' shares: their Lagrange weights at 0 are computed once.
const lagrangeCache = new Map<string, Map<number, bigint>>();

function lagrangeAtZero(xs: readonly number[]): Map<number, bigint> {
  const key = [...xs].sort((a, b) => a - b).join(",");
  const known = lagrangeCache.get(key);
  if (known) return known;
  const weights = new Map<number, bigint>();
  for (const xi of xs) {
    let numerator = 1n;
    let denominator = 1n;
    for (const xj of xs) {
      if (xj === xi) continue;
      numerator = (numerator * BigInt(-xj)) % P;
      denominator = (denominator * BigInt(xi - xj)) % P;
    }
    weights.set(xi, (mod(numerator) * inverse(denominator)) % P);
  }
  if (lagrangeCache.size > 64) lagrangeCache.clear();
  lagrangeCache.set(key, weights);
  return weights;
}

/** n shares of `secret`, any `threshold` of which recover it. x runs 1..n. */
export function splitSecret(secret: Uint8Array, shares: number, threshold: number): Share[] {
  if (secret.length > MAX_SECRET_BYTES) throw new RangeError(`a secret is at most ${MAX_SECRET_BYTES} bytes`);
  if (!Number.isInteger(threshold) || threshold < 2 || threshold > shares)
    throw new RangeError(`the threshold must be a whole number from 2 to ${shares}, not ${threshold}`);
  // The length travels in the top bits, so leading zero bytes survive the round trip.
  const coefficients = [toBig(secret) + (BigInt(secret.length) << 512n)];
  for (let k = 1; k < threshold; k++) coefficients.push(randomFieldElement());
  return Array.from({ length: shares }, (_, i) => {
    const x = BigInt(i + 1);
    let y = 0n;
    for (let k = coefficients.length - 1; k >= 0; k--) y = (y * x + coefficients[k]!) % P;
    return { x: i + 1, y: toBytes(y, FIELD_BYTES) };
  });
}

/** The secret from at least `threshold` distinct shares (more are fine; fewer give a wrong value, not an error). */
export function combineShares(shares: readonly Share[]): Uint8Array {
  const xs = new Set(shares.map((s) => s.x));
  if (xs.size !== shares.length) throw new RangeError("shares must come from distinct parties");
  const weights = lagrangeAtZero(shares.map((s) => s.x));
  let secret = 0n;
  for (const si of shares) secret = (secret + toBig(si.y) * weights.get(si.x)!) % P;
  secret = mod(secret);
  const length = Number(secret >> 512n);
  if (length > MAX_SECRET_BYTES) throw new RangeError("the shares do not combine to a secret (too few, or altered)");
  return toBytes(secret & ((1n << 512n) - 1n), 64).slice(64 - length);
}
