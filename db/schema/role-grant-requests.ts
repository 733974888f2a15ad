import { index, pgTable, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import { id } from "./columns";
import { sites } from "./sites";
import { roleEnum, users } from "./users";

/**
 * An approver grant one admin asked for and a second admin has not confirmed yet. Approvers decide
 * for a Trust, so no single admin can make one; the site's existing approvers see the request.
 */
export const roleGrantRequests = pgTable(
  "role_grant_requests",
  {
    id: id(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: roleEnum("role").notNull(),
    siteId: uuid("site_id")
      .notNull()
      .references(() => sites.id, { onDelete: "cascade" }),
    requestedBy: uuid("requested_by")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    requestedAt: timestamp("requested_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    index("role_grant_requests_site_idx").on(t.siteId),
    unique("role_grant_requests_user_role_site_key").on(t.userId, t.role, t.siteId),
  ],
);
