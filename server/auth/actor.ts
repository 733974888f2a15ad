/**
 * Who a service acts for, and who the audit log records. Every service takes it second:
 * `(db, actor, input)`.
 *
 * - A person: the signed-in viewer or any user row fits as it is (`{ id, email }`; `type` may be
 *   left out). Services that only a person may call (create a project, decide an approval) take
 *   `UserActor`.
 * - A site worker, named by its site code.
 * - The hub itself (`{ type: "system", label: "lease-sweeper" }`), for background work, the demo
 *   launcher and tests.
 */
export type Actor = UserActor | { type: "site"; id: string; label: string } | { type: "system"; label: string };

/** The person variant of `Actor`. */
export type UserActor = { type?: "user"; id: string; email: string };

/** The audit log's columns for an actor. */
export function auditIdentity(actor: Actor): { type: "user" | "site" | "system"; id: string | null; label: string } {
  switch (actor.type) {
    case "system":
      return { type: "system", id: null, label: actor.label };
    case "site":
      return { type: "site", id: actor.id, label: actor.label };
    default:
      return { type: "user", id: actor.id, label: actor.email };
  }
}
