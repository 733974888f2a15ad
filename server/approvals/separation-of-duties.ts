import { and, eq } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { projectMembers, type ProjectRole } from "@/db/schema";
import { AppError } from "@/server/errors";

/*
 * Separation of duties: whoever works on a project cannot also be the one who lets it use a
 * Trust's data. Any membership counts (owner, member, viewer); another approver of the site decides.
 */

/** The person's role on the project, or null when they are not a member. */
export async function projectRoleOf(db: DbOrTx, userId: string, projectId: string): Promise<ProjectRole | null> {
  const [row] = await db
    .select({ role: projectMembers.role })
    .from(projectMembers)
    .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId)));
  return row?.role ?? null;
}

export function conflictOfInterestMessage(role: ProjectRole): string {
  return `You are a ${role} of this project, so you cannot decide on it: another approver for your site must.`;
}

/** Refuses a decision by a member of the project, inside the deciding transaction. */
export async function assertNotProjectMember(db: DbOrTx, userId: string, projectId: string): Promise<void> {
  const role = await projectRoleOf(db, userId, projectId);
  if (role) throw new AppError("FORBIDDEN", `${conflictOfInterestMessage(role)} Nothing was changed.`);
}
