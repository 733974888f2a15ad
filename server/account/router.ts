import { authedProcedure, createTRPCRouter } from "@/server/trpc";
import { ZChangePasswordInput } from "@/server/users/users.schema";
import { ZEndSessionInput } from "./account.schema";
import { changeOwnPassword } from "./account.service";
import { endAllOwnSessions, endOwnSession, listOwnSessions } from "./sessions.service";

export const accountRouter = createTRPCRouter({
  me: authedProcedure.query(({ ctx }) => ctx.viewer),
  changePassword: authedProcedure
    .input(ZChangePasswordInput)
    .mutation(({ ctx, input }) => changeOwnPassword(ctx.db, ctx.viewer, { ...input, ip: ctx.ip })),
  sessions: authedProcedure.query(({ ctx }) => listOwnSessions(ctx.db, ctx.viewer)),
  endSession: authedProcedure
    .input(ZEndSessionInput)
    .mutation(({ ctx, input }) => endOwnSession(ctx.db, ctx.viewer, input)),
  signOutEverywhere: authedProcedure.mutation(({ ctx }) => endAllOwnSessions(ctx.db, ctx.viewer)),
});
