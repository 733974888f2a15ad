import { z } from "zod";

const UNREADABLE = "Your browser sent a passkey answer this portal cannot read. Try again.";
const base64url = z
  .string(UNREADABLE)
  .max(16_384, UNREADABLE)
  .regex(/^[A-Za-z0-9_-]*$/, UNREADABLE);
// Browsers add transports over time; unknown ones are kept as hints and never trusted.
const transports = z.array(z.string().max(32)).max(16);

/** What `startAuthentication()` of @simplewebauthn/browser returns (an assertion). */
const ZAuthenticationResponse = z.object(
  {
    id: base64url,
    rawId: base64url,
    type: z.literal("public-key", UNREADABLE),
    response: z.object(
      {
        clientDataJSON: base64url,
        authenticatorData: base64url,
        signature: base64url,
        userHandle: base64url.optional(),
      },
      UNREADABLE,
    ),
    authenticatorAttachment: z.enum(["platform", "cross-platform"]).optional(),
  },
  UNREADABLE,
);

/** What `startRegistration()` returns (an attestation). */
const ZRegistrationResponse = z.object(
  {
    id: base64url,
    rawId: base64url,
    type: z.literal("public-key", UNREADABLE),
    response: z.object(
      {
        clientDataJSON: base64url,
        attestationObject: base64url,
        transports: transports.optional(),
      },
      UNREADABLE,
    ),
    authenticatorAttachment: z.enum(["platform", "cross-platform"]).optional(),
  },
  UNREADABLE,
);

const ZPasskeyLabel = z
  .string()
  .trim()
  .min(1, "Name this passkey, like “Work laptop” or “YubiKey”.")
  .max(60, "Use at most 60 characters.");

/** @internal */
export type TAuthenticationResponse = z.input<typeof ZAuthenticationResponse>;
/** @internal */
export type TRegistrationResponse = z.input<typeof ZRegistrationResponse>;

export const ZPasskeyAssertionInput = z.object({ response: ZAuthenticationResponse });
export type TPasskeyAssertionInput = z.infer<typeof ZPasskeyAssertionInput>;

export const ZRegisterPasskeyInput = z.object({ label: ZPasskeyLabel, response: ZRegistrationResponse });
export type TRegisterPasskeyInput = z.infer<typeof ZRegisterPasskeyInput>;

export const ZRenamePasskeyInput = z.object({ passkeyId: z.uuid("Choose a passkey"), label: ZPasskeyLabel });
export type TRenamePasskeyInput = z.infer<typeof ZRenamePasskeyInput>;
