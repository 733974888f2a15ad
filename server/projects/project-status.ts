import type { ProjectStatus } from "@/db/schema";
import { AppError } from "@/server/errors";

/** The only moves a project's status may make; anything else is refused. */
const TRANSITIONS: Record<ProjectStatus, readonly ProjectStatus[]> = {
  draft: ["submitted", "closed"],
  // Active once a site approves the current revision; back to submitted when a new revision voids every approval.
  submitted: ["active", "closed"],
  active: ["submitted", "closed"],
  closed: [],
};

export function canTransition(from: ProjectStatus, to: ProjectStatus): boolean {
  return from === to || TRANSITIONS[from].includes(to);
}

export function assertTransition(from: ProjectStatus, to: ProjectStatus): void {
  if (!canTransition(from, to)) throw new AppError("PRECONDITION_FAILED", `A ${from} project cannot become ${to}.`);
}
