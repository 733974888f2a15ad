import type { Viewer } from "@/server/auth/permissions";
import type { AuditActor } from "./audit.service";

export function userActor(viewer: Pick<Viewer, "id" | "email">): AuditActor {
  return { type: "user", id: viewer.id, label: viewer.email };
}
