import pg from "pg";
import type { Database } from "@/db/client";
import { errorFields, getLogger } from "@/server/observability/logger";

/**
 * The viewers of the browser sessions this portal process serves, kept so that a signed-in
 * request costs no viewer query while nothing it was read from has changed.
 *
 * Forgetting is what makes it safe. Triggers (migration 0019) notify channel VIEWER_CHANNEL on
 * commit of any change to a user, their sessions, grants or second factors (the user's id), or to a
 * site's code or name ('*'), from any process or tool; a dedicated connection LISTENs, and a
 * notification forgets that user's entries. Changes this process makes are forgotten before it
 * answers (`forgetAll`, after every browser mutation), not when their notification arrives.
 * Entries are kept only while the connection is listening: until it has connected, and from the
 * moment it is lost until it is back, every request reads the database. An entry is also never
 * older than `maxAgeMs` (FLIP_SESSION_CACHE_SECONDS), a bound should a notification ever not come
 * (a connection pooler in transaction mode delivers none: set it to 0 there).
 *
 * A load that began before any forgetting is not kept (`generation`): it may have read the rows
 * as they were before the change.
 */
export const VIEWER_CHANNEL = "flip_viewer";
const EVERY_USER = "*";
const MAX_ENTRIES = 10_000;
const RECONNECT_MS = 1_000;
export const LISTENER_NAME = "flip viewer changes";

type Entry<T> = { userId: string; value: T; storedAt: number };

export class ViewerCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private client: pg.Client | null = null;
  private connecting: Promise<void> | null = null;
  private isClosed = false;
  private isRetryPending = false;
  private hasWarned = false;
  /** Moves on at every forgetting; a load that saw another value is not kept. */
  private generation = 0;

  constructor(
    private readonly connectionOptions: pg.ClientConfig,
    private readonly maxAgeMs: number,
  ) {}

  /** Whether entries are kept now: enabled, and the listening connection is up. */
  get isListening(): boolean {
    return this.client !== null;
  }

  /** The entry for `key` of `userId`, when kept and younger than the maximum age. */
  get(key: string, userId: string, now = Date.now()): T | undefined {
    if (!this.client) {
      this.listen();
      return undefined;
    }
    const entry = this.entries.get(key);
    if (!entry || entry.userId !== userId) return undefined;
    if (now - entry.storedAt >= this.maxAgeMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** A ticket to `put` a value that is about to be read: taken before the read. */
  ticket(): number {
    return this.generation;
  }

  /** Keeps `value`, read after `ticket` was taken, unless something was forgotten in between. */
  put(ticket: number, key: string, userId: string, value: T, now = Date.now()): void {
    if (!this.client || ticket !== this.generation || this.maxAgeMs <= 0) return;
    this.entries.delete(key);
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { userId, value, storedAt: now });
  }

  forgetUser(userId: string): void {
    this.generation++;
    for (const [key, entry] of this.entries) if (entry.userId === userId) this.entries.delete(key);
  }

  forgetAll(): void {
    this.generation++;
    this.entries.clear();
  }

  /**
   * Resolves once every change committed before the call has been heard: PostgreSQL sends a
   * listening session the notifications it has received before it answers that session's next
   * query, so one round trip on the listening connection suffices.
   */
  async settle(): Promise<void> {
    await this.client?.query("SELECT 1").catch(() => undefined);
  }

  /** Starts listening (once); entries are kept from when it has. */
  listen(): Promise<void> {
    if (this.client || this.isClosed || this.isRetryPending || this.maxAgeMs <= 0) return Promise.resolve();
    this.connecting ??= this.connect()
      .catch((error: unknown) => {
        // Once per outage: until it listens again, every request reads its viewer from the database.
        if (!this.hasWarned)
          getLogger().warn(
            { work: "viewer-cache", err: errorFields(error) },
            "cannot listen for viewer changes; reading viewers per request until it can",
          );
        this.hasWarned = true;
        this.retry();
      })
      .finally(() => {
        this.connecting = null;
      });
    return this.connecting;
  }

  private async connect(): Promise<void> {
    // Named, so an operator sees what it is in pg_stat_activity.
    const client = new pg.Client({ ...this.connectionOptions, application_name: LISTENER_NAME });
    client.on("notification", (message) => {
      if (message.channel !== VIEWER_CHANNEL) return;
      if (!message.payload || message.payload === EVERY_USER) this.forgetAll();
      else this.forgetUser(message.payload);
    });
    const onLost = () => {
      if (this.client !== client) return;
      // Whatever changed while nobody listened is unknown: nothing kept so far is trusted again.
      this.client = null;
      this.forgetAll();
      void client.end().catch(() => undefined);
      this.retry();
    };
    client.on("error", onLost);
    client.on("end", onLost);
    try {
      await client.connect();
      await client.query(`LISTEN ${VIEWER_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.isClosed) {
      await client.end().catch(() => undefined);
      return;
    }
    // Anything read before this point may predate a change nobody heard of.
    this.forgetAll();
    this.client = client;
    this.hasWarned = false;
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
    this.forgetAll();
    await client?.end().catch(() => undefined);
  }
}

const caches = new WeakMap<Database, ViewerCache<unknown>>();

/** The process's viewer cache for this database, keeping entries at most `maxAgeMs` (0: none). */
export function viewerCacheOf<T>(db: Database, maxAgeMs: number): ViewerCache<T> {
  let cache = caches.get(db);
  if (!cache) {
    cache = new ViewerCache(db.$client.options, maxAgeMs);
    caches.set(db, cache);
  }
  return cache as ViewerCache<T>;
}

/** Forgets every viewer this process keeps for `db`: called once this process has changed anything they may rest on. */
export function forgetViewers(db: Database): void {
  caches.get(db)?.forgetAll();
}

/**
 * Resolves once this process has heard of every change to viewers committed before the call.
 *
 * @internal for tests, which change users' rows directly, as another process would.
 */
export async function settleViewerChanges(db: Database): Promise<void> {
  await caches.get(db)?.settle();
}

/** Stops listening. @internal for tests, which open and drop many databases in one process. */
export async function closeViewerCache(db: Database): Promise<void> {
  await caches.get(db)?.close();
  caches.delete(db);
}
