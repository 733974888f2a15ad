import { authedProcedure, createTRPCRouter, identifiedProcedure, publicProcedure } from "@/server/trpc";
import { passkeySignInOptions } from "./passkey-sign-in";
import { ZPasskeyAssertionInput, ZRegisterPasskeyInput, ZRenamePasskeyInput } from "./passkeys.schema";
import { listOwnPasskeys, passkeyRegistrationOptions, registerPasskey, renamePasskey } from "./passkeys.service";
import { secondFactorOptions, verifySecondFactor } from "./second-factor";

// Options calls are mutations: each records a single-use challenge. A passkey is removed like any
// second factor, with factors.remove (behind a step-up, never the last one a role needs).
export const passkeysRouter = createTRPCRouter({
  list: identifiedProcedure.query(({ ctx }) => listOwnPasskeys(ctx.db, ctx.viewer)),
  registrationOptions: identifiedProcedure.mutation(({ ctx }) => passkeyRegistrationOptions(ctx.db, ctx.viewer)),
  register: identifiedProcedure
    .input(ZRegisterPasskeyInput)
    .mutation(({ ctx, input }) => registerPasskey(ctx.db, ctx.viewer, input)),
  rename: identifiedProcedure
    .input(ZRenamePasskeyInput)
    .mutation(({ ctx, input }) => renamePasskey(ctx.db, ctx.viewer, input)),
  /** Signed out: the sign-in page asks for a challenge before the person picks a passkey. */
  signInOptions: publicProcedure.mutation(({ ctx }) => passkeySignInOptions(ctx.db)),
  secondFactorOptions: authedProcedure.mutation(({ ctx }) => secondFactorOptions(ctx.db, ctx.viewer)),
  verifySecondFactor: authedProcedure
    .input(ZPasskeyAssertionInput)
    .mutation(({ ctx, input }) => verifySecondFactor(ctx.db, ctx.viewer, input)),
});
