import { eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { roleGrants, sites, users } from "@/db/schema";
import type { Viewer } from "./permissions";
import { hasUsableFactor, secondFactorDue } from "./second-factor";
import { resumeSession, type SessionState } from "./sessions";

/**
 * Loads the signed-in user's current state from the database. Returns null when the user no longer
 * exists, is disabled, or signed in before their password last changed or their account was last
 * disabled: such a session is over, even once the account is enabled again. `secondFactor` says
 * what `session` still owes (without a session, nothing has been proved).
 */
export async function loadViewer(
  db: Database,
  userId: string,
  signedInAt: number,
  session?: SessionState,
): Promise<Viewer | null> {
  const rows = await db
    .select({
      id: users.id,
      email: users.email,
      name: users.name,
      mustChangePassword: users.mustChangePassword,
      disabled: users.disabled,
      passwordChangedAt: users.passwordChangedAt,
      sessionsRevokedAt: users.sessionsRevokedAt,
      hasFactor: hasUsableFactor(users.id),
      grantId: roleGrants.id,
      role: roleGrants.role,
      siteId: roleGrants.siteId,
      siteCode: sites.code,
      siteName: sites.name,
    })
    .from(users)
    .leftJoin(roleGrants, eq(roleGrants.userId, users.id))
    .leftJoin(sites, eq(sites.id, roleGrants.siteId))
    .where(eq(users.id, userId));
  const user = rows[0];
  if (!user || user.disabled) return null;
  const validFrom = Math.max(user.passwordChangedAt.getTime(), user.sessionsRevokedAt?.getTime() ?? 0);
  if (signedInAt < validFrom) return null;
  const grants = rows.flatMap((r) =>
    r.grantId && r.role
      ? [{ id: r.grantId, role: r.role, siteId: r.siteId, siteCode: r.siteCode, siteName: r.siteName }]
      : [],
  );
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    mustChangePassword: user.mustChangePassword,
    grants,
    // Without a session nothing has been proved: a caller that is not a browser session owes its factor.
    secondFactor: secondFactorDue({ grants, hasFactor: user.hasFactor, factorVerifiedAt: session?.factorVerifiedAt }),
    ...(session ? { session } : {}),
  };
}

/**
 * The viewer behind a browser session: null when the session has ended (signed out, idle, past its
 * lifetime, or ended by an account change) as well as for every reason `loadViewer` gives.
 */
export async function loadSessionViewer(
  db: Database,
  { userId, sessionId }: { userId: string; sessionId: string },
): Promise<Viewer | null> {
  const session = await resumeSession(db, { userId, sessionId });
  if (!session) return null;
  return loadViewer(db, userId, session.createdAt.getTime(), session);
}
