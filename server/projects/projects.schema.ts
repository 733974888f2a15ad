import { z } from "zod";
import { ZCohortDefinition } from "@/protocol/cohort-definition";
import { ZEmail } from "@/server/users/users.schema";

export const JOB_KINDS = ["cohort_count", "train", "evaluate"] as const;
export const OUTPUT_KINDS = ["cohort_counts", "model_updates", "metrics"] as const;
export const PROJECT_ROLES = ["owner", "member", "viewer"] as const;

const ZPurpose = z
  .string({ error: "Describe the project's purpose" })
  .trim()
  .min(20, "Describe the purpose in at least 20 characters, in plain English")
  .max(4000, "Keep the purpose under 4000 characters");

/**
 * The governance bundle: everything a site is asked to allow. Any change makes a new revision
 * whose hash voids earlier approvals. Versioned so later fields (model specs) can be added.
 */
export const ZBundle = z.strictObject({
  bundleVersion: z.literal(1).default(1),
  purpose: ZPurpose,
  cohort: ZCohortDefinition.nullable().default(null),
  allowedJobKinds: z.array(z.enum(JOB_KINDS)).min(1, "Allow at least one kind of job").max(JOB_KINDS.length),
  outputs: z
    .array(z.enum(OUTPUT_KINDS))
    .min(1, "Name at least one output that may leave a site")
    .max(OUTPUT_KINDS.length),
  privacy: z.strictObject({
    minCellCount: z.number().int().min(10, "Sites suppress counts below 10 at least").max(1000),
  }),
  maxRounds: z.number().int().min(1).max(1000),
});
export type Bundle = z.infer<typeof ZBundle>;

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

export const ZUpdateBundleInput = z.object({ projectId: z.uuid(), bundle: ZBundle });

export const ZSubmitInput = z.object({
  projectId: z.uuid(),
  siteIds: z.array(z.uuid()).min(1, "Choose at least one site to ask").max(100),
});
