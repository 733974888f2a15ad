import { and, eq, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { projectMembers, projects } from "@/db/schema";
import { notifiedCacheOf } from "@/server/database/notified-cache";
import { prepared } from "@/server/database/prepared";

const membershipQuery = (db: Database, name: string) =>
  db
    .select({ role: projectMembers.role, status: projects.status, title: projects.title })
    .from(projectMembers)
    .innerJoin(projects, eq(projects.id, projectMembers.projectId))
    .where(
      and(
        eq(projectMembers.projectId, sql.placeholder("projectId")),
        eq(projectMembers.userId, sql.placeholder("userId")),
      ),
    )
    .prepare(name);

export type Membership = Readonly<Awaited<ReturnType<ReturnType<typeof membershipQuery>["execute"]>>[number]>;

/**
 * The user's role in the project with the project's status and title, or null for a non-member.
 * Every project procedure asks, so for reads this process keeps a member's answer
 * (`notified-cache.ts`, on the viewers' channel: a change to the membership or to the project's
 * status or title notifies each member); a change (`isForChange`) is always decided on the row as
 * it is now, and a non-member's answer is never kept.
 */
export async function membershipOf(
  db: Database,
  { userId, projectId, isForChange }: { userId: string; projectId: string; isForChange: boolean },
): Promise<Membership | null> {
  const cache = notifiedCacheOf<Membership>(db, "flip_viewer", "membership");
  const key = `${userId}/${projectId}`;
  const kept = isForChange ? undefined : cache.get(key, userId);
  if (kept) return kept;
  const ticket = cache.ticket();
  const [membership] = await prepared(db, "flip_project_membership", membershipQuery).execute({ projectId, userId });
  if (!membership) return null;
  const frozen = Object.freeze(membership);
  cache.put(ticket, key, userId, frozen);
  return frozen;
}
