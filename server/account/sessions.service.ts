import type { Database } from "@/db/client";
import { recordAudit } from "@/server/audit/audit.service";
import type { UserActor } from "@/server/auth/actor";
import type { Viewer } from "@/server/auth/permissions";
import { endSessions, listUserSessions } from "@/server/auth/sessions";
import type { TEndSessionInput } from "./account.schema";

/** The viewer's sessions for their account page; `current` marks the browser asking. */
export async function listOwnSessions(db: Database, viewer: Viewer) {
  const rows = await listUserSessions(db, viewer.id);
  return rows.map((row) => ({ ...row, current: row.id === viewer.session?.id }));
}

/**
 * Ends one of the viewer's own sessions (another browser, or this one). A session that has already
 * ended, or is someone else's, is left alone: `ended` is false and nothing is recorded.
 */
export async function endOwnSession(db: Database, viewer: UserActor, { sessionId }: TEndSessionInput) {
  return db.transaction(async (tx) => {
    const ended = await endSessions(tx, { sessionId, userId: viewer.id, reason: "signed_out_elsewhere" });
    if (ended) await recordAudit(tx, { actor: viewer, action: "session.ended", subject: `user:${viewer.email}` });
    return { ended: ended > 0 };
  });
}

/** "Sign out everywhere": every live session of the viewer ends, this browser's too. */
export async function endAllOwnSessions(db: Database, viewer: UserActor) {
  return db.transaction(async (tx) => {
    const ended = await endSessions(tx, { userId: viewer.id, reason: "signed_out_elsewhere" });
    await recordAudit(tx, {
      actor: viewer,
      action: "session.signed_out_everywhere",
      subject: `user:${viewer.email}`,
      details: { sessions: ended },
    });
    return { ended };
  });
}
