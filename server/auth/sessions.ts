import { and, desc, eq, gt, isNull, lt, ne, sql, type Placeholder } from "drizzle-orm";
import type { Database, DbOrTx } from "@/db/client";
import { userSessions, type SessionEndReason, type SignInMethod } from "@/db/schema";
import { getHubConfig } from "@/server/config";

/** last_seen_at is written at most this often per session, so browsing costs no write per request. */
const TOUCH_EVERY_MS = 60_000;

export type SessionState = { id: string; createdAt: Date; factorVerifiedAt: Date | null };

function limits() {
  const config = getHubConfig();
  return { idleMs: config.FLIP_SESSION_IDLE_MINUTES * 60_000, maxMs: config.FLIP_SESSION_MAX_HOURS * 3_600_000 };
}

/** Records a new sign-in and returns the session's id, which the session cookie carries. */
export async function startSession(
  db: DbOrTx,
  input: { userId: string; method: SignInMethod; userAgent?: string | null; ipAddress?: string | null },
): Promise<string> {
  const [row] = await db
    .insert(userSessions)
    .values({
      userId: input.userId,
      method: input.method,
      userAgent: input.userAgent?.slice(0, 512) ?? null,
      ipAddress: input.ipAddress ?? null,
      expiresAt: new Date(Date.now() + limits().maxMs),
    })
    .returning({ id: userSessions.id });
  return row!.id;
}

/** The columns of a session row that decide whether it is still live; selected with the viewer in one query. */
export const liveSessionColumns = {
  id: userSessions.id,
  createdAt: userSessions.createdAt,
  lastSeenAt: userSessions.lastSeenAt,
  expiresAt: userSessions.expiresAt,
  factorVerifiedAt: userSessions.factorVerifiedAt,
};

/** The conditions that find a session row that has not ended, of this user. */
export function openSessionWhere({
  userId,
  sessionId,
}: {
  userId: string | Placeholder;
  sessionId: string | Placeholder;
}) {
  return and(eq(userSessions.id, sessionId), eq(userSessions.userId, userId), isNull(userSessions.endedAt));
}

export type SessionTimes = {
  id: string;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  factorVerifiedAt: Date | null;
};

/**
 * Whether `keepSessionAlive` would write for this row now: to end it (past its lifetime or idle
 * timeout) or to move last_seen_at on. A row that needs neither is live as it stands.
 */
export function needsSessionWrite(row: SessionTimes, now = Date.now()): boolean {
  return now >= row.expiresAt.getTime() || now - row.lastSeenAt.getTime() >= Math.min(TOUCH_EVERY_MS, limits().idleMs);
}

/**
 * The session if it is still live, or null. A session past its idle timeout or absolute lifetime is
 * ended here (with that reason, for the user's session list); a live one has last_seen_at moved on.
 */
export async function keepSessionAlive(db: DbOrTx, row: SessionTimes): Promise<SessionState | null> {
  const now = Date.now();
  const lapsed: SessionEndReason | null =
    now >= row.expiresAt.getTime()
      ? "expired"
      : now - row.lastSeenAt.getTime() >= limits().idleMs
        ? "idle_timeout"
        : null;
  if (lapsed) {
    await endSessions(db, { sessionId: row.id, reason: lapsed });
    return null;
  }
  if (now - row.lastSeenAt.getTime() >= TOUCH_EVERY_MS)
    await db
      .update(userSessions)
      .set({ lastSeenAt: new Date(now) })
      .where(and(eq(userSessions.id, row.id), lt(userSessions.lastSeenAt, new Date(now - TOUCH_EVERY_MS))));
  return { id: row.id, createdAt: row.createdAt, factorVerifiedAt: row.factorVerifiedAt };
}

/**
 * Ends one session (`sessionId`), or every live session of a user (`userId`), optionally sparing
 * one (`except`, the browser that asked). Returns how many ended.
 */
export async function endSessions(
  db: DbOrTx,
  target: ({ sessionId: string; userId?: string } | { userId: string; except?: string }) & { reason: SessionEndReason },
): Promise<number> {
  const scope =
    "sessionId" in target
      ? and(eq(userSessions.id, target.sessionId), target.userId ? eq(userSessions.userId, target.userId) : undefined)
      : and(eq(userSessions.userId, target.userId), target.except ? ne(userSessions.id, target.except) : undefined);
  const ended = await db
    .update(userSessions)
    .set({ endedAt: new Date(), endedReason: target.reason })
    .where(and(scope, isNull(userSessions.endedAt)))
    .returning({ id: userSessions.id });
  return ended.length;
}

/** Marks that this session has just proved a second factor (at sign-in or for a step-up). */
export async function recordFactorVerified(db: DbOrTx, sessionId: string): Promise<void> {
  await db.update(userSessions).set({ factorVerifiedAt: new Date() }).where(eq(userSessions.id, sessionId));
}

/** A user's sessions, live ones first, then the most recent ended ones (the last 30 days). */
export async function listUserSessions(db: Database, userId: string) {
  return db
    .select({
      id: userSessions.id,
      method: userSessions.method,
      userAgent: userSessions.userAgent,
      ipAddress: userSessions.ipAddress,
      createdAt: userSessions.createdAt,
      lastSeenAt: userSessions.lastSeenAt,
      expiresAt: userSessions.expiresAt,
      endedAt: userSessions.endedAt,
      endedReason: userSessions.endedReason,
    })
    .from(userSessions)
    .where(and(eq(userSessions.userId, userId), gt(userSessions.createdAt, sql`now() - interval '30 days'`)))
    .orderBy(sql`${userSessions.endedAt} is not null`, desc(userSessions.lastSeenAt))
    .limit(50);
}
