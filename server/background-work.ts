import type pg from "pg";
import type { Database } from "@/db/client";
import { getHubConfig } from "@/server/config";
import { advanceJobs } from "@/server/jobs/job-coordinator";
import { getRoundExchange } from "@/server/jobs/round-exchange";
import { errorFields, getLogger } from "@/server/observability/logger";
import { getMailer } from "@/server/notifications/mailer";
import { drainOutbox } from "@/server/notifications/outbox-drain";
import { sweepExpiredTasks } from "@/server/tasks/lease-sweep";

// On globalThis: Next.js may load this module once for instrumentation.ts and again for the route
// handlers, and /api/ready must see the timers instrumentation.ts started.
const globalForWork = globalThis as unknown as {
  flipBackgroundTimers?: WeakMap<Database, NodeJS.Timeout[]>;
  flipBackgroundLeaders?: WeakMap<Database, Leadership>;
};
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

const OUTBOX_DRAIN_MS = 10_000;

// "FLPL": held by the one portal process that runs the lease sweeper and the job coordinator.
const LEADER_LOCK = 0x464c504c;

/**
 * Leadership of the periodic work across portal processes: a session advisory lock on a dedicated
 * connection. Whoever holds it runs the passes; the others try again every pass, and take over
 * within one pass of the leader's connection ending (a crash, a deploy).
 */
class Leadership {
  private client: pg.PoolClient | null = null;
  private isHeld = false;
  private isReleased = false;

  constructor(private readonly pool: pg.Pool) {}

  async isLeader(): Promise<boolean> {
    if (this.isHeld) return true;
    if (!this.client) {
      const client = await this.pool.connect();
      // Stopped while connecting: this connection must not go on to take the lock nobody would use.
      if (this.isReleased) {
        client.release();
        return false;
      }
      const onLost = () => {
        if (this.client !== client) return;
        this.client = null;
        this.isHeld = false;
        client.release(true);
      };
      client.on("error", onLost);
      client.on("end", onLost);
      this.client = client;
    }
    const { rows } = await this.client.query<{ held: boolean }>("SELECT pg_try_advisory_lock($1) AS held", [
      LEADER_LOCK,
    ]);
    this.isHeld = rows[0]?.held ?? false;
    return this.isHeld;
  }

  get isLeading(): boolean {
    return this.isHeld;
  }

  release(): void {
    this.isReleased = true;
    // Ending the session releases the lock, so another process leads from its next pass.
    this.client?.release(true);
    this.client = null;
    this.isHeld = false;
  }
}

const leaders = (globalForWork.flipBackgroundLeaders ??= new WeakMap<Database, Leadership>());

/**
 * Starts this process's periodic work (once per database handle): the sweep of expired leases,
 * the job coordinator and the e-mail outbox; and its round exchange (listening for round parts,
 * holding its liveness lock). The portal starts it at start-up (instrumentation.ts) and again, as a
 * no-op, on worker traffic. Several portal processes may run against one database: exactly one
 * of them (the holder of LEADER_LOCK) runs the passes at a time; each pass would also be safe
 * concurrently (a conditional UPDATE; row locks with SKIP LOCKED), this just does the work once.
 */
export function ensureBackgroundWork(db: Database): void {
  if (timers.has(db)) return;
  const config = getHubConfig();
  // Alive to the other portal processes from start-up, not from its first update: a process one
  // update short of closing a round writes its part early only while it sees another alive
  // (round-exchange.ts, publishEarly), and the last update may reach this one.
  getRoundExchange(db)
    .ready()
    .catch((error: unknown) =>
      getLogger().warn({ work: "round-partials", err: errorFields(error) }, "not yet listening for round parts"),
    );
  const leadership = new Leadership(db.$client);
  leaders.set(db, leadership);
  const led = (run: () => Promise<unknown>) => async () => {
    if (await leadership.isLeader()) await run();
  };
  timers.set(db, [
    every(
      config.FLIP_LEASE_SWEEP_MS,
      "lease-sweeper",
      led(() => sweepExpiredTasks(db)),
    ),
    // Round deadlines and dropouts show on the job page within FLIP_JOB_TICK_MS.
    every(
      config.FLIP_JOB_TICK_MS,
      "job-coordinator",
      led(() => advanceJobs(db)),
    ),
    // E-mail leaves after the change that queued it committed, never inside its transaction.
    every(
      OUTBOX_DRAIN_MS,
      "email-outbox",
      led(async () => {
        const mailer = getMailer();
        if (mailer) await drainOutbox(db, mailer);
      }),
    ),
  ]);
}

/** Whether this process currently runs the periodic work for the whole network. @internal for tests. */
export function isBackgroundLeader(db: Database): boolean {
  return leaders.get(db)?.isLeading ?? false;
}

/** True while this process runs the periodic work for `db` (the readiness check asks). */
export function isBackgroundWorkRunning(db: Database): boolean {
  return timers.has(db);
}

/** Stops the periodic work for `db`. @internal for tests; a portal process runs it until it exits. */
export function stopBackgroundWork(db: Database): void {
  for (const timer of timers.get(db) ?? []) clearInterval(timer);
  timers.delete(db);
  leaders.get(db)?.release();
  leaders.delete(db);
}
