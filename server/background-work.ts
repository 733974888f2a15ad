import type { Database } from "@/db/client";
import { getHubConfig } from "@/server/config";
import { advanceJobs } from "@/server/jobs/job-coordinator";
import { errorFields, getLogger } from "@/server/observability/logger";
import { sweepExpiredTasks } from "@/server/tasks/lease-sweep";

// On globalThis: Next.js may load this module once for instrumentation.ts and again for the route
// handlers, and /api/ready must see the timers instrumentation.ts started.
const globalForWork = globalThis as unknown as { flipBackgroundTimers?: WeakMap<Database, NodeJS.Timeout[]> };
const timers = (globalForWork.flipBackgroundTimers ??= new WeakMap<Database, NodeJS.Timeout[]>());

function every(ms: number, label: string, run: () => Promise<unknown>): NodeJS.Timeout {
  let isRunning = false;
  const timer = setInterval(() => {
    // A slow pass (a big aggregation) must not pile up behind itself.
    if (isRunning) return;
    isRunning = true;
    run()
      .catch((error: unknown) => getLogger().error({ work: label, err: errorFields(error) }, "background pass failed"))
      .finally(() => (isRunning = false));
  }, ms);
  timer.unref();
  return timer;
}

/**
 * Starts this process's periodic work (once per database handle): the sweep of expired leases
 * and the job coordinator. The portal starts it at start-up (instrumentation.ts) and again, as a
 * no-op, on worker traffic. Several portal processes may run both against one database; each pass
 * is safe to run concurrently (a conditional UPDATE; row locks with SKIP LOCKED).
 */
export function ensureBackgroundWork(db: Database): void {
  if (timers.has(db)) return;
  const config = getHubConfig();
  timers.set(db, [
    every(config.FLIP_LEASE_SWEEP_MS, "lease-sweeper", () => sweepExpiredTasks(db)),
    // Round deadlines and dropouts show on the job page within FLIP_JOB_TICK_MS.
    every(config.FLIP_JOB_TICK_MS, "job-coordinator", () => advanceJobs(db)),
  ]);
}

/** True while this process runs the periodic work for `db` (the readiness check asks). */
export function isBackgroundWorkRunning(db: Database): boolean {
  return timers.has(db);
}

/** Stops the periodic work for `db`. @internal for tests; a portal process runs it until it exits. */
export function stopBackgroundWork(db: Database): void {
  for (const timer of timers.get(db) ?? []) clearInterval(timer);
  timers.delete(db);
}
