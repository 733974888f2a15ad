import { index, pgTable, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import { id } from "./columns";
import { projectRoleEnum, projects } from "./projects";
import { users } from "./users";

/**
 * An owner's invitation to an email address. Whether the address has an account is never shown to
 * the owner: the person it names accepts it from their own projects page, and only then becomes a member.
 */
export const projectInvitations = pgTable(
  "project_invitations",
  {
    id: id(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    email: text("email").notNull(),
    role: projectRoleEnum("role").notNull(),
    invitedBy: uuid("invited_by").references(() => users.id, { onDelete: "set null" }),
    invitedAt: timestamp("invited_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    unique("project_invitations_project_email_key").on(t.projectId, t.email),
    index("project_invitations_email_idx").on(t.email),
  ],
);
