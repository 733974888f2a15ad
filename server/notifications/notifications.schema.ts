import { z } from "zod";

export const ZEmailModeInput = z.object({
  emailMode: z.enum(["immediate", "daily_digest"], { error: "Choose immediate e-mails or a daily digest" }),
});
export type TEmailModeInput = z.infer<typeof ZEmailModeInput>;
