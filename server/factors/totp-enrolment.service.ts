import { and, eq, isNull } from "drizzle-orm";
import QRCode from "qrcode";
import type { Database } from "@/db/client";
import { authFactors } from "@/db/schema";
import { recordAudit } from "@/server/audit/audit.service";
import { decryptFactorSecret, encryptFactorSecret } from "@/server/auth/factor-crypto";
import type { Viewer } from "@/server/auth/permissions";
import { hasRecentFactor, StepUpRequired } from "@/server/auth/second-factor";
import { recordFactorVerified } from "@/server/auth/sessions";
import { matchTotpStep, newTotpSecret, totpUri } from "@/server/auth/totp";
import { AppError } from "@/server/errors";
import { forgiveFactorAttempts, reserveFactorAttempt } from "./factor-limiter";
import { countUnusedRecoveryCodes, replaceRecoveryCodes } from "./recovery-codes";
import type { TConfirmTotpInput, TStartTotpInput } from "./factors.schema";

export const WRONG_TOTP_CODE = "That code is not right. Check the clock on your phone and enter the code shown now";

/**
 * Adding a factor to an account that has one is a change an attacker with a borrowed session
 * would want, so it needs a recent proof of an existing factor; a first factor does not.
 */
function requireStepUpIfEnrolled(viewer: Viewer) {
  if (viewer.secondFactor === null && viewer.session?.factorVerifiedAt && !hasRecentFactor(viewer.session))
    throw new StepUpRequired();
}

/**
 * Starts setting up an authenticator app: a new secret, kept encrypted on an unconfirmed factor
 * until the person types a first code from it (an earlier unfinished set-up is dropped). Returns
 * the secret for manual entry and a QR code (SVG, drawn here) of its otpauth:// URI.
 */
export async function startTotpEnrolment(db: Database, viewer: Viewer, { label }: TStartTotpInput) {
  requireStepUpIfEnrolled(viewer);
  const secret = newTotpSecret();
  const factorId = await db.transaction(async (tx) => {
    await tx
      .delete(authFactors)
      .where(and(eq(authFactors.userId, viewer.id), eq(authFactors.kind, "totp"), isNull(authFactors.confirmedAt)));
    const [row] = await tx
      .insert(authFactors)
      .values({ userId: viewer.id, kind: "totp", label, totpSecretEncrypted: encryptFactorSecret(secret) })
      .returning({ id: authFactors.id });
    return row!.id;
  });
  const uri = totpUri(secret, viewer.email);
  const qrSvg = await QRCode.toString(uri, { type: "svg", errorCorrectionLevel: "M", margin: 1 });
  return { factorId, secret, uri, qrSvg };
}

/**
 * Confirms the set-up with a first code. The factor then counts, this session has proved it,
 * and on a first factor ten recovery codes are made and returned, to be shown once.
 */
export async function confirmTotpEnrolment(db: Database, viewer: Viewer, input: TConfirmTotpInput) {
  requireStepUpIfEnrolled(viewer);
  const [factor] = await db
    .select({ id: authFactors.id, label: authFactors.label, sealed: authFactors.totpSecretEncrypted })
    .from(authFactors)
    .where(
      and(
        eq(authFactors.id, input.factorId),
        eq(authFactors.userId, viewer.id),
        eq(authFactors.kind, "totp"),
        isNull(authFactors.confirmedAt),
      ),
    );
  if (!factor?.sealed) throw new AppError("NOT_FOUND", "This set-up has expired or was replaced. Start again.");
  await reserveFactorAttempt(db, viewer.id);
  const step = matchTotpStep(decryptFactorSecret(factor.sealed), input.code);
  if (step === null) throw AppError.field("BAD_REQUEST", "code", WRONG_TOTP_CODE);
  return db.transaction(async (tx) => {
    const now = new Date();
    await tx
      .update(authFactors)
      .set({ confirmedAt: now, lastUsedAt: now, totpLastStep: step })
      .where(eq(authFactors.id, factor.id));
    await forgiveFactorAttempts(tx, viewer.id);
    const recoveryCodes = (await countUnusedRecoveryCodes(tx, viewer.id))
      ? null
      : await replaceRecoveryCodes(tx, viewer.id);
    if (viewer.session) await recordFactorVerified(tx, viewer.session.id);
    await recordAudit(tx, {
      actor: viewer,
      action: "factor.added",
      subject: `user:${viewer.email}`,
      details: { kind: "totp", label: factor.label },
    });
    return { recoveryCodes };
  });
}
