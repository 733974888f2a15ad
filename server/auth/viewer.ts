import { eq, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { roleGrants, sites, userSessions, users } from "@/db/schema";
import { prepared } from "@/server/database/prepared";
import type { Viewer } from "./permissions";
import { hasUsableFactor, secondFactorDue } from "./second-factor";
import {
  keepSessionAlive,
  liveSessionColumns,
  needsSessionWrite,
  openSessionWhere,
  type SessionState,
  type SessionTimes,
} from "./sessions";
import { notifiedCacheOf } from "@/server/database/notified-cache";

const userColumns = {
  id: users.id,
  email: users.email,
  name: users.name,
  mustChangePassword: users.mustChangePassword,
  disabled: users.disabled,
  passwordChangedAt: users.passwordChangedAt,
  sessionsRevokedAt: users.sessionsRevokedAt,
  grantId: roleGrants.id,
  role: roleGrants.role,
  siteId: roleGrants.siteId,
  siteCode: sites.code,
  siteName: sites.name,
};
const viewerColumns = { ...userColumns, hasFactor: hasUsableFactor(users.id) };

type ViewerRow = { [K in keyof typeof userColumns]: (typeof userColumns)[K]["_"]["data"] | null } & {
  hasFactor: boolean | null;
};

/**
 * The user's rows (one per grant) as a viewer; null when the user no longer exists, is disabled, or
 * signed in before their password last changed or their account was last disabled: such a session
 * is over, even once the account is enabled again. `secondFactor` says what `session` still owes
 * (without a session, nothing has been proved).
 */
function viewerFrom(rows: ViewerRow[], signedInAt: number, session?: SessionState): Viewer | null {
  const user = rows[0];
  if (!user?.id || user.disabled) return null;
  const validFrom = Math.max(user.passwordChangedAt!.getTime(), user.sessionsRevokedAt?.getTime() ?? 0);
  if (signedInAt < validFrom) return null;
  const grants = rows.flatMap((r) =>
    r.grantId && r.role
      ? [{ id: r.grantId, role: r.role, siteId: r.siteId, siteCode: r.siteCode, siteName: r.siteName }]
      : [],
  );
  return {
    id: user.id,
    email: user.email!,
    name: user.name!,
    mustChangePassword: user.mustChangePassword!,
    grants,
    secondFactor: secondFactorDue({ grants, hasFactor: !!user.hasFactor, factorVerifiedAt: session?.factorVerifiedAt }),
    ...(session ? { session } : {}),
  };
}

/**
 * Loads the user's current state from the database, for a sign-in at `signedInAt` (see `viewerFrom`).
 *
 * @internal
 */
export async function loadViewer(db: Database, userId: string, signedInAt: number): Promise<Viewer | null> {
  const rows = await db
    .select(viewerColumns)
    .from(users)
    .leftJoin(roleGrants, eq(roleGrants.userId, users.id))
    .leftJoin(sites, eq(sites.id, roleGrants.siteId))
    .where(eq(users.id, userId));
  return viewerFrom(rows, signedInAt);
}

const sessionViewerQuery = (db: Database, name: string) =>
  db
    .select({ ...viewerColumns, session: liveSessionColumns })
    .from(userSessions)
    .innerJoin(users, eq(users.id, userSessions.userId))
    .leftJoin(roleGrants, eq(roleGrants.userId, users.id))
    .leftJoin(sites, eq(sites.id, roleGrants.siteId))
    .where(openSessionWhere({ userId: sql.placeholder("userId"), sessionId: sql.placeholder("sessionId") }))
    .prepare(name);

type KeptViewer = { viewer: Viewer; session: SessionTimes };

/**
 * The viewer behind a browser session: null when the session has ended (signed out, idle, past its
 * lifetime, or ended by an account change) as well as for every reason `viewerFrom` gives. One
 * query reads the session and the user with their grants, unless this process keeps the viewer
 * (`server/database/notified-cache.ts`: until anything it rests on changes) and its session needs no write (ending
 * at its idle timeout or lifetime, or last_seen_at moved on), which is decided from the row as read.
 * A kept viewer is frozen: every request of the session shares it.
 */
export async function loadSessionViewer(
  db: Database,
  { userId, sessionId }: { userId: string; sessionId: string },
): Promise<Viewer | null> {
  const cache = notifiedCacheOf<KeptViewer>(db, "flip_viewer");
  const kept = cache.get(sessionId, userId);
  if (kept && !needsSessionWrite(kept.session)) return kept.viewer;
  const ticket = cache.ticket();
  const rows = await prepared(db, "flip_session_viewer", sessionViewerQuery).execute({ userId, sessionId });
  if (!rows[0]) return null;
  const session = await keepSessionAlive(db, rows[0].session);
  if (!session) return null;
  const viewer = viewerFrom(rows, session.createdAt.getTime(), session);
  if (viewer) cache.put(ticket, sessionId, userId, { viewer: frozen(viewer), session: rows[0].session });
  return viewer;
}

function frozen(viewer: Viewer): Viewer {
  viewer.grants.forEach((grant) => Object.freeze(grant));
  Object.freeze(viewer.grants);
  if (viewer.session) Object.freeze(viewer.session);
  return Object.freeze(viewer);
}
