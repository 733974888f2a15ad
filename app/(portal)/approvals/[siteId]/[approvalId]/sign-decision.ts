import { approvalStatementJson, type ApprovalAssertion, type ApprovalStatement } from "@/protocol/signed-approval";

/**
 * The browser's half of a signed approval: asks the approver's passkey (navigator.credentials.get,
 * user verification required) to sign the SHA-256 of the statement's canonical JSON, and returns the
 * assertion for the decide call. The private key never leaves the authenticator.
 */
const toBase64url = (bytes: ArrayBuffer) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");

const fromBase64url = (text: string) =>
  Uint8Array.from(
    atob(
      text
        .replace(/-/g, "+")
        .replace(/_/g, "/")
        .padEnd(Math.ceil(text.length / 4) * 4, "="),
    ),
    (c) => c.charCodeAt(0),
  );

export class SigningError extends Error {}

export async function signDecision(statement: ApprovalStatement, credentialIds: string[]): Promise<ApprovalAssertion> {
  if (!window.PublicKeyCredential || !navigator.credentials)
    throw new SigningError("This browser cannot use passkeys; use a current browser to sign your decision.");
  const challenge = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(approvalStatementJson(statement)));
  let credential: Credential | null;
  try {
    credential = await navigator.credentials.get({
      publicKey: {
        challenge,
        allowCredentials: credentialIds.map((id) => ({ type: "public-key", id: fromBase64url(id) })),
        userVerification: "required",
        timeout: 120_000,
      },
    });
  } catch {
    throw new SigningError("Your passkey did not sign (cancelled or timed out); nothing was recorded. Try again.");
  }
  if (!(credential instanceof PublicKeyCredential))
    throw new SigningError("Your passkey did not sign; nothing was recorded. Try again.");
  const response = credential.response as AuthenticatorAssertionResponse;
  return {
    credentialId: toBase64url(credential.rawId),
    authenticatorData: toBase64url(response.authenticatorData),
    clientDataJSON: toBase64url(response.clientDataJSON),
    signature: toBase64url(response.signature),
  };
}
