import { FIXTURE_PASSWORD, addConfirmedTotp } from "@/server/lib/test-support/fixtures";
import { STEP_UP_REQUIRED } from "@/server/auth/second-factor";
import { totpCodeAt } from "@/server/auth/totp";
import { replaceRecoveryCodes } from "@/server/factors/recovery-codes";
import { startTotpEnrolment } from "@/server/factors/totp-enrolment.service";
import {
  ownPasskeyInput,
  registrationInput,
  secondFactorInput,
  withPasskey,
} from "@/server/lib/test-support/passkey-matrix-inputs";
import { IDENTIFIED, SIGNED_IN, type ActorName, type ProcedurePath, type Row, type World } from "./authorization.world";

/**
 * The matrix rows of the viewer's own account and second factors (authorization.matrix.ts has the
 * rest). Until the session proves the account's factor only `account.me` and `factors.verify`
 * answer; an account that must set a factor up may still manage itself.
 */

let unique = 0;
const none = () => undefined;

const STEP_UP_FIRST = { code: "PRECONDITION_FAILED", message: STEP_UP_REQUIRED } as const;

/** The actor's own input only for actors the row lets through; the others are refused before it is read. */
const mayCall = (w: World, actor: ActorName) => !!w.viewers[actor] && actor !== "factorPending";
const NO_SUCH_ID = "00000000-0000-4000-8000-00000000000f";

/** A recovery code of the actor's own, so verifying succeeds. */
async function recoveryCodeOf(w: World, actor: ActorName): Promise<string> {
  const viewer = w.viewers[actor];
  if (!viewer) return "aaaaa-bbbbb";
  return (await replaceRecoveryCodes(w.db, viewer.id))[0]!;
}

/** An authenticator-app set-up the actor has started, with the code their app shows now. */
async function totpEnrolmentOf(w: World, actor: ActorName) {
  const viewer = w.viewers[actor];
  if (!viewer || !mayCall(w, actor)) return { factorId: NO_SUCH_ID, code: "123456" };
  const { factorId, secret } = await startTotpEnrolment(w.db, viewer, { label: `Matrix ${++unique}` });
  return { factorId, code: totpCodeAt(secret) };
}

/** A second authenticator on the actor's account, which they may remove since another is left. */
async function spareFactorOf(w: World, actor: ActorName): Promise<string> {
  const viewer = w.viewers[actor];
  if (!viewer || !mayCall(w, actor) || actor === "factorMissing") return NO_SUCH_ID;
  await addConfirmedTotp(w.db, viewer.id);
  return (await addConfirmedTotp(w.db, viewer.id)).factorId;
}

type AccountPath = Extract<ProcedurePath, `account.${string}` | `factors.${string}` | `passkeys.${string}`>;

export const ACCOUNT_ROWS: { [P in AccountPath]: Row<P> } = {
  "account.me": { allowed: [...IDENTIFIED, "factorPending"], input: none },
  "account.changePassword": {
    allowed: IDENTIFIED,
    input: () => ({
      currentPassword: FIXTURE_PASSWORD,
      newPassword: "matrix-new-password",
      confirmPassword: "matrix-new-password",
    }),
  },
  "account.sessions": { allowed: IDENTIFIED, input: none },
  "account.endSession": { allowed: IDENTIFIED, input: () => ({ sessionId: "00000000-0000-4000-8000-00000000000e" }) },
  "account.signOutEverywhere": { allowed: IDENTIFIED, input: none },
  "factors.verify": {
    allowed: [...IDENTIFIED, "factorPending"],
    input: async (w, actor) => ({ method: "recovery", code: await recoveryCodeOf(w, actor) }),
  },
  "factors.list": { allowed: IDENTIFIED, input: none },
  "factors.startTotp": { allowed: IDENTIFIED, input: () => ({ label: "Matrix phone" }) },
  "factors.confirmTotp": { allowed: IDENTIFIED, input: (w, actor) => totpEnrolmentOf(w, actor) },
  "factors.remove": {
    allowed: SIGNED_IN,
    stepUp: true,
    refusals: { factorMissing: STEP_UP_FIRST },
    input: async (w, actor) => ({ factorId: await spareFactorOf(w, actor) }),
  },
  "factors.regenerateRecoveryCodes": {
    allowed: SIGNED_IN,
    stepUp: true,
    refusals: { factorMissing: STEP_UP_FIRST },
    input: async (w, actor) => {
      await spareFactorOf(w, actor);
    },
  },
  "passkeys.list": { allowed: IDENTIFIED, input: none },
  "passkeys.registrationOptions": { allowed: IDENTIFIED, input: none },
  "passkeys.register": { allowed: IDENTIFIED, input: registrationInput },
  "passkeys.rename": {
    allowed: IDENTIFIED,
    input: async (w, a, viewer) => ({ ...(await ownPasskeyInput(w, a, viewer)), label: "New" }),
  },
  // Asked for on the sign-in page, before anyone is signed in.
  "passkeys.signInOptions": { allowed: [...IDENTIFIED, "factorPending", "signedOut"], input: none },
  "passkeys.secondFactorOptions": { allowed: [...IDENTIFIED, "factorPending"], input: withPasskey },
  "passkeys.verifySecondFactor": { allowed: [...IDENTIFIED, "factorPending"], input: secondFactorInput },
};
