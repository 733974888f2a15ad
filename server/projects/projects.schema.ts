import { z } from "zod";
import { ZBundle, ZPurpose } from "@/protocol/bundle";
import { ZEmail } from "@/server/users/users.schema";

// The governance bundle is contract (sites approve its hash): defined in protocol/bundle.ts.
export type { Bundle } from "@/protocol/bundle";

export const PROJECT_ROLES = ["owner", "member", "viewer"] as const;

export const ZProjectCreateInput = z.object({
  title: z
    .string({ error: "Enter a title" })
    .trim()
    .min(3, "Enter a title of at least 3 characters")
    .max(200, "Keep the title under 200 characters"),
  purpose: ZPurpose,
  ethicsReference: z.string().trim().max(100, "Keep the ethics reference under 100 characters").optional(),
});
export type TProjectCreateInput = z.infer<typeof ZProjectCreateInput>;

export const ZProjectListInput = z.object({
  search: z.string().trim().max(200).optional(),
  status: z.enum(["draft", "submitted", "active", "closed"]).optional(),
});
export type TProjectListInput = z.infer<typeof ZProjectListInput>;

export const ZAddMemberInput = z.object({
  projectId: z.uuid(),
  email: ZEmail,
  role: z.enum(PROJECT_ROLES, { error: "Choose a project role" }),
});
export const ZRemoveMemberInput = z.object({ projectId: z.uuid(), userId: z.uuid() });
export const ZCancelInvitationInput = z.object({ projectId: z.uuid(), invitationId: z.uuid("Choose an invitation") });
export const ZAnswerInvitationInput = z.object({
  invitationId: z.uuid("Choose an invitation"),
  accept: z.boolean({ error: "Accept or decline the invitation" }),
});

export const ZUpdateBundleInput = z.object({ projectId: z.uuid(), bundle: ZBundle });

export const ZSubmitInput = z.object({
  projectId: z.uuid(),
  siteIds: z.array(z.uuid()).min(1, "Choose at least one site to ask").max(100),
});
