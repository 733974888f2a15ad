import { Secret, TOTP } from "otpauth";

/** RFC 6238 as authenticator apps implement it: SHA-1, 6 digits, 30-second steps. */
const PERIOD_SECONDS = 30;
const ISSUER = "FLIP Portal";

function totpOf(secret: string, label = "FLIP Portal") {
  return new TOTP({
    issuer: ISSUER,
    label,
    algorithm: "SHA1",
    digits: 6,
    period: PERIOD_SECONDS,
    secret: Secret.fromBase32(secret),
  });
}

/** A new 160-bit shared secret in base32, as apps take it. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The otpauth:// URI a QR code carries. */
export function totpUri(secret: string, accountName: string): string {
  return totpOf(secret, accountName).toString();
}

/**
 * The 30-second step `code` belongs to, when it is the code of the step before, at, or after `now`
 * (clocks drift); null when it is not. The caller refuses a step it has accepted before.
 */
export function matchTotpStep(secret: string, code: string, now = Date.now()): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = totpOf(secret).validate({ token: code, timestamp: now, window: 1 });
  return delta === null ? null : Math.floor(now / 1000 / PERIOD_SECONDS) + delta;
}

/** The code an authenticator app shows at `timestamp`. @internal for tests and the demo's e2e support. */
export function totpCodeAt(secret: string, timestamp = Date.now()): string {
  return totpOf(secret).generate({ timestamp });
}
