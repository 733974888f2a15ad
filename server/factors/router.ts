import { authedProcedure, createTRPCRouter, identifiedProcedure, requireStepUp } from "@/server/trpc";
import { ZConfirmTotpInput, ZFactorRef, ZStartTotpInput, ZVerifyFactorInput } from "./factors.schema";
import { listOwnFactors, regenerateRecoveryCodes, removeOwnFactor } from "./factors.service";
import { confirmTotpEnrolment, startTotpEnrolment } from "./totp-enrolment.service";
import { verifySecondFactor } from "./verify-factor.service";

/** The viewer's own second factors. Passkey procedures join this router. */
export const factorsRouter = createTRPCRouter({
  /** The sign-in second step and the step-up dialog: before anything else, so any signed-in session may call it. */
  verify: authedProcedure
    .input(ZVerifyFactorInput)
    .mutation(({ ctx, input }) => verifySecondFactor(ctx.db, ctx.viewer, input)),
  list: identifiedProcedure.query(({ ctx }) => listOwnFactors(ctx.db, ctx.viewer)),
  startTotp: identifiedProcedure
    .input(ZStartTotpInput)
    .mutation(({ ctx, input }) => startTotpEnrolment(ctx.db, ctx.viewer, input)),
  confirmTotp: identifiedProcedure
    .input(ZConfirmTotpInput)
    .mutation(({ ctx, input }) => confirmTotpEnrolment(ctx.db, ctx.viewer, input)),
  remove: identifiedProcedure
    .use(requireStepUp)
    .input(ZFactorRef)
    .mutation(({ ctx, input }) => removeOwnFactor(ctx.db, ctx.viewer, input)),
  regenerateRecoveryCodes: identifiedProcedure
    .use(requireStepUp)
    .mutation(({ ctx }) => regenerateRecoveryCodes(ctx.db, ctx.viewer)),
});
