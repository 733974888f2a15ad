import { and, eq, inArray, ne } from "drizzle-orm";
import type { Tx } from "@/db/client";
import { emailOutbox, roleGrants, users } from "@/db/schema";

export type OutboxMail = { kind: string; subject: string; body: string };

/** Queues one e-mail per person in the caller's transaction: it is sent after commit, or never if the change rolls back. */
export async function queueEmails(tx: Tx, userIds: readonly string[], mail: OutboxMail): Promise<void> {
  if (userIds.length === 0) return;
  // One line: a subject is a header, and user text (a project title) must not start another one.
  const subject = mail.subject.replace(/[\r\n]+/g, " ").slice(0, 250);
  await tx.insert(emailOutbox).values([...new Set(userIds)].map((userId) => ({ userId, ...mail, subject })));
}

/** The site's approvers with an enabled account, bar `except` (who acted and knows). */
export async function siteApproverIds(tx: Tx, siteIds: readonly string[], except?: string) {
  if (siteIds.length === 0) return [];
  return tx
    .select({ userId: users.id, siteId: roleGrants.siteId })
    .from(roleGrants)
    .innerJoin(users, eq(users.id, roleGrants.userId))
    .where(
      and(
        eq(roleGrants.role, "approver"),
        inArray(roleGrants.siteId, [...siteIds]),
        eq(users.disabled, false),
        except ? ne(users.id, except) : undefined,
      ),
    );
}
