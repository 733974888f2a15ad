import { createTRPCRouter, projectProcedure, protectedProcedure, scopedProcedure } from "@/server/trpc";
import {
  ZAddMemberInput,
  ZAnswerInvitationInput,
  ZCancelInvitationInput,
  ZProjectCreateInput,
  ZProjectListInput,
  ZRemoveMemberInput,
  ZSubmitInput,
  ZUpdateBundleInput,
} from "./projects.schema";
import { answerInvitation, cancelInvitation, inviteMember, listMyInvitations } from "./invitations.service";
import {
  closeProject,
  countUnseenDecisions,
  createProject,
  getProject,
  listMyProjects,
  listRevisions,
  markDecisionsSeen,
  removeMember,
  reviseBundle,
  submitProject,
} from "./projects.service";

export const projectsRouter = createTRPCRouter({
  list: protectedProcedure
    .input(ZProjectListInput)
    .query(({ ctx, input }) => listMyProjects(ctx.db, ctx.viewer, input)),
  newDecisions: protectedProcedure.query(({ ctx }) => countUnseenDecisions(ctx.db, ctx.viewer)),
  create: scopedProcedure("projects:create")
    .input(ZProjectCreateInput)
    .mutation(({ ctx, input }) => createProject(ctx.db, ctx.viewer, input)),
  byId: projectProcedure("project:read").query(({ ctx }) =>
    getProject(ctx.db, ctx.viewer, { projectId: ctx.project.id }),
  ),
  revisions: projectProcedure("project:read").query(({ ctx }) => listRevisions(ctx.db, { projectId: ctx.project.id })),
  markDecisionsSeen: projectProcedure("project:read").mutation(({ ctx }) =>
    markDecisionsSeen(ctx.db, ctx.viewer, { projectId: ctx.project.id }),
  ),
  updateBundle: projectProcedure("project:edit")
    .input(ZUpdateBundleInput)
    .mutation(({ ctx, input }) => reviseBundle(ctx.db, ctx.viewer, { ...input, projectId: ctx.project.id })),
  submit: projectProcedure("project:submit")
    .input(ZSubmitInput)
    .mutation(({ ctx, input }) => submitProject(ctx.db, ctx.viewer, { ...input, projectId: ctx.project.id })),
  addMember: projectProcedure("project:members")
    .input(ZAddMemberInput)
    .mutation(({ ctx, input }) => inviteMember(ctx.db, ctx.viewer, { ...input, projectId: ctx.project.id })),
  cancelInvitation: projectProcedure("project:members")
    .input(ZCancelInvitationInput)
    .mutation(({ ctx, input }) => cancelInvitation(ctx.db, ctx.viewer, { ...input, projectId: ctx.project.id })),
  myInvitations: protectedProcedure.query(({ ctx }) => listMyInvitations(ctx.db, ctx.viewer)),
  answerInvitation: protectedProcedure
    .input(ZAnswerInvitationInput)
    .mutation(({ ctx, input }) => answerInvitation(ctx.db, ctx.viewer, input)),
  removeMember: projectProcedure("project:members")
    .input(ZRemoveMemberInput)
    .mutation(({ ctx, input }) => removeMember(ctx.db, ctx.viewer, input)),
  close: projectProcedure("project:close").mutation(({ ctx }) =>
    closeProject(ctx.db, ctx.viewer, { projectId: ctx.project.id }),
  ),
});
