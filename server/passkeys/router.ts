import { authedProcedure, createTRPCRouter, protectedProcedure, publicProcedure } from "@/server/trpc";
import { passkeySignInOptions } from "./passkey-sign-in";
import {
  ZPasskeyAssertionInput,
  ZRegisterPasskeyInput,
  ZRemovePasskeyInput,
  ZRenamePasskeyInput,
} from "./passkeys.schema";
import {
  listOwnPasskeys,
  passkeyRegistrationOptions,
  registerPasskey,
  removePasskey,
  renamePasskey,
} from "./passkeys.service";
import { secondFactorOptions, verifySecondFactor } from "./second-factor";

// Options calls are mutations: each records a single-use challenge.
export const passkeysRouter = createTRPCRouter({
  list: protectedProcedure.query(({ ctx }) => listOwnPasskeys(ctx.db, ctx.viewer)),
  registrationOptions: protectedProcedure.mutation(({ ctx }) => passkeyRegistrationOptions(ctx.db, ctx.viewer)),
  register: protectedProcedure
    .input(ZRegisterPasskeyInput)
    .mutation(({ ctx, input }) => registerPasskey(ctx.db, ctx.viewer, input)),
  rename: protectedProcedure
    .input(ZRenamePasskeyInput)
    .mutation(({ ctx, input }) => renamePasskey(ctx.db, ctx.viewer, input)),
  remove: protectedProcedure
    .input(ZRemovePasskeyInput)
    .mutation(({ ctx, input }) => removePasskey(ctx.db, ctx.viewer, input)),
  /** Signed out: the sign-in page asks for a challenge before the person picks a passkey. */
  signInOptions: publicProcedure.mutation(({ ctx }) => passkeySignInOptions(ctx.db)),
  secondFactorOptions: authedProcedure.mutation(({ ctx }) => secondFactorOptions(ctx.db, ctx.viewer)),
  verifySecondFactor: authedProcedure
    .input(ZPasskeyAssertionInput)
    .mutation(({ ctx, input }) => verifySecondFactor(ctx.db, ctx.viewer, input)),
});
