import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { combineShares, splitSecret } from "./shamir";

describe("Shamir secret sharing over GF(2^521 − 1)", () => {
  it("recovers the secret from any t of n shares, leading zero bytes included", () => {
    const secret = new Uint8Array([0, 0, ...randomBytes(30)]);
    const shares = splitSecret(secret, 6, 4);
    for (const pick of [
      [0, 1, 2, 3],
      [2, 3, 4, 5],
      [0, 2, 4, 5],
      [0, 1, 2, 3, 4, 5],
    ])
      expect(combineShares(pick.map((k) => shares[k]!))).toEqual(secret);
  });

  it("t − 1 shares do not give the secret", () => {
    const secret = new Uint8Array(randomBytes(32));
    const shares = splitSecret(secret, 5, 3);
    let recovered: Uint8Array | null = null;
    try {
      recovered = combineShares(shares.slice(0, 2));
    } catch {
      recovered = null;
    }
    expect(recovered).not.toEqual(secret);
  });

  it("gives fresh shares each time and refuses bad parameters", () => {
    const secret = new Uint8Array(randomBytes(32));
    expect(splitSecret(secret, 3, 2)[0]!.y).not.toEqual(splitSecret(secret, 3, 2)[0]!.y);
    expect(() => splitSecret(secret, 3, 4)).toThrow(/threshold must be a whole number from 2 to 3/);
    expect(() => splitSecret(new Uint8Array(65), 3, 2)).toThrow(/at most 64 bytes/);
    const shares = splitSecret(secret, 3, 2);
    expect(() => combineShares([shares[0]!, shares[0]!])).toThrow(/distinct parties/);
  });
});
