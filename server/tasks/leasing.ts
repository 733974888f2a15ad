import type { Database } from "@/db/client";
import { siteTasks } from "@/db/schema";
import { sql } from "drizzle-orm";
import { recordAudits } from "@/server/audit/audit.service";
import { preparedSql } from "@/server/database/prepared";
import type { LeasedTask } from "@/protocol/contract";
import { governanceOfTasks } from "./task-governance";
import { getTaskNotifier } from "./task-notifier";
import { releaseTask, siteActor, subjectOf, toLeasedTask, type SiteRef } from "./tasks.service";

/*
 * How a site's worker gets its next task: a long-poll claim woken by NOTIFY, and the lease itself,
 * taken for every claim that woke in the same turn at once (ARCHITECTURE.md, "Task queue").
 */

/**
 * Atomically leases this site's oldest queued task, or returns null when there is none. Workers
 * claim through `claimTask`; tests lease directly.
 * @internal
 */
export async function leaseNextTask(db: Database, site: SiteRef): Promise<LeasedTask | null> {
  return (await leaseNextTasks(db, [site])).get(site.id) ?? null;
}

/**
 * Which of these sites have a task they could lease now: one prepared read, no transaction. Most
 * claims find nothing (an idle site's worker asks as its long poll starts and again as it ends),
 * and a lease that found nothing still cost a transaction of three round trips and a statement
 * planned afresh. A task queued just after this read is not missed: `claimTask` listens for its
 * site's notification before it leases, and tries again when it comes.
 */
async function sitesWithQueuedTasks(db: Database, batch: readonly SiteRef[]): Promise<Set<string>> {
  const rows = await preparedSql<{ id: string }>(
    db,
    "flip_sites_with_queued_tasks",
    () => sql`SELECT site.id FROM unnest(${sql.placeholder("siteIds")}::uuid[]) AS site(id)
      WHERE EXISTS (SELECT 1 FROM ${siteTasks} AS queued
        WHERE queued.site_id = site.id AND queued.status = 'queued'
          AND (queued.deadline_at IS NULL OR queued.deadline_at > now()))`,
  )({ siteIds: batch.map((s) => s.id) });
  return new Set(rows.map((r) => r.id));
}

/**
 * Leases the oldest queued task of each of several sites (each site once) in one transaction with
 * one append to the audit chain: when a round opens, every site's waiting claim wakes at once, and
 * one transaction per site would queue them one after another on the chain's lock. Sites with
 * nothing queued are left out first, without a transaction.
 */
async function leaseNextTasks(db: Database, sites: readonly SiteRef[]): Promise<Map<string, LeasedTask>> {
  const queued = await sitesWithQueuedTasks(db, sites);
  const batch = sites.filter((s) => queued.has(s.id));
  if (batch.length === 0) return new Map();
  return db.transaction(async (tx) => {
    const siteIds = batch.map((s) => sql`${s.id}`);
    const leased = await tx
      .update(siteTasks)
      .set({
        status: "leased",
        attempt: sql`${siteTasks.attempt} + 1`,
        leaseId: sql`gen_random_uuid()`,
        leasedAt: sql`now()`,
        leaseExpiresAt: sql`now() + ${siteTasks.leaseMs} * interval '1 millisecond'`,
        progress: 0,
        progressMessage: null,
      })
      .where(
        sql`${siteTasks.id} IN (
          SELECT next.id FROM unnest(ARRAY[${sql.join(siteIds, sql`, `)}]::uuid[]) AS site(id)
          CROSS JOIN LATERAL (
            SELECT queued.id FROM ${siteTasks} AS queued
            WHERE queued.site_id = site.id AND queued.status = 'queued'
              AND (queued.deadline_at IS NULL OR queued.deadline_at > now())
            ORDER BY queued.created_at, queued.id
            LIMIT 1
            FOR UPDATE SKIP LOCKED
          ) AS next
        )`,
      )
      .returning();
    const bySite = new Map<string, LeasedTask>();
    const governance = await governanceOfTasks(tx, leased);
    for (const task of leased) bySite.set(task.siteId, toLeasedTask(task, governance.get(task.id) ?? null));
    // Last: the audit chain's lock is held from here to commit.
    const siteOf = new Map(batch.map((s) => [s.id, s]));
    await recordAudits(
      tx,
      leased.map((task) => ({
        actor: siteActor(siteOf.get(task.siteId)!),
        action: "task.leased",
        subject: subjectOf(task.id),
        details: { kind: task.kind, attempt: task.attempt },
      })),
    );
    return bySite;
  });
}

type WaitingClaim = { site: SiteRef; settle: (outcome: Promise<LeasedTask | null>) => void };

/**
 * Claims that arrive in the same turn of the event loop (a round opening wakes them together) are
 * leased together by `leaseNextTasks`. A second claim of a site already in a batch goes in the next one.
 */
class LeaseBatcher {
  private waiting: WaitingClaim[] = [];
  private isScheduled = false;

  constructor(private readonly db: Database) {}

  lease(site: SiteRef): Promise<LeasedTask | null> {
    return new Promise((resolve) => {
      this.waiting.push({ site, settle: resolve });
      this.schedule();
    });
  }

  private schedule() {
    if (this.isScheduled) return;
    this.isScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush() {
    this.isScheduled = false;
    const batch = new Map<string, WaitingClaim>();
    const later: WaitingClaim[] = [];
    for (const claim of this.waiting) {
      if (batch.has(claim.site.id)) later.push(claim);
      else batch.set(claim.site.id, claim);
    }
    this.waiting = later;
    if (later.length > 0) this.schedule();
    const leased = leaseNextTasks(
      this.db,
      [...batch.values()].map((c) => c.site),
    );
    for (const claim of batch.values()) claim.settle(leased.then((bySite) => bySite.get(claim.site.id) ?? null));
  }
}

const batchers = new WeakMap<Database, LeaseBatcher>();

/**
 * Long-poll claim: returns at once when work is queued, otherwise waits for a NOTIFY for this
 * site (or the deadline) and tries again.
 */
export async function claimTask(
  db: Database,
  site: SiteRef,
  { waitMs, signal }: { waitMs: number; signal?: AbortSignal },
): Promise<LeasedTask | null> {
  const notifier = getTaskNotifier(db);
  await notifier.ready();
  let batcher = batchers.get(db);
  if (!batcher) batchers.set(db, (batcher = new LeaseBatcher(db)));
  const deadline = Date.now() + waitMs;
  for (;;) {
    const subscription = notifier.subscribe(site.id);
    try {
      const task = await batcher.lease(site);
      if (task && signal?.aborted) {
        // The worker hung up while we leased: hand the task straight back rather than let the lease lapse.
        await releaseTask(db, site, task);
        return null;
      }
      if (task) return task;
      const remaining = deadline - Date.now();
      if (remaining <= 0 || signal?.aborted) return null;
      await subscription.wait(remaining, signal);
    } finally {
      subscription.dispose();
    }
  }
}
