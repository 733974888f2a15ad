import { z } from "zod";

export const ZAuditListInput = z.object({
  actor: z.string().trim().max(200, "Keep the actor filter under 200 characters").optional(),
  action: z.string().trim().max(100, "Keep the action filter under 100 characters").optional(),
  page: z.number().int().min(1).default(1),
  pageSize: z.number().int().min(5).max(200).default(25),
});
export type TAuditListInput = z.infer<typeof ZAuditListInput>;
