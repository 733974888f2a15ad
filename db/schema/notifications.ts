import { index, integer, pgEnum, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns";
import { users } from "./users";

export const emailModeEnum = pgEnum("email_mode", ["immediate", "daily_digest"]);
export const emailStatusEnum = pgEnum("email_status", ["pending", "sent", "failed"]);

/** How a person wants their e-mail: one message per event (the default, without a row) or one digest a day. */
export const notificationSettings = pgTable("notification_settings", {
  userId: uuid("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  emailMode: emailModeEnum("email_mode").notNull().default("immediate"),
  updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
});

/**
 * E-mail waiting to be sent, written in the transaction of the change it tells of and sent after
 * commit by the background work (server/notifications/outbox-drain.ts), so a slow or failing mail
 * server never holds a transaction and a rolled-back change sends nothing. The address is read at
 * sending time.
 */
export const emailOutbox = pgTable(
  "email_outbox",
  {
    id: id(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    kind: text("kind").notNull(),
    subject: text("subject").notNull(),
    body: text("body").notNull(),
    status: emailStatusEnum("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    lastError: text("last_error"),
    sentAt: timestamp("sent_at", { withTimezone: true, mode: "date" }),
    createdAt: createdAt(),
  },
  (t) => [index("email_outbox_pending_idx").on(t.status, t.userId, t.createdAt)],
);

export type EmailMode = (typeof emailModeEnum.enumValues)[number];
