import type { Database } from "@/db/client";
import { sweepExpiredTasks } from "./tasks.service";

const SWEEP_EVERY_MS = Number(process.env.FLIP_LEASE_SWEEP_MS ?? 5_000);
const sweepers = new WeakMap<Database, NodeJS.Timeout>();

/**
 * Starts this process's periodic sweep of expired leases on first worker traffic. Several portal
 * processes may sweep the same database; the sweep is a single conditional UPDATE, so that is safe.
 */
export function ensureLeaseSweeper(db: Database): void {
  if (sweepers.has(db)) return;
  const timer = setInterval(() => {
    sweepExpiredTasks(db).catch((error: unknown) => console.error("[lease-sweeper]", error instanceof Error ? error.message : error));
  }, SWEEP_EVERY_MS);
  timer.unref();
  sweepers.set(db, timer);
}

export function stopLeaseSweeper(db: Database): void {
  clearInterval(sweepers.get(db));
  sweepers.delete(db);
}
