import { eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { notificationSettings } from "@/db/schema";
import { recordAudit } from "@/server/audit/audit.service";
import type { UserActor } from "@/server/auth/actor";
import { getHubConfig } from "@/server/config";
import type { TEmailModeInput } from "./notifications.schema";

export async function getNotificationSettings(db: Database, actor: UserActor) {
  const [row] = await db
    .select({ emailMode: notificationSettings.emailMode })
    .from(notificationSettings)
    .where(eq(notificationSettings.userId, actor.id));
  return {
    emailMode: row?.emailMode ?? "immediate",
    email: actor.email,
    isMailConfigured: !!getHubConfig().FLIP_SMTP_URL,
  };
}

export async function setEmailMode(db: Database, actor: UserActor, { emailMode }: TEmailModeInput) {
  await db.transaction(async (tx) => {
    await tx
      .insert(notificationSettings)
      .values({ userId: actor.id, emailMode })
      .onConflictDoUpdate({ target: notificationSettings.userId, set: { emailMode, updatedAt: new Date() } });
    await recordAudit(tx, {
      actor,
      action: "notifications.email_mode_set",
      subject: `user:${actor.email}`,
      details: { emailMode },
    });
  });
}
