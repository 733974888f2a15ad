/** Key fingerprints (SHA-256 of SPKI DER, hex) as people read, copy and paste them; browser-safe. */

/** A fingerprint as people compare it: groups of four hex digits. */
export function formatFingerprint(fingerprint: string): string {
  return (fingerprint.match(/.{1,4}/g) ?? []).join(" ");
}

/** A fingerprint as typed or pasted (spaces, colons, capitals) to its 64 hex digits, or null when it is not one. */
export function normaliseFingerprint(text: string): string | null {
  const hex = text.replace(/[\s:]/g, "").toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : null;
}
