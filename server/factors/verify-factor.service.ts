import { and, eq, isNotNull, lt, or, isNull } from "drizzle-orm";
import type { Database, DbOrTx } from "@/db/client";
import { authFactors } from "@/db/schema";
import { recordAudit } from "@/server/audit/audit.service";
import { decryptFactorSecret } from "@/server/auth/factor-crypto";
import type { Viewer } from "@/server/auth/permissions";
import { recordFactorVerified } from "@/server/auth/sessions";
import { matchTotpStep } from "@/server/auth/totp";
import { AppError } from "@/server/errors";
import { forgiveFactorAttempts, reserveFactorAttempt } from "./factor-limiter";
import { countUnusedRecoveryCodes, spendRecoveryCode } from "./recovery-codes";
import type { TVerifyFactorInput } from "./factors.schema";
import { WRONG_TOTP_CODE } from "./totp-enrolment.service";

export const CODE_ALREADY_USED = "That code has already been used. Wait for the next code in your app";
const WRONG_RECOVERY_CODE = "That recovery code is not right, or it has been used";

/**
 * Proves the session's second factor, at sign-in or for a step-up, with a code from an
 * authenticator app or a recovery code. Every attempt counts against the account's limit until
 * it succeeds; a code is accepted once (an app code's step is remembered), a recovery code once ever.
 */
export async function verifySecondFactor(db: Database, viewer: Viewer, input: TVerifyFactorInput) {
  const session = viewer.session;
  if (!session) throw new AppError("BAD_REQUEST", "Only a signed-in browser can confirm a second factor.");
  await reserveFactorAttempt(db, viewer.id);
  return db.transaction(async (tx) => {
    if (input.method === "totp") await spendTotpCode(tx, viewer.id, input.code);
    else if (!(await spendRecoveryCode(tx, viewer.id, input.code)))
      throw AppError.field("BAD_REQUEST", "code", WRONG_RECOVERY_CODE);
    await forgiveFactorAttempts(tx, viewer.id);
    await recordFactorVerified(tx, session.id);
    if (input.method === "totp") return { recoveryCodesLeft: null };
    const recoveryCodesLeft = await countUnusedRecoveryCodes(tx, viewer.id);
    await recordAudit(tx, {
      actor: viewer,
      action: "factor.recovery_code_used",
      subject: `user:${viewer.email}`,
      details: { recoveryCodesLeft },
    });
    return { recoveryCodesLeft };
  });
}

/** Accepts an app code of any of the user's confirmed authenticators, once: its step must be later than the last one accepted. */
async function spendTotpCode(tx: DbOrTx, userId: string, code: string) {
  const factors = await tx
    .select({ id: authFactors.id, sealed: authFactors.totpSecretEncrypted, lastStep: authFactors.totpLastStep })
    .from(authFactors)
    .where(and(eq(authFactors.userId, userId), eq(authFactors.kind, "totp"), isNotNull(authFactors.confirmedAt)));
  for (const factor of factors) {
    const step = factor.sealed ? matchTotpStep(decryptFactorSecret(factor.sealed), code) : null;
    if (step === null) continue;
    // The step condition makes two requests racing with one code accept it once.
    const [accepted] = await tx
      .update(authFactors)
      .set({ totpLastStep: step, lastUsedAt: new Date() })
      .where(
        and(eq(authFactors.id, factor.id), or(isNull(authFactors.totpLastStep), lt(authFactors.totpLastStep, step))),
      )
      .returning({ id: authFactors.id });
    if (accepted) return;
    throw AppError.field("BAD_REQUEST", "code", CODE_ALREADY_USED);
  }
  throw AppError.field("BAD_REQUEST", "code", WRONG_TOTP_CODE);
}
