import { adminProcedure, createTRPCRouter, scopedProcedure } from "@/server/trpc";
import { ZSiteCreateInput, ZSiteIdInput, ZSiteUpdateInput } from "./sites.schema";
import { createSite, getSite, listSiteDirectory, listSites, updateSite } from "./sites.service";

export const sitesRouter = createTRPCRouter({
  /** The Trusts in the network: every signed-in role may see who takes part. */
  directory: scopedProcedure("network:read").query(({ ctx }) => listSiteDirectory(ctx.db)),
  list: adminProcedure.query(({ ctx }) => listSites(ctx.db)),
  byId: adminProcedure.input(ZSiteIdInput).query(({ ctx, input }) => getSite(ctx.db, input)),
  create: adminProcedure.input(ZSiteCreateInput).mutation(({ ctx, input }) => createSite(ctx.db, ctx.viewer, input)),
  update: adminProcedure.input(ZSiteUpdateInput).mutation(({ ctx, input }) => updateSite(ctx.db, ctx.viewer, input)),
});
