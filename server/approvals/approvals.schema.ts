import { z } from "zod";
import { ZApprovalAssertion, ZSignedTime } from "@/protocol/signed-approval";

export const ZApprovalRef = z.object({ siteId: z.uuid("Choose a site"), approvalId: z.uuid("Choose a request") });

export const ZDecideInput = z
  .object({
    siteId: z.uuid("Choose a site"),
    approvalId: z.uuid("Choose a request"),
    decision: z.enum(["approved", "declined"], { error: "Choose approve or decline" }),
    comment: z.string().trim().max(2000, "Keep the comment under 2000 characters").optional(),
    /** The approver's passkey assertion over the decision (protocol/signed-approval.ts), signed at `decidedAt`. */
    signature: z.strictObject({ decidedAt: ZSignedTime, assertion: ZApprovalAssertion }).optional(),
  })
  .superRefine((value, ctx) => {
    if (value.decision === "declined" && !value.comment) {
      ctx.addIssue({
        code: "custom",
        path: ["comment"],
        message: "Say why you decline, so the researchers can act on it",
      });
    }
  });
export type TDecideInput = z.infer<typeof ZDecideInput>;

export const ZWithdrawInput = z.object({
  siteId: z.uuid("Choose a site"),
  approvalId: z.uuid("Choose an approval"),
  reason: z
    .string({ error: "Say why you withdraw the approval, so the researchers can act on it" })
    .trim()
    .min(1, "Say why you withdraw the approval, so the researchers can act on it")
    .max(2000, "Keep the reason under 2000 characters"),
});
export type TWithdrawInput = z.infer<typeof ZWithdrawInput>;

export const ZDecisionHistoryInput = z.object({
  siteId: z.uuid("Choose a site"),
  /** Only the decisions the viewer made. */
  mine: z.boolean().default(false),
  page: z.number().int("Choose a whole page number").min(1, "Pages start at 1").max(10_000).default(1),
});
export type TDecisionHistoryInput = z.infer<typeof ZDecisionHistoryInput>;

export const ZSiteProjectInput = z.object({ siteId: z.uuid("Choose a site"), projectId: z.uuid("Choose a project") });
