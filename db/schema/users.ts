import { sql } from "drizzle-orm";
import {
  boolean,
  check,
  index,
  pgEnum,
  pgTable,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { createdAt, id, updatedAt } from "./columns";
import { sites } from "./sites";

export const roleEnum = pgEnum("role", ["researcher", "approver", "admin"]);

export const users = pgTable(
  "users",
  {
    id: id(),
    email: text("email").notNull(),
    name: text("name").notNull(),
    passwordHash: text("password_hash").notNull(),
    // Set when an admin issues a temporary password; the user must choose their own before anything else.
    mustChangePassword: boolean("must_change_password").notNull().default(false),
    // Sessions issued before this instant are refused, so a password change signs out other browsers.
    passwordChangedAt: timestamp("password_changed_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    disabled: boolean("disabled").notNull().default(false),
    // Sessions issued before this instant are refused: set when the account is disabled, so enabling it again revives none.
    sessionsRevokedAt: timestamp("sessions_revoked_at", { withTimezone: true, mode: "date" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("users_email_key").on(t.email)],
);

export const roleGrants = pgTable(
  "role_grants",
  {
    id: id(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: roleEnum("role").notNull(),
    siteId: uuid("site_id").references(() => sites.id, { onDelete: "restrict" }),
    grantedBy: uuid("granted_by").references(() => users.id, { onDelete: "set null" }),
    grantedAt: timestamp("granted_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    index("role_grants_user_idx").on(t.userId),
    // One grant per (user, role, site); NULLS NOT DISTINCT so a second global grant is a duplicate too.
    unique("role_grants_user_role_site_key").on(t.userId, t.role, t.siteId).nullsNotDistinct(),
    check(
      "role_grants_site_scope",
      sql`(${t.role} = 'approver' AND ${t.siteId} IS NOT NULL) OR (${t.role} <> 'approver' AND ${t.siteId} IS NULL)`,
    ),
  ],
);

export type User = typeof users.$inferSelect;
export type Role = (typeof roleEnum.enumValues)[number];
