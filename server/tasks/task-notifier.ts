import type { Database } from "@/db/client";
import { changeFeedOf, type ChangeChannel, type ChangeFeed } from "@/server/database/change-feed";

/**
 * Wakes long-polling claims when a task is queued for their site. NOTIFY is sent in the enqueuing
 * transaction, so every portal process on the database hears it on commit, on the process's change
 * feed (`server/database/change-feed.ts`, the one listening connection it keeps outside the pool).
 * Whenever the feed stops or starts listening, every waiter is woken to check the queue again; while
 * it is not listening (its connection lost, or a connection pooler in transaction mode that delivers
 * no notifications), waiters check every UNHEARD_POLL_MS rather than sleep until their deadline.
 */
export const TASK_CHANNEL = "flip_site_task" satisfies ChangeChannel;
const UNHEARD_POLL_MS = 1_000;

type Waiter = () => void;

class TaskNotifier {
  private readonly waiters = new Map<string, Set<Waiter>>();

  constructor(private readonly feed: ChangeFeed) {
    feed.subscribe(TASK_CHANNEL, { onChange: (siteId) => this.wake(siteId), onReset: () => this.wakeAll() });
  }

  /** Resolves once the feed listens, or has failed to and will try again (waiters then poll). */
  ready(): Promise<void> {
    return this.feed.listen();
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
        // Nothing would wake it while the feed is deaf: the caller checks the queue again soon.
        const timer = setTimeout(resolve, this.feed.isListening ? ms : Math.min(ms, UNHEARD_POLL_MS));
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
}

const notifiers = new WeakMap<ChangeFeed, TaskNotifier>();

/** The claims' notifier on a change feed. @internal for tests, which give it a feed that cannot listen. */
export function taskNotifierOf(feed: ChangeFeed): TaskNotifier {
  let notifier = notifiers.get(feed);
  if (!notifier) {
    notifier = new TaskNotifier(feed);
    notifiers.set(feed, notifier);
  }
  return notifier;
}

export function getTaskNotifier(db: Database): TaskNotifier {
  return taskNotifierOf(changeFeedOf(db));
}
