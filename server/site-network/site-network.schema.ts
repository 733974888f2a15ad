import { z } from "zod";

export const ZIssueTokenInput = z.object({
  siteId: z.uuid("Choose a site"),
  graceSeconds: z
    .number({ error: "Enter the grace period in seconds" })
    .int("Use whole seconds")
    .min(0, "The grace period cannot be negative")
    .max(7 * 24 * 3600, "The grace period can be at most 7 days")
    .default(0),
});

export const ZTaskIdInput = z.object({ taskId: z.uuid("Choose a task") });
