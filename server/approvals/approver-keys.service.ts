import { and, asc, eq } from "drizzle-orm";
import type { Database, DbOrTx } from "@/db/client";
import { authFactors } from "@/db/schema";
import type { UserActor } from "@/server/auth/actor";
import { parsePublicKey, type ApproverPublicKey } from "@/protocol/webauthn/public-key";
import { formatFingerprint } from "@/protocol/webauthn/fingerprint";

/**
 * Approvers' passkeys as signing keys: the person's registered passkeys (auth_factors, kind
 * passkey, COSE public keys) looked up by credential id to check a signed decision, and shown to
 * the approver with the fingerprint their Trust's IT copies into the site policy.
 */
const cose = (publicKey: Buffer) => Buffer.from(publicKey).toString("base64url");

/** The viewer's passkeys as Trust IT enrols them: the public key (SPKI, base64) and its fingerprint in groups of four. */
export async function listMyApproverKeys(db: Database, actor: UserActor) {
  const rows = await db
    .select({
      id: authFactors.id,
      label: authFactors.label,
      createdAt: authFactors.createdAt,
      credentialId: authFactors.credentialId,
      publicKey: authFactors.publicKey,
    })
    .from(authFactors)
    .where(and(eq(authFactors.userId, actor.id), eq(authFactors.kind, "passkey")))
    .orderBy(asc(authFactors.createdAt));
  return rows.flatMap((row) => {
    let key: ApproverPublicKey;
    try {
      key = parsePublicKey(cose(row.publicKey!));
    } catch {
      // A passkey whose key type sites cannot verify (say ES384) signs in but cannot sign approvals.
      return [];
    }
    return [
      {
        id: row.id,
        label: row.label,
        createdAt: row.createdAt,
        credentialId: row.credentialId!,
        algorithm: key.algorithm,
        publicKey: key.key.export({ type: "spki", format: "der" }).toString("base64"),
        fingerprint: formatFingerprint(key.fingerprint),
      },
    ];
  });
}

/** The person's passkey with this credential id as a verification key, or undefined: a key is only ever its owner's. */
export async function findApproverKey(
  db: DbOrTx,
  { userId, credentialId }: { userId: string; credentialId: string },
): Promise<(ApproverPublicKey & { factorId: string; signCount: number }) | undefined> {
  const [row] = await db
    .select({ id: authFactors.id, publicKey: authFactors.publicKey, signCount: authFactors.signCount })
    .from(authFactors)
    .where(
      and(eq(authFactors.userId, userId), eq(authFactors.kind, "passkey"), eq(authFactors.credentialId, credentialId)),
    );
  if (!row?.publicKey) return undefined;
  try {
    return { ...parsePublicKey(cose(row.publicKey)), factorId: row.id, signCount: row.signCount ?? 0 };
  } catch {
    return undefined;
  }
}

/**
 * Records a passkey's use: its signature counter, which must grow when the authenticator keeps one
 * (WebAuthn §6.1.1: a counter that goes back means a cloned authenticator). False when it went back.
 */
export async function recordPasskeyUse(
  tx: DbOrTx,
  key: { factorId: string; signCount: number },
  authenticatorData: Buffer,
): Promise<boolean> {
  const counter = authenticatorData.readUInt32BE(33);
  if ((counter !== 0 || key.signCount !== 0) && counter <= key.signCount) return false;
  await tx
    .update(authFactors)
    .set({ signCount: counter, lastUsedAt: new Date() })
    .where(eq(authFactors.id, key.factorId));
  return true;
}
