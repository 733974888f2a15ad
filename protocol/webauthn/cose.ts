import { createPublicKey, type KeyObject } from "node:crypto";

/**
 * COSE public keys (RFC 9052/9053, as WebAuthn's attestedCredentialData carries them) to node
 * KeyObjects, with the small part of CBOR (RFC 8949) they use: maps, integers, byte and text strings.
 */
type Cbor = number | Uint8Array | string | Cbor[] | Map<Cbor, Cbor>;

export class CoseKeyError extends Error {}

function decodeItem(bytes: Uint8Array, at: number, depth: number): { value: Cbor; next: number } {
  if (depth > 8) throw new CoseKeyError("the COSE key nests too deeply");
  if (at >= bytes.length) throw new CoseKeyError("the COSE key ends early");
  const head = bytes[at]!;
  const major = head >> 5;
  const info = head & 0x1f;
  let length: number;
  let next = at + 1;
  if (info < 24) length = info;
  else if (info <= 27) {
    const size = 1 << (info - 24);
    if (next + size > bytes.length) throw new CoseKeyError("the COSE key ends early");
    length = 0;
    for (let i = 0; i < size; i++) length = length * 256 + bytes[next + i]!;
    if (!Number.isSafeInteger(length)) throw new CoseKeyError("the COSE key holds a number too large");
    next += size;
  } else throw new CoseKeyError("the COSE key uses CBOR this reader does not accept (indefinite lengths)");
  switch (major) {
    case 0:
      return { value: length, next };
    case 1:
      return { value: -1 - length, next };
    case 2:
    case 3: {
      if (next + length > bytes.length) throw new CoseKeyError("the COSE key ends early");
      const slice = bytes.subarray(next, next + length);
      return { value: major === 2 ? slice : new TextDecoder().decode(slice), next: next + length };
    }
    case 4: {
      const items: Cbor[] = [];
      for (let i = 0; i < length; i++) {
        const item = decodeItem(bytes, next, depth + 1);
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    case 5: {
      const map = new Map<Cbor, Cbor>();
      for (let i = 0; i < length; i++) {
        const key = decodeItem(bytes, next, depth + 1);
        const value = decodeItem(bytes, key.next, depth + 1);
        map.set(key.value, value.value);
        next = value.next;
      }
      return { value: map, next };
    }
    default:
      throw new CoseKeyError("the COSE key holds a CBOR type this reader does not accept");
  }
}

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");

function bytesAt(map: Map<Cbor, Cbor>, label: number, what: string): Uint8Array {
  const value = map.get(label);
  if (!(value instanceof Uint8Array)) throw new CoseKeyError(`the COSE key has no ${what}`);
  return value;
}

/** A COSE_Key's public key: EC2 on P-256 (ES256), OKP Ed25519 (EdDSA) or RSA (RS256). */
export function coseToKeyObject(bytes: Uint8Array): KeyObject {
  const { value, next } = decodeItem(bytes, 0, 0);
  if (!(value instanceof Map)) throw new CoseKeyError("a COSE key is a CBOR map");
  if (next !== bytes.length) throw new CoseKeyError("the COSE key has bytes after its map");
  const kty = value.get(1);
  if (kty === 2) {
    if (value.get(-1) !== 1) throw new CoseKeyError("only P-256 EC keys (COSE crv 1) are accepted");
    const x = bytesAt(value, -2, "x coordinate");
    const y = bytesAt(value, -3, "y coordinate");
    return createPublicKey({ key: { kty: "EC", crv: "P-256", x: b64url(x), y: b64url(y) }, format: "jwk" });
  }
  if (kty === 1) {
    if (value.get(-1) !== 6) throw new CoseKeyError("only Ed25519 OKP keys (COSE crv 6) are accepted");
    return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: b64url(bytesAt(value, -2, "x")) }, format: "jwk" });
  }
  if (kty === 3) {
    const n = bytesAt(value, -1, "modulus");
    const e = bytesAt(value, -2, "exponent");
    return createPublicKey({ key: { kty: "RSA", n: b64url(n), e: b64url(e) }, format: "jwk" });
  }
  throw new CoseKeyError("the COSE key type is not EC2, OKP or RSA");
}
