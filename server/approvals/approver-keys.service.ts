import { and, asc, eq } from "drizzle-orm";
import type { Database, DbOrTx } from "@/db/client";
import { approverKeys } from "@/db/schema";
import { recordAudit } from "@/server/audit/audit.service";
import type { UserActor } from "@/server/auth/actor";
import { AppError, isUniqueViolation } from "@/server/errors";
import { formatFingerprint, parsePublicKey, PublicKeyError } from "@/protocol/webauthn/public-key";

/**
 * Approvers' passkey public keys at the hub: looked up by credential id to check a signed decision,
 * and shown to the approver with the fingerprint their Trust's IT copies into the site policy.
 */

/**
 * Records a passkey an approver registered (the browser's registration ceremony calls this with
 * the credential's id and COSE public key).
 * @internal until the passkey registration page calls it
 */
export async function addApproverKey(
  db: Database,
  actor: UserActor,
  input: { credentialId: string; publicKey: string; label: string },
) {
  let parsed;
  try {
    parsed = parsePublicKey(input.publicKey);
  } catch (error) {
    const reason = error instanceof PublicKeyError ? error.message : "it does not decode";
    throw AppError.field("BAD_REQUEST", "publicKey", `This passkey's public key cannot be used: ${reason}`);
  }
  try {
    return await db.transaction(async (tx) => {
      const [key] = await tx
        .insert(approverKeys)
        .values({
          userId: actor.id,
          credentialId: input.credentialId,
          publicKey: input.publicKey,
          fingerprint: parsed.fingerprint,
          algorithm: parsed.algorithm,
          label: input.label,
        })
        .returning();
      await recordAudit(tx, {
        actor,
        action: "approver_key.added",
        subject: `user:${actor.id}`,
        details: { fingerprint: parsed.fingerprint, algorithm: parsed.algorithm, label: input.label },
      });
      return key!;
    });
  } catch (error) {
    if (isUniqueViolation(error, "approver_keys_credential_id_unique"))
      throw AppError.field("CONFLICT", "credentialId", "This passkey is already registered. Nothing was changed.");
    throw error;
  }
}

/** The viewer's passkeys as Trust IT enrols them: the public key (SPKI, base64) and its fingerprint in groups of four. */
export async function listMyApproverKeys(db: Database, actor: UserActor) {
  const rows = await db
    .select()
    .from(approverKeys)
    .where(eq(approverKeys.userId, actor.id))
    .orderBy(asc(approverKeys.createdAt));
  return rows.map((row) => ({
    id: row.id,
    label: row.label,
    algorithm: row.algorithm,
    createdAt: row.createdAt,
    credentialId: row.credentialId,
    publicKey: parsePublicKey(row.publicKey).key.export({ type: "spki", format: "der" }).toString("base64"),
    fingerprint: formatFingerprint(row.fingerprint),
  }));
}

/** The approver's key with this credential id, or undefined: a key is only ever its owner's. */
export async function findApproverKey(db: DbOrTx, { userId, credentialId }: { userId: string; credentialId: string }) {
  const [row] = await db
    .select()
    .from(approverKeys)
    .where(and(eq(approverKeys.userId, userId), eq(approverKeys.credentialId, credentialId)));
  return row;
}
