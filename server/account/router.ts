import { authedProcedure, createTRPCRouter } from "@/server/trpc";
import { ZChangePasswordInput } from "@/server/users/users.schema";
import { changeOwnPassword } from "./account.service";

export const accountRouter = createTRPCRouter({
  me: authedProcedure.query(({ ctx }) => ctx.viewer),
  changePassword: authedProcedure
    .input(ZChangePasswordInput)
    .mutation(({ ctx, input }) => changeOwnPassword(ctx.db, ctx.viewer, { ...input, ip: ctx.ip })),
});
