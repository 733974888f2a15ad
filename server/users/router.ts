import { resetUserFactors } from "@/server/factors/factors.service";
import { adminProcedure, createTRPCRouter, requireStepUp } from "@/server/trpc";
import {
  ZGrantRequestRef,
  ZGrantRoleInput,
  ZRevokeRoleInput,
  ZSetDisabledInput,
  ZUserCreateInput,
  ZUserIdInput,
  ZUserListInput,
} from "./users.schema";
import {
  createUser,
  getUser,
  grantRole,
  listUsers,
  resetUserPassword,
  revokeRole,
  setUserDisabled,
} from "./users.service";
import { cancelGrantRequest, confirmGrantRequest, listGrantRequests } from "./grant-requests.service";

export const usersRouter = createTRPCRouter({
  list: adminProcedure.input(ZUserListInput).query(({ ctx, input }) => listUsers(ctx.db, input)),
  byId: adminProcedure.input(ZUserIdInput).query(({ ctx, input }) => getUser(ctx.db, input)),
  create: adminProcedure.input(ZUserCreateInput).mutation(({ ctx, input }) => createUser(ctx.db, ctx.viewer, input)),
  grantRole: adminProcedure
    .use(requireStepUp)
    .input(ZGrantRoleInput)
    .mutation(({ ctx, input }) => grantRole(ctx.db, ctx.viewer, input)),
  grantRequests: adminProcedure.input(ZUserIdInput).query(({ ctx, input }) => listGrantRequests(ctx.db, input)),
  confirmGrant: adminProcedure
    .use(requireStepUp)
    .input(ZGrantRequestRef)
    .mutation(({ ctx, input }) => confirmGrantRequest(ctx.db, ctx.viewer, input)),
  cancelGrantRequest: adminProcedure
    .input(ZGrantRequestRef)
    .mutation(({ ctx, input }) => cancelGrantRequest(ctx.db, ctx.viewer, input)),
  revokeRole: adminProcedure
    .input(ZRevokeRoleInput)
    .mutation(({ ctx, input }) => revokeRole(ctx.db, ctx.viewer, input)),
  setDisabled: adminProcedure
    .input(ZSetDisabledInput)
    .mutation(({ ctx, input }) => setUserDisabled(ctx.db, ctx.viewer, input)),
  resetPassword: adminProcedure
    .input(ZUserIdInput)
    .mutation(({ ctx, input }) => resetUserPassword(ctx.db, ctx.viewer, input)),
  /** A lost phone: the user's factors and sessions go, and they set a factor up again at next sign-in. */
  resetFactors: adminProcedure
    .use(requireStepUp)
    .input(ZUserIdInput)
    .mutation(({ ctx, input }) => resetUserFactors(ctx.db, ctx.viewer, input)),
});
