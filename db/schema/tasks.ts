import { index, integer, jsonb, pgEnum, pgTable, text, timestamp, uuid, type AnyPgColumn } from "drizzle-orm/pg-core";
import type { TaskKind } from "@/protocol/contract";
import type { TaskPayload, TaskResult } from "@/protocol/tasks";
import { createdAt, id, updatedAt } from "./columns";
import { projectRevisions } from "./projects";
import { sites } from "./sites";
import { users } from "./users";

export const taskStatusEnum = pgEnum("task_status", ["queued", "leased", "done", "failed", "expired", "cancelled"]);

/** One unit of work for one site, leased to that site's worker. */
export const siteTasks = pgTable(
  "site_tasks",
  {
    id: id(),
    siteId: uuid("site_id")
      .notNull()
      .references(() => sites.id, { onDelete: "cascade" }),
    kind: text("kind").$type<TaskKind>().notNull(),
    // The payload and result of the task's kind (protocol/contract.ts TASK_SCHEMAS); narrow with isTaskOfKind.
    payload: jsonb("payload").$type<TaskPayload>().notNull(),
    status: taskStatusEnum("status").notNull().default("queued"),
    // Leases handed out so far; a lease that expires counts as a used attempt.
    attempt: integer("attempt").notNull().default(0),
    maxAttempts: integer("max_attempts").notNull().default(3),
    leaseMs: integer("lease_ms").notNull().default(60_000),
    // A fresh id per lease: only the current holder may report on the task.
    leaseId: uuid("lease_id"),
    leasedAt: timestamp("leased_at", { withTimezone: true, mode: "date" }),
    leaseExpiresAt: timestamp("lease_expires_at", { withTimezone: true, mode: "date" }),
    // Queued work not claimed by then expires (e.g. a round deadline).
    deadlineAt: timestamp("deadline_at", { withTimezone: true, mode: "date" }),
    progress: integer("progress").notNull().default(0),
    progressMessage: text("progress_message"),
    result: jsonb("result").$type<TaskResult>(),
    failureCode: text("failure_code"),
    failureMessage: text("failure_message"),
    // The revision a project task runs under: the site is sent its bundle and its signed approval with the task.
    revisionId: uuid("revision_id").references((): AnyPgColumn => projectRevisions.id, { onDelete: "set null" }),
    requestedBy: uuid("requested_by").references(() => users.id, { onDelete: "set null" }),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("site_tasks_claim_idx").on(t.siteId, t.status, t.createdAt),
    index("site_tasks_lease_expiry_idx").on(t.status, t.leaseExpiresAt),
  ],
);

export type SiteTask = typeof siteTasks.$inferSelect;
