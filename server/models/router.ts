import { createTRPCRouter, projectProcedure } from "@/server/trpc";
import { getModelCard } from "./model-card";
import {
  ZClearAliasInput,
  ZImportVersionInput,
  ZModelCardInput,
  ZModelRef,
  ZRegisterModelInput,
  ZSetAliasInput,
  ZUpdateLimitationsInput,
  ZVersionRef,
} from "./models.schema";
import {
  clearAlias,
  getModel,
  getModelVersion,
  importVersion,
  listModels,
  registerModel,
  setAlias,
  updateLimitations,
} from "./models.service";

export const modelsRouter = createTRPCRouter({
  list: projectProcedure("project:read").query(({ ctx }) => listModels(ctx.db, { projectId: ctx.project.id })),
  byId: projectProcedure("project:read")
    .input(ZModelRef)
    .query(({ ctx, input }) => getModel(ctx.db, { ...input, projectId: ctx.project.id })),
  version: projectProcedure("project:read")
    .input(ZVersionRef)
    .query(({ ctx, input }) => getModelVersion(ctx.db, { ...input, projectId: ctx.project.id })),
  card: projectProcedure("project:read")
    .input(ZModelCardInput)
    .query(({ ctx, input }) => getModelCard(ctx.db, { ...input, projectId: ctx.project.id })),
  register: projectProcedure("model:write")
    .input(ZRegisterModelInput)
    .mutation(({ ctx, input }) => registerModel(ctx.db, ctx.viewer, { ...input, projectId: ctx.project.id })),
  importVersion: projectProcedure("model:write")
    .input(ZImportVersionInput)
    .mutation(({ ctx, input }) => importVersion(ctx.db, ctx.viewer, { ...input, projectId: ctx.project.id })),
  setAlias: projectProcedure("model:write")
    .input(ZSetAliasInput)
    .mutation(({ ctx, input }) => setAlias(ctx.db, ctx.viewer, { ...input, projectId: ctx.project.id })),
  clearAlias: projectProcedure("model:write")
    .input(ZClearAliasInput)
    .mutation(({ ctx, input }) => clearAlias(ctx.db, ctx.viewer, { ...input, projectId: ctx.project.id })),
  updateLimitations: projectProcedure("model:write")
    .input(ZUpdateLimitationsInput)
    .mutation(({ ctx, input }) => updateLimitations(ctx.db, ctx.viewer, { ...input, projectId: ctx.project.id })),
});
