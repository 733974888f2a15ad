import { z } from "zod";

const ZTotpCode = z
  .string()
  .trim()
  .transform((code) => code.replace(/\s/g, ""))
  .pipe(z.string().regex(/^\d{6}$/, "Enter the 6-digit code from your authenticator app"));

export const ZStartTotpInput = z.object({
  label: z
    .string()
    .trim()
    .min(1, "Name this authenticator, like “Work phone”")
    .max(60, "Keep the name under 60 characters"),
});
export type TStartTotpInput = z.infer<typeof ZStartTotpInput>;

export const ZConfirmTotpInput = z.object({ factorId: z.uuid("Start the set-up again"), code: ZTotpCode });
export type TConfirmTotpInput = z.infer<typeof ZConfirmTotpInput>;

/** What the sign-in second step and the step-up dialog can be answered with here; passkeys add their own procedures. */
export const ZVerifyFactorInput = z.discriminatedUnion("method", [
  z.object({ method: z.literal("totp"), code: ZTotpCode }),
  z.object({
    method: z.literal("recovery"),
    code: z.string().trim().min(1, "Enter one of your recovery codes").max(40, "That is not a recovery code"),
  }),
]);
export type TVerifyFactorInput = z.infer<typeof ZVerifyFactorInput>;

export const ZFactorRef = z.object({ factorId: z.uuid("Choose a factor") });
export type TFactorRef = z.infer<typeof ZFactorRef>;
