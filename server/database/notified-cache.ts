import type { Database } from "@/db/client";
import { getHubConfig } from "@/server/config";
import { changeFeedOf, type ChangeChannel, type ChangeFeed } from "./change-feed";

/**
 * Rows a portal process keeps in memory so that a request needs no query for them while nothing
 * they were read from has changed: who a browser session is (`server/auth/viewer.ts`), a member's
 * role in a project (`server/projects/membership.ts`) and which site a worker's token belongs to
 * (`server/site-network/site-tokens.service.ts`). All decide access,
 * so forgetting is what matters:
 * - every change to the rows, from any process or tool, is heard on the cache's channel of the
 *   change feed (its owner's id, a user's or a site's, or '*' for everyone) and forgets the owner's
 *   entries; nothing is kept while the feed is not listening;
 * - this process's own browser mutations forget everything before they answer (`forgetAllKept`,
 *   server/trpc.ts), so a change made here holds for the next request whenever it is heard;
 * - a read that overlapped any forgetting is not kept (`ticket`): it may predate the change;
 * - no entry is older than FLIP_AUTH_CACHE_SECONDS (0: nothing is kept).
 */
const EVERY_OWNER = "*";
const MAX_ENTRIES = 10_000;

type Entry<T> = { owner: string; value: T; storedAt: number };

export class NotifiedCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  /** Moves on at every forgetting; a read that began under another value is not kept. */
  private generation = 0;

  constructor(
    private readonly feed: ChangeFeed,
    channel: ChangeChannel,
    private readonly maxAgeMs: number,
  ) {
    feed.subscribe(channel, {
      onChange: (owner) => (owner === EVERY_OWNER ? this.forgetAll() : this.forgetOwner(owner)),
      onReset: () => this.forgetAll(),
    });
  }

  /** The entry for `key` (of `owner`, when given), when kept and younger than the maximum age. */
  get(key: string, owner?: string, now = Date.now()): T | undefined {
    if (this.maxAgeMs <= 0) return undefined;
    if (!this.feed.isListening) {
      void this.feed.listen();
      return undefined;
    }
    const entry = this.entries.get(key);
    if (!entry || (owner !== undefined && entry.owner !== owner)) return undefined;
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

  /** Keeps `value`, read after `ticket` was taken, unless anything was forgotten in between. */
  put(ticket: number, key: string, owner: string, value: T, now = Date.now()): void {
    if (this.maxAgeMs <= 0 || !this.feed.isListening || ticket !== this.generation) return;
    this.entries.delete(key);
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { owner, value, storedAt: now });
  }

  forgetOwner(owner: string): void {
    this.generation++;
    for (const [key, entry] of this.entries) if (entry.owner === owner) this.entries.delete(key);
  }

  forgetAll(): void {
    this.generation++;
    this.entries.clear();
  }
}

const caches = new WeakMap<Database, Map<string, NotifiedCache<unknown>>>();

/** This process's cache of `kind` (by default, named as its channel) for `db`, forgotten on `channel`'s notifications. */
export function notifiedCacheOf<T>(db: Database, channel: ChangeChannel, kind: string = channel): NotifiedCache<T> {
  let byKind = caches.get(db);
  if (!byKind) caches.set(db, (byKind = new Map()));
  let cache = byKind.get(kind);
  if (!cache) {
    cache = new NotifiedCache(changeFeedOf(db), channel, getHubConfig().FLIP_AUTH_CACHE_SECONDS * 1000);
    byKind.set(kind, cache);
  }
  return cache as NotifiedCache<T>;
}

/** Forgets everything this process keeps for `db`: once it has changed anything the entries may rest on. */
export function forgetAllKept(db: Database): void {
  for (const cache of caches.get(db)?.values() ?? []) cache.forgetAll();
}
