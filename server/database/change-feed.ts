import { randomUUID } from "node:crypto";
import pg from "pg";
import type { Database } from "@/db/client";
import { errorFields, getLogger } from "@/server/observability/logger";

/**
 * What a portal process hears of changes to the rows it keeps in memory (`notified-cache.ts`) and of
 * tasks queued for a site (`server/tasks/task-notifier.ts`): triggers (migration 0019) and the
 * enqueuing transaction NOTIFY these channels on commit, from any process or tool, and one
 * connection per process (outside the pool) LISTENs on all of them.
 *
 * Listening counts only once it is proved: after LISTEN, the feed sends itself a probe through
 * the pool and waits for it, so a connection pooler in transaction mode (which accepts LISTEN and
 * then delivers nothing) is found at once, not trusted. Whenever the feed is not listening (before
 * it first is, after its connection is lost, while a probe fails) its subscribers are reset and keep
 * nothing; it tries again every RECONNECT_MS.
 */
export const CHANGE_CHANNELS = ["flip_viewer", "flip_site_token", "flip_site_task"] as const;
export type ChangeChannel = (typeof CHANGE_CHANNELS)[number];
export const FEED_CONNECTION_NAME = "flip change feed";
const PROBE = "probe:";
const PROBE_TIMEOUT_MS = 5_000;
const RECONNECT_MS = 1_000;

type Subscriber = { onChange: (payload: string) => void; onReset: () => void };

export class ChangeFeed {
  private readonly subscribers = new Map<ChangeChannel, Set<Subscriber>>();
  private client: pg.Client | null = null;
  private connecting: Promise<void> | null = null;
  private readonly probes = new Map<string, () => void>();
  private isClosed = false;
  private isRetryPending = false;
  private hasWarned = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly probeTimeoutMs = PROBE_TIMEOUT_MS,
  ) {}

  get isListening(): boolean {
    return this.client !== null;
  }

  subscribe(channel: ChangeChannel, subscriber: Subscriber): void {
    const set = this.subscribers.get(channel) ?? new Set();
    set.add(subscriber);
    this.subscribers.set(channel, set);
  }

  /** Starts listening (once at a time); subscribers may keep rows from when it has. */
  listen(): Promise<void> {
    if (this.client || this.isClosed || this.isRetryPending) return Promise.resolve();
    this.connecting ??= this.connect()
      .catch((error: unknown) => {
        // Once per outage: until the feed listens again, every cache reads through.
        if (!this.hasWarned)
          getLogger().warn(
            { work: "change-feed", err: errorFields(error) },
            "cannot hear of changes from PostgreSQL; keeping nothing in memory until it can",
          );
        this.hasWarned = true;
        this.retry();
      })
      .finally(() => {
        this.connecting = null;
      });
    return this.connecting;
  }

  /**
   * Resolves once every change committed before the call has been heard: PostgreSQL sends a
   * listening session the notifications it has received before it answers that session's next
   * query, so one round trip on the listening connection suffices.
   */
  async settle(): Promise<void> {
    await this.client?.query("SELECT 1").catch(() => undefined);
  }

  private async connect(): Promise<void> {
    // Named, so an operator sees what it is in pg_stat_activity.
    const client = new pg.Client({ ...this.pool.options, application_name: FEED_CONNECTION_NAME });
    client.on("notification", ({ channel, payload }) => {
      if (payload?.startsWith(PROBE)) return this.probes.get(payload)?.();
      for (const subscriber of this.subscribers.get(channel as ChangeChannel) ?? []) subscriber.onChange(payload ?? "");
    });
    const onLost = () => {
      if (this.client !== client) return;
      // What changed while nobody listened is unknown: nothing kept so far is trusted again.
      this.client = null;
      this.reset();
      void client.end().catch(() => undefined);
      this.retry();
    };
    client.on("error", onLost);
    client.on("end", onLost);
    try {
      await client.connect();
      for (const channel of CHANGE_CHANNELS) await client.query(`LISTEN ${channel}`);
      await this.probe();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.isClosed) {
      await client.end().catch(() => undefined);
      return;
    }
    // Anything read before this point may predate a change nobody heard of.
    this.reset();
    this.client = client;
    this.hasWarned = false;
  }

  /** Sends a notification through the pool and waits to hear it on the listening connection. */
  private async probe(): Promise<void> {
    const payload = `${PROBE}${randomUUID()}`;
    let timer: NodeJS.Timeout | undefined;
    const heard = new Promise<void>((resolve, reject) => {
      this.probes.set(payload, resolve);
      timer = setTimeout(
        () =>
          reject(
            new Error(
              "a notification sent through the pool never arrived on the listening connection (is a connection pooler in transaction mode between the portal and PostgreSQL?)",
            ),
          ),
        this.probeTimeoutMs,
      );
    });
    try {
      await this.pool.query("SELECT pg_notify($1, $2)", [CHANGE_CHANNELS[0], payload]);
      await heard;
    } finally {
      clearTimeout(timer);
      this.probes.delete(payload);
    }
  }

  private reset() {
    for (const set of this.subscribers.values()) for (const subscriber of set) subscriber.onReset();
  }

  private retry() {
    if (this.isClosed || this.isRetryPending) return;
    this.isRetryPending = true;
    setTimeout(() => {
      this.isRetryPending = false;
      void this.listen();
    }, RECONNECT_MS).unref();
  }

  async close(): Promise<void> {
    this.isClosed = true;
    await this.connecting;
    const client = this.client;
    this.client = null;
    this.reset();
    await client?.end().catch(() => undefined);
  }
}

const feeds = new WeakMap<Database, ChangeFeed>();

export function changeFeedOf(db: Database): ChangeFeed {
  let feed = feeds.get(db);
  if (!feed) {
    feed = new ChangeFeed(db.$client);
    feeds.set(db, feed);
  }
  return feed;
}

/**
 * Resolves once this process has heard of every change committed before the call.
 *
 * @internal for tests, which change rows directly, as another process would.
 */
export async function settleChanges(db: Database): Promise<void> {
  await feeds.get(db)?.settle();
}

/** Stops listening. @internal for tests, which open and drop many databases in one process. */
export async function closeChangeFeed(db: Database): Promise<void> {
  await feeds.get(db)?.close();
  feeds.delete(db);
}
