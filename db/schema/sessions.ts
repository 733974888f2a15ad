import { index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns";
import { users } from "./users";

export const SIGN_IN_METHODS = ["password", "sso", "passkey"] as const;
export type SignInMethod = (typeof SIGN_IN_METHODS)[number];

export const SESSION_END_REASONS = [
  "signed_out",
  "signed_out_elsewhere",
  "idle_timeout",
  "expired",
  "password_changed",
  "account_disabled",
  "factors_reset",
] as const;
export type SessionEndReason = (typeof SESSION_END_REASONS)[number];

/**
 * One row per browser sign-in. The session cookie carries only this row's id (inside the signed
 * JWT); every request checks the row, so a session ends for real when it is signed out, idles past
 * the idle timeout, reaches its absolute lifetime, or its account changes.
 */
export const userSessions = pgTable(
  "user_sessions",
  {
    id: id(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    method: text("method", { enum: SIGN_IN_METHODS }).notNull(),
    userAgent: text("user_agent"),
    ipAddress: text("ip_address"),
    createdAt: createdAt(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
    // When this session last proved a second factor (sign-in or step-up); null until it has.
    factorVerifiedAt: timestamp("factor_verified_at", { withTimezone: true, mode: "date" }),
    endedAt: timestamp("ended_at", { withTimezone: true, mode: "date" }),
    endedReason: text("ended_reason", { enum: SESSION_END_REASONS }),
  },
  (t) => [index("user_sessions_user_idx").on(t.userId, t.endedAt)],
);
