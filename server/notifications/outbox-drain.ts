import { and, asc, eq, inArray, lte, min, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { emailOutbox, notificationSettings, users } from "@/db/schema";
import { getLogger } from "@/server/observability/logger";
import type { Mailer } from "./mailer";

const BATCH = 50;
const MAX_ATTEMPTS = 8;
const DAY_MS = 24 * 60 * 60 * 1000;

type Pending = { id: string; userId: string; subject: string; body: string; attempts: number };

/** First retry after a minute, doubling up to six hours. */
const retryDelayMs = (attempts: number) => Math.min(60_000 * 2 ** (attempts - 1), 6 * 60 * 60 * 1000);

/**
 * Sends what the outbox holds, outside any transaction: each person on immediate mail gets one
 * message per notice; a person on the daily digest gets everything that waited in one message once
 * their oldest waiting notice is a day old, so at most one a day. A refused or unreachable send is
 * retried with backoff and given up after MAX_ATTEMPTS. Run by the leader's background work; a
 * leader that stops between sending and recording may send a message twice, never lose one.
 */
export async function drainOutbox(db: Database, mailer: Mailer, now = new Date()) {
  let sent = 0;
  const mode = sql`coalesce(${notificationSettings.emailMode}, 'immediate')`;
  const pending = {
    id: emailOutbox.id,
    userId: emailOutbox.userId,
    subject: emailOutbox.subject,
    body: emailOutbox.body,
    attempts: emailOutbox.attempts,
  };
  const due = and(eq(emailOutbox.status, "pending"), lte(emailOutbox.nextAttemptAt, now));
  const immediate = await db
    .select({ ...pending, email: users.email, disabled: users.disabled })
    .from(emailOutbox)
    .innerJoin(users, eq(users.id, emailOutbox.userId))
    .leftJoin(notificationSettings, eq(notificationSettings.userId, emailOutbox.userId))
    .where(and(due, sql`${mode} = 'immediate'`))
    .orderBy(asc(emailOutbox.createdAt))
    .limit(BATCH);
  for (const mail of immediate)
    if (await deliver(db, mailer, now, [mail], mail, { to: mail.email, subject: mail.subject, text: mail.body }))
      sent++;

  const digestUsers = await db
    .select({ userId: emailOutbox.userId, email: users.email, disabled: users.disabled })
    .from(emailOutbox)
    .innerJoin(users, eq(users.id, emailOutbox.userId))
    .innerJoin(notificationSettings, eq(notificationSettings.userId, emailOutbox.userId))
    .where(and(due, eq(notificationSettings.emailMode, "daily_digest")))
    .groupBy(emailOutbox.userId, users.email, users.disabled)
    .having(lte(min(emailOutbox.createdAt), new Date(now.getTime() - DAY_MS)))
    .limit(BATCH);
  for (const user of digestUsers) {
    const items = await db
      .select(pending)
      .from(emailOutbox)
      .where(and(eq(emailOutbox.userId, user.userId), eq(emailOutbox.status, "pending")))
      .orderBy(asc(emailOutbox.createdAt));
    const text = [
      `${items.length} notice(s) from the FLIP portal since your last digest:`,
      ...items.map((item, i) => `\n${i + 1}. ${item.subject}\n${item.body}`),
    ].join("\n");
    if (
      await deliver(db, mailer, now, items, user, {
        to: user.email,
        subject: `Daily digest: ${items.length} notice(s)`,
        text,
      })
    )
      sent++;
  }
  return { sent };
}

/** Sends one message covering `items` and records the outcome on each of them. */
async function deliver(
  db: Database,
  mailer: Mailer,
  now: Date,
  items: Pending[],
  recipient: { disabled: boolean },
  message: { to: string; subject: string; text: string },
): Promise<boolean> {
  const ids = items.map((i) => i.id);
  if (recipient.disabled) {
    await db
      .update(emailOutbox)
      .set({ status: "failed", lastError: "The account is disabled." })
      .where(inArray(emailOutbox.id, ids));
    return false;
  }
  try {
    await mailer.send({ ...message, subject: `[FLIP] ${message.subject}` });
  } catch (error) {
    // The code and SMTP reply code only: a server's message may quote the address.
    const reason = describeSendError(error);
    const attempts = Math.max(...items.map((i) => i.attempts)) + 1;
    await db
      .update(emailOutbox)
      .set({
        attempts,
        lastError: reason,
        status: attempts >= MAX_ATTEMPTS ? "failed" : "pending",
        nextAttemptAt: new Date(now.getTime() + retryDelayMs(attempts)),
      })
      .where(inArray(emailOutbox.id, ids));
    getLogger().warn({ work: "email-outbox", reason, attempts, messages: ids.length }, "e-mail not sent");
    return false;
  }
  await db
    .update(emailOutbox)
    .set({ status: "sent", sentAt: now, attempts: sql`${emailOutbox.attempts} + 1` })
    .where(inArray(emailOutbox.id, ids));
  return true;
}

function describeSendError(error: unknown): string {
  const { code, responseCode } = (error ?? {}) as { code?: unknown; responseCode?: unknown };
  return [typeof code === "string" ? code : "ESEND", typeof responseCode === "number" ? `SMTP ${responseCode}` : null]
    .filter(Boolean)
    .join(" ");
}
