import { authedProcedure, createTRPCRouter, identifiedProcedure } from "@/server/trpc";
import { ZChangePasswordInput } from "@/server/users/users.schema";
import { ZEndSessionInput } from "./account.schema";
import { changeOwnPassword } from "./account.service";
import { endAllOwnSessions, endOwnSession, listOwnSessions } from "./sessions.service";

export const accountRouter = createTRPCRouter({
  me: authedProcedure.query(({ ctx }) => ctx.viewer),
  // Until the session proves the account's second factor, only `me` (and factors.verify) answer.
  changePassword: identifiedProcedure
    .input(ZChangePasswordInput)
    .mutation(({ ctx, input }) => changeOwnPassword(ctx.db, ctx.viewer, { ...input, ip: ctx.ip })),
  sessions: identifiedProcedure.query(({ ctx }) => listOwnSessions(ctx.db, ctx.viewer)),
  endSession: identifiedProcedure
    .input(ZEndSessionInput)
    .mutation(({ ctx, input }) => endOwnSession(ctx.db, ctx.viewer, input)),
  signOutEverywhere: identifiedProcedure.mutation(({ ctx }) => endAllOwnSessions(ctx.db, ctx.viewer)),
});
