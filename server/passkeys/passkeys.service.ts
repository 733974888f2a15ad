import { and, asc, eq } from "drizzle-orm";
import {
  generateRegistrationOptions,
  verifyRegistrationResponse,
  type AuthenticatorTransport,
  type RegistrationResponseJSON,
} from "@simplewebauthn/server";
import type { Database } from "@/db/client";
import { authFactors } from "@/db/schema";
import { recordAudit } from "@/server/audit/audit.service";
import type { Viewer } from "@/server/auth/permissions";
import { recordFactorVerified } from "@/server/auth/sessions";
import { AppError, isUniqueViolation } from "@/server/errors";
import { coseToKeyObject } from "@/protocol/webauthn/cose";
import { formatFingerprint } from "@/protocol/webauthn/fingerprint";
import { fingerprintOf } from "@/protocol/webauthn/public-key";
import { challengeOf, refusalOf, userHandleOf } from "./assertions";
import { CHALLENGE_TTL_MS, consumeChallenge, issueChallenge } from "./challenges";
import type { TRegisterPasskeyInput, TRenamePasskeyInput } from "./passkeys.schema";
import { relyingParty } from "./relying-party";

/** ES256 (every platform authenticator), EdDSA, RS256 (Windows Hello). */
const ALGORITHMS = [-7, -8, -257];
const NO_SUCH_PASSKEY = "There is no such passkey on your account. Reload the page to see your passkeys.";

const ownPasskey = (userId: string, passkeyId?: string) =>
  and(
    eq(authFactors.userId, userId),
    eq(authFactors.kind, "passkey"),
    passkeyId ? eq(authFactors.id, passkeyId) : undefined,
  );

/** SHA-256 of the passkey's SPKI DER, as the account page and the approvers' signing keys show it. */
function fingerprintOfPasskey(coseKey: Uint8Array): string {
  return formatFingerprint(fingerprintOf(coseToKeyObject(coseKey)));
}

/** The account page's list: each passkey with the fingerprint a person compares, no key material. */
export async function listOwnPasskeys(db: Database, viewer: Viewer) {
  const rows = await db
    .select({
      id: authFactors.id,
      label: authFactors.label,
      createdAt: authFactors.createdAt,
      lastUsedAt: authFactors.lastUsedAt,
      publicKey: authFactors.publicKey,
    })
    .from(authFactors)
    .where(ownPasskey(viewer.id))
    .orderBy(asc(authFactors.createdAt), asc(authFactors.id));
  return rows.map(({ publicKey, ...row }) => ({ ...row, fingerprint: fingerprintOfPasskey(publicKey!) }));
}

/** Options for the browser to create a discoverable, user-verified passkey for the viewer. */
export async function passkeyRegistrationOptions(db: Database, viewer: Viewer) {
  const existing = await db
    .select({ credentialId: authFactors.credentialId, transports: authFactors.transports })
    .from(authFactors)
    .where(ownPasskey(viewer.id));
  const rp = relyingParty();
  const challenge = await issueChallenge(db, {
    purpose: "passkey_register",
    userId: viewer.id,
    sessionId: viewer.session?.id,
  });
  return generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: viewer.email,
    userDisplayName: viewer.name,
    userID: userHandleOf(viewer.id),
    challenge: new Uint8Array(Buffer.from(challenge, "base64url")),
    timeout: CHALLENGE_TTL_MS,
    attestationType: "none",
    excludeCredentials: existing.map((e) => ({
      id: e.credentialId!,
      transports: (e.transports ?? []) as AuthenticatorTransport[],
    })),
    authenticatorSelection: { residentKey: "required", userVerification: "required" },
    supportedAlgorithmIDs: ALGORITHMS,
  });
}

/** Checks the browser's new passkey against the challenge this session was given, and stores it. */
export async function registerPasskey(db: Database, viewer: Viewer, input: TRegisterPasskeyInput) {
  const challenge = challengeOf(input.response);
  await consumeChallenge(db, {
    purpose: "passkey_register",
    challenge,
    userId: viewer.id,
    sessionId: viewer.session?.id,
  });
  const rp = relyingParty();
  let verification;
  try {
    verification = await verifyRegistrationResponse({
      response: { ...input.response, clientExtensionResults: {} } as RegistrationResponseJSON,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: true,
      supportedAlgorithmIDs: ALGORITHMS,
    });
  } catch (error) {
    throw refusalOf(error);
  }
  if (!verification.verified) throw refusalOf(null);
  const { credential } = verification.registrationInfo;
  const fingerprint = fingerprintOfPasskey(credential.publicKey);
  try {
    return await db.transaction(async (tx) => {
      const [row] = await tx
        .insert(authFactors)
        .values({
          userId: viewer.id,
          kind: "passkey",
          label: input.label,
          confirmedAt: new Date(),
          credentialId: credential.id,
          publicKey: Buffer.from(credential.publicKey),
          signCount: credential.counter,
          transports: credential.transports ?? input.response.response.transports ?? [],
        })
        .returning({ id: authFactors.id, label: authFactors.label });
      // The person just unlocked the new passkey (user verification), as a first authenticator-app code
      // proves a new app: this session has proved a second factor.
      if (viewer.session) await recordFactorVerified(tx, viewer.session.id);
      await recordAudit(tx, {
        actor: viewer,
        action: "passkey.added",
        subject: `user:${viewer.email}`,
        details: { label: input.label, fingerprint },
      });
      return { ...row!, fingerprint };
    });
  } catch (error) {
    if (isUniqueViolation(error, "auth_factors_credential_key"))
      throw new AppError("CONFLICT", "This passkey is already registered. Each passkey can be added once.");
    throw error;
  }
}

export async function renamePasskey(db: Database, viewer: Viewer, { passkeyId, label }: TRenamePasskeyInput) {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(authFactors)
      .set({ label })
      .where(ownPasskey(viewer.id, passkeyId))
      .returning({ id: authFactors.id, label: authFactors.label });
    if (!row) throw new AppError("NOT_FOUND", NO_SUCH_PASSKEY);
    await recordAudit(tx, {
      actor: viewer,
      action: "passkey.renamed",
      subject: `user:${viewer.email}`,
      details: { label },
    });
    return row;
  });
}
