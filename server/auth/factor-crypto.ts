import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto";
import { factorKey } from "@/server/lib/local-secrets";

const VERSION = "v1";

function subkey(purpose: string): Buffer {
  return Buffer.from(hkdfSync("sha256", factorKey(), Buffer.alloc(0), `flip ${purpose}`, 32));
}

/** AES-256-GCM with a fresh 12-byte nonce: `v1:<nonce|tag|ciphertext in base64>`. */
export function encryptFactorSecret(plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", subkey("totp secret"), iv);
  const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64")}`;
}

/** The secret `encryptFactorSecret` sealed; throws when it was sealed with another key or altered. */
export function decryptFactorSecret(sealed: string): string {
  const [version, payload = ""] = sealed.split(":");
  if (version !== VERSION) throw new Error(`Unknown factor secret format ${version}`);
  const raw = Buffer.from(payload, "base64");
  const decipher = createDecipheriv("aes-256-gcm", subkey("totp secret"), raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
}

/** A keyed hash (HMAC-SHA-256) of a recovery code: a copy of the table alone does not let anyone test guesses. */
export function hashRecoveryCode(code: string): string {
  return createHmac("sha256", subkey("recovery code")).update(normaliseRecoveryCode(code)).digest("hex");
}

/** Recovery codes are read aloud and typed: case, spaces and dashes do not matter. */
export function normaliseRecoveryCode(code: string): string {
  return code.replace(/[\s-]/g, "").toLowerCase();
}
