import { randomUUID } from "node:crypto";
import { and, desc, eq, sql } from "drizzle-orm";
import type { Database, DbOrTx, Tx } from "@/db/client";
import { siteTasks, type SiteTask } from "@/db/schema";
import type { Actor } from "@/server/auth/actor";
import { recordAudit, recordAudits } from "@/server/audit/audit.service";
import { AppError } from "@/server/errors";
import type { TaskPayload } from "@/protocol/tasks";
import { TASK_SCHEMAS, type FailureCode, type LeasedTask, type TaskKind } from "@/protocol/contract";
import { updatePath } from "@/protocol/training";
import { checkResultPolicy } from "./result-policy";
import type { TaskGovernance } from "@/protocol/signed-approval";
import { TASK_CHANNEL } from "./task-notifier";

export type SiteRef = { id: string; code: string };
export const siteActor = (site: SiteRef): Actor => ({ type: "site", id: site.id, label: site.code });
export const subjectOf = (taskId: string) => `task:${taskId}`;

export async function notifySite(tx: Tx, siteId: string) {
  await notifySites(tx, [siteId]);
}

export async function notifySites(tx: Tx, siteIds: readonly string[]) {
  // Delivered on commit to every portal process that LISTENs, waking those sites' waiting claims.
  const notices = [...new Set(siteIds)].map((siteId) => sql`pg_notify(${TASK_CHANNEL}, ${siteId})`);
  await tx.execute(sql`SELECT ${sql.join(notices, sql`, `)}`);
}

export type EnqueueInput = {
  siteId: string;
  siteCode: string;
  kind: TaskKind;
  payload: unknown;
  actor: Actor;
  requestedBy?: string | null;
  maxAttempts?: number;
  leaseMs?: number;
  deadlineAt?: Date | null;
  /** The project revision the task runs under; its bundle and the site's signed approval go with the task. */
  revisionId?: string | null;
};

/** Queues a task for one site inside the caller's transaction; the site's waiting worker wakes on commit. */
export async function enqueueTask(tx: Tx, input: EnqueueInput): Promise<SiteTask> {
  const [task] = await enqueueTasks(tx, [input]);
  return task!;
}

/**
 * Queues several tasks in one statement, each audited (one batch on the chain) and its site woken
 * on commit: a round dispatches to every site at once without a round trip per site.
 */
export async function enqueueTasks(tx: Tx, inputs: readonly EnqueueInput[]): Promise<SiteTask[]> {
  if (inputs.length === 0) return [];
  // Sites of a round share one payload object: it is checked once.
  const parsed = new Map<unknown, TaskPayload>();
  const ids = inputs.map(() => randomUUID());
  const tasks = await tx
    .insert(siteTasks)
    .values(
      inputs.map((input, i) => {
        if (!parsed.has(input.payload))
          parsed.set(input.payload, TASK_SCHEMAS[input.kind].payload.parse(input.payload));
        return {
          // Chosen here so each audit event names its own task whatever order RETURNING gives.
          id: ids[i]!,
          siteId: input.siteId,
          kind: input.kind,
          payload: parsed.get(input.payload)!,
          requestedBy: input.requestedBy ?? null,
          maxAttempts: input.maxAttempts ?? 3,
          leaseMs: input.leaseMs ?? 60_000,
          deadlineAt: input.deadlineAt ?? null,
          revisionId: input.revisionId ?? null,
        };
      }),
    )
    .returning();
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const ordered = ids.map((id) => byId.get(id)!);
  await recordAudits(
    tx,
    inputs.map((input, i) => ({
      actor: input.actor,
      action: "task.queued",
      subject: subjectOf(ordered[i]!.id),
      details: { kind: input.kind, site: input.siteCode },
    })),
  );
  await notifySites(
    tx,
    inputs.map((input) => input.siteId),
  );
  return ordered;
}

export function toLeasedTask(task: SiteTask, governance: TaskGovernance | null): LeasedTask {
  return {
    governance,
    taskId: task.id,
    leaseId: task.leaseId!,
    kind: task.kind,
    payload: task.payload,
    attempt: task.attempt,
    maxAttempts: task.maxAttempts,
    leaseExpiresAt: task.leaseExpiresAt!,
    leaseMs: task.leaseMs,
  };
}

/** Loads the task for update and checks the caller holds its current, unexpired lease. */
export async function lockLeasedTask(tx: Tx, site: SiteRef, taskId: string, leaseId: string): Promise<SiteTask> {
  return findLeasedTask(tx, site, taskId, leaseId, { lock: true });
}

/**
 * The same checks without a row lock: for refusing a call before it costs anything (reading an
 * upload's body, serving weights). A caller that changes the task must still take the lock.
 */
export async function checkLeasedTask(db: DbOrTx, site: SiteRef, taskId: string, leaseId: string): Promise<SiteTask> {
  return findLeasedTask(db, site, taskId, leaseId, { lock: false });
}

async function findLeasedTask(
  db: DbOrTx,
  site: SiteRef,
  taskId: string,
  leaseId: string,
  { lock }: { lock: boolean },
): Promise<SiteTask> {
  const query = db
    .select({ task: siteTasks, isLeaseLive: sql<boolean>`coalesce(${siteTasks.leaseExpiresAt} > now(), false)` })
    .from(siteTasks)
    .where(and(eq(siteTasks.id, taskId), eq(siteTasks.siteId, site.id)));
  const [row] = lock ? await query.for("update") : await query;
  const task = row?.task;
  // Another site's task looks exactly like a missing one.
  if (!task) throw new AppError("NOT_FOUND", `No task ${taskId} belongs to site ${site.code}.`);
  const refuse = (why: string) => new AppError("CONFLICT", `${why} Nothing was changed.`);
  switch (task.status) {
    case "done":
      throw refuse("This task was already completed; a repeated submission is not accepted.");
    case "cancelled":
      throw refuse("This task was cancelled by the hub.");
    case "failed":
    case "expired":
      throw refuse(`This task already ended as ${task.status}.`);
    case "queued":
      throw refuse("Your lease on this task expired and it went back to the queue.");
    case "leased":
      if (task.leaseId !== leaseId) throw refuse("Your lease on this task expired and the task was handed out again.");
      // Judged by the database clock, the same one that set the expiry.
      if (!row.isLeaseLive) throw refuse("Your lease on this task has expired.");
      return task;
  }
}

export async function renewLease(
  db: Database,
  site: SiteRef,
  input: { taskId: string; leaseId: string; percent: number; message?: string },
) {
  return db.transaction(async (tx) => {
    await lockLeasedTask(tx, site, input.taskId, input.leaseId);
    const [task] = await tx
      .update(siteTasks)
      .set({
        progress: Math.round(input.percent),
        progressMessage: input.message ?? null,
        leaseExpiresAt: sql`now() + ${siteTasks.leaseMs} * interval '1 millisecond'`,
      })
      .where(eq(siteTasks.id, input.taskId))
      .returning({ leaseExpiresAt: siteTasks.leaseExpiresAt });
    return { leaseExpiresAt: task!.leaseExpiresAt! };
  });
}

export async function completeTask(
  db: Database,
  site: SiteRef,
  input: { taskId: string; leaseId: string; result: unknown },
) {
  return db.transaction(async (tx) => {
    const task = await lockLeasedTask(tx, site, input.taskId, input.leaseId);
    const kind = task.kind;
    // A train task's result is only its update's label: without the update the round would count a site that sent nothing.
    if (kind === "train")
      throw new AppError(
        "BAD_REQUEST",
        `A train task completes only with its model update: POST it to ${updatePath(task.id)} with your lease. Nothing was changed.`,
      );
    const parsed = TASK_SCHEMAS[kind].result.safeParse(input.result);
    if (!parsed.success) {
      const detail = parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join(".") || "result"}: ${i.message}`)
        .join("; ");
      throw new AppError("BAD_REQUEST", `The ${kind} result is not valid (${detail}). Nothing was changed.`);
    }
    checkResultPolicy(kind, task.payload, parsed.data);
    await tx
      .update(siteTasks)
      .set({
        status: "done",
        result: parsed.data,
        progress: 100,
        leaseExpiresAt: null,
        finishedAt: sql`now()`,
        failureCode: null,
        failureMessage: null,
      })
      .where(eq(siteTasks.id, task.id));
    await recordAudit(tx, {
      actor: siteActor(site),
      action: "task.completed",
      subject: subjectOf(task.id),
      details: { kind, attempt: task.attempt },
    });
  });
}

export async function failTask(
  db: Database,
  site: SiteRef,
  input: { taskId: string; leaseId: string; code: FailureCode; message: string; retryable: boolean },
) {
  return db.transaction(async (tx) => {
    const task = await lockLeasedTask(tx, site, input.taskId, input.leaseId);
    const isRequeued = input.retryable && task.attempt < task.maxAttempts;
    await tx
      .update(siteTasks)
      .set({
        status: isRequeued ? "queued" : "failed",
        failureCode: input.code,
        failureMessage: input.message,
        leaseExpiresAt: null,
        finishedAt: isRequeued ? null : sql`now()`,
      })
      .where(eq(siteTasks.id, task.id));
    await recordAudit(tx, {
      actor: siteActor(site),
      action: isRequeued ? "task.requeued" : "task.failed",
      subject: subjectOf(task.id),
      details: { kind: task.kind, attempt: task.attempt, code: input.code, message: input.message },
    });
    if (isRequeued) await notifySite(tx, site.id);
    return { status: isRequeued ? ("queued" as const) : ("failed" as const) };
  });
}

/**
 * Puts completed tasks back in the queue with a fresh attempt, for work the hub lost after
 * accepting it (a round's update held by a portal process that stopped): the site does it again.
 */
/** A worker shutting down hands its task back; the lease it gives up does not count as an attempt. */
export async function releaseTask(db: Database, site: SiteRef, input: { taskId: string; leaseId: string }) {
  return db.transaction(async (tx) => {
    const task = await lockLeasedTask(tx, site, input.taskId, input.leaseId);
    await tx
      .update(siteTasks)
      .set({
        status: "queued",
        attempt: sql`greatest(${siteTasks.attempt} - 1, 0)`,
        leaseId: null,
        leaseExpiresAt: null,
        progress: 0,
        progressMessage: null,
      })
      .where(eq(siteTasks.id, task.id));
    await recordAudit(tx, {
      actor: siteActor(site),
      action: "task.released",
      subject: subjectOf(task.id),
      details: { kind: task.kind },
    });
    await notifySite(tx, site.id);
  });
}

export async function listSiteTasks(db: Database, { siteId, limit = 50 }: { siteId: string; limit?: number }) {
  return db
    .select({
      id: siteTasks.id,
      kind: siteTasks.kind,
      status: siteTasks.status,
      attempt: siteTasks.attempt,
      maxAttempts: siteTasks.maxAttempts,
      progress: siteTasks.progress,
      progressMessage: siteTasks.progressMessage,
      failureCode: siteTasks.failureCode,
      failureMessage: siteTasks.failureMessage,
      createdAt: siteTasks.createdAt,
      leasedAt: siteTasks.leasedAt,
      finishedAt: siteTasks.finishedAt,
    })
    .from(siteTasks)
    .where(eq(siteTasks.siteId, siteId))
    .orderBy(desc(siteTasks.createdAt))
    .limit(limit);
}
