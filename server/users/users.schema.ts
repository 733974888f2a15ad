import { z } from "zod";

export const ROLES = ["researcher", "approver", "admin"] as const;

export const ZEmail = z
  .string({ error: "Enter an email address" })
  .trim()
  .min(1, "Enter an email address")
  .max(254, "Email addresses are at most 254 characters")
  .pipe(z.email("Enter a valid email address, like name@nhs.net"))
  .transform((email) => email.toLowerCase());

export const ZPersonName = z
  .string({ error: "Enter a name" })
  .trim()
  .min(1, "Enter a name")
  .max(120, "Names are at most 120 characters");

export const ZNewPassword = z
  .string({ error: "Enter a new password" })
  .min(12, "Use at least 12 characters")
  .max(200, "Use at most 200 characters");

export const ZUserListInput = z.object({
  search: z.string().trim().max(200, "Keep the search under 200 characters").optional(),
  page: z.number().int().min(1).default(1),
  pageSize: z.number().int().min(5).max(100).default(20),
});
export type TUserListInput = z.infer<typeof ZUserListInput>;

export const ZUserCreateInput = z.object({ email: ZEmail, name: ZPersonName });
export type TUserCreateInput = z.infer<typeof ZUserCreateInput>;

export const ZUserIdInput = z.object({ userId: z.uuid("Choose a user") });

export const ZGrantRoleInput = z
  .object({
    userId: z.uuid("Choose a user"),
    role: z.enum(ROLES, { error: "Choose a role" }),
    siteId: z.uuid("Choose a site").nullish(),
  })
  .superRefine((value, ctx) => {
    if (value.role === "approver" && !value.siteId) {
      ctx.addIssue({ code: "custom", path: ["siteId"], message: "An approver acts for one site: choose the site" });
    }
    if (value.role !== "approver" && value.siteId) {
      ctx.addIssue({ code: "custom", path: ["siteId"], message: "Only approver grants name a site" });
    }
  });
export type TGrantRoleInput = z.infer<typeof ZGrantRoleInput>;

export const ZRevokeRoleInput = z.object({ grantId: z.uuid("Choose a grant") });

export const ZGrantRequestRef = z.object({ requestId: z.uuid("Choose a request") });

export const ZSetDisabledInput = z.object({ userId: z.uuid("Choose a user"), disabled: z.boolean() });
export type TSetDisabledInput = z.infer<typeof ZSetDisabledInput>;

export const ZChangePasswordInput = z
  .object({
    currentPassword: z.string({ error: "Enter your current password" }).min(1, "Enter your current password").max(200),
    newPassword: ZNewPassword,
    confirmPassword: z.string({ error: "Repeat the new password" }),
  })
  .superRefine((value, ctx) => {
    if (value.newPassword !== value.confirmPassword) {
      ctx.addIssue({ code: "custom", path: ["confirmPassword"], message: "The two new passwords do not match" });
    }
    if (value.newPassword === value.currentPassword) {
      ctx.addIssue({
        code: "custom",
        path: ["newPassword"],
        message: "Choose a password different from the current one",
      });
    }
  });
export type TChangePasswordInput = z.infer<typeof ZChangePasswordInput>;

export const ZSignInInput = z.object({
  email: ZEmail,
  password: z.string().min(1, "Enter your password").max(200, "Passwords are at most 200 characters"),
});
