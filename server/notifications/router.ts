import { createTRPCRouter, protectedProcedure } from "@/server/trpc";
import { ZEmailModeInput } from "./notifications.schema";
import { getNotificationSettings, setEmailMode } from "./notification-settings.service";

export const notificationsRouter = createTRPCRouter({
  settings: protectedProcedure.query(({ ctx }) => getNotificationSettings(ctx.db, ctx.viewer)),
  setEmailMode: protectedProcedure
    .input(ZEmailModeInput)
    .mutation(({ ctx, input }) => setEmailMode(ctx.db, ctx.viewer, input)),
});
