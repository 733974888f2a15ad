import type pg from "pg";
import type { Database } from "@/db/client";

/**
 * Wakes long-polling claims when a task is queued for their site. One dedicated connection per
 * portal process LISTENs on TASK_CHANNEL; NOTIFY is sent in the enqueuing transaction, so every
 * portal process on the database hears it on commit. If the connection drops, every waiter is
 * woken (they re-check the queue) and the listener reconnects.
 */
export const TASK_CHANNEL = "flip_site_task";

type Waiter = () => void;

class TaskNotifier {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private client: pg.PoolClient | null = null;
  private connecting: Promise<void> | null = null;
  private isClosed = false;

  constructor(private readonly pool: pg.Pool) {}

  ready(): Promise<void> {
    if (this.client) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const client = await this.pool.connect();
    client.on("notification", (msg) => {
      if (msg.channel === TASK_CHANNEL && msg.payload) this.wake(msg.payload);
    });
    const onLost = () => {
      if (this.client !== client) return;
      this.client = null;
      client.release(true);
      this.wakeAll();
      if (!this.isClosed) setTimeout(() => void this.ready().catch(() => undefined), 1_000).unref();
    };
    client.on("error", onLost);
    client.on("end", onLost);
    await client.query(`LISTEN ${TASK_CHANNEL}`);
    this.client = client;
  }

  /** Registers interest before the caller checks the queue, so a NOTIFY in between is not missed. */
  subscribe(siteId: string): { wait: (ms: number, signal?: AbortSignal) => Promise<void>; dispose: () => void } {
    let resolveWake: () => void = () => undefined;
    let isWoken = false;
    const woken = new Promise<void>((resolve) => {
      resolveWake = resolve;
    });
    const waiter = () => {
      isWoken = true;
      resolveWake();
    };
    const set = this.waiters.get(siteId) ?? new Set<Waiter>();
    set.add(waiter);
    this.waiters.set(siteId, set);
    const dispose = () => {
      set.delete(waiter);
      if (set.size === 0 && this.waiters.get(siteId) === set) this.waiters.delete(siteId);
    };
    const wait = (ms: number, signal?: AbortSignal) => {
      if (isWoken || signal?.aborted) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        void woken.then(done);
        signal?.addEventListener("abort", done, { once: true });
      });
    };
    return { wait, dispose };
  }

  private wake(siteId: string) {
    for (const waiter of this.waiters.get(siteId) ?? []) waiter();
  }

  private wakeAll() {
    for (const set of this.waiters.values()) for (const waiter of set) waiter();
  }

  async close(): Promise<void> {
    this.isClosed = true;
    const client = this.client;
    this.client = null;
    this.wakeAll();
    if (client) {
      await client.query(`UNLISTEN ${TASK_CHANNEL}`).catch(() => undefined);
      client.release();
    }
  }
}

const notifiers = new WeakMap<Database, TaskNotifier>();

export function getTaskNotifier(db: Database): TaskNotifier {
  let notifier = notifiers.get(db);
  if (!notifier) {
    notifier = new TaskNotifier(db.$client);
    notifiers.set(db, notifier);
  }
  return notifier;
}

/** Closes this database's LISTEN connection. @internal for tests, which open and drop many databases in one process. */
export async function closeTaskNotifier(db: Database): Promise<void> {
  await notifiers.get(db)?.close();
  notifiers.delete(db);
}
