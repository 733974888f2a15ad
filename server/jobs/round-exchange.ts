import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { and, asc, eq, ne, sql } from "drizzle-orm";
import type pg from "pg";
import type { Database, DbOrTx } from "@/db/client";
import { roundPartialChunks, roundPartials, trainingRounds } from "@/db/schema";
import { readBinaryRows } from "@/server/database/binary-copy";
import { chunksOf, joinChunks } from "@/server/database/chunked-bytes";
import { createRunningSum, sumsToBytes, type RunningSum } from "@/server/aggregation/running-sum";
import type { TensorSpec } from "@/server/aggregation/validate-update";
import { errorFields, getLogger } from "@/server/observability/logger";

/**
 * Where a round's updates live until it closes: in the memory of the portal process that accepted
 * them, folded into that process's running sum (O(model) memory per open round, whatever the
 * number of sites). Updates never reach the database. When a round closes in another process, the
 * closer asks on PARTIALS_CHANNEL and each holder writes its partial sum once (round_partials),
 * so the database carries one sum per process per round, not one update per site.
 *
 * A secure-aggregation round's masked uploads are folded the same way, into a sum modulo 2^32.
 *
 * Each portal process (each database handle, so a test can run two) has a holder id and holds a
 * session advisory lock on its listening connection while it lives: `isHolderAlive` reads
 * pg_locks, so a closer can tell a holder that is slow to answer from one that is gone.
 */
export const PARTIALS_CHANNEL = "flip_round_partials";
// "FLPH" (FLIP holder) as the first key of the two-key advisory lock; the second is hashtext(holder).
const LOCK_NAMESPACE = 0x464c5048;
const CLOSED = "closed";
const ONE_SHORT = "one-short";
// How long a round must have been one update short before this process writes its part early.
const EARLY_WRITE_AFTER_MS = 1_000;

type OnRequest = (roundId: string) => Promise<void>;

/** Another process's part of a round: its float64 sums (little-endian, the tensors back to back) over `contributors`. */
export type PublishedPartial = { holder: string; contributors: string[]; totalWeight: number; sums: Buffer };

class RoundExchange {
  readonly holder = randomUUID();
  private readonly sums = new Map<string, RunningSum>();
  /** Secure-aggregation rounds: the masked uploads this process accepted, summed modulo 2^32. */
  private readonly masked = new Map<string, { sum: Uint32Array; contributors: string[] }>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private client: pg.PoolClient | null = null;
  private connecting: Promise<void> | null = null;
  private isClosed = false;
  /** What to do when another process asks for this one's part of a round (set by the update route). */
  onRequest: OnRequest | undefined;
  private readonly publishingEarly = new Map<string, Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(private readonly db: Database) {}

  /** Listening and holding the liveness lock: required before this process accepts an update. */
  ready(): Promise<void> {
    if (this.client) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const client = await this.db.$client.connect();
    client.on("notification", (msg) => {
      // Payload `<round id>/<holder>`: only the holder asked for answers.
      const [roundId, holder] = (msg.payload ?? "").split("/");
      if (msg.channel !== PARTIALS_CHANNEL || !roundId || !(this.sums.has(roundId) || this.masked.has(roundId))) return;
      if (holder === CLOSED) return this.forget(roundId);
      if (holder === ONE_SHORT) return this.publishEarly(roundId);
      if (holder !== this.holder) return;
      this.onRequest?.(roundId).catch((error: unknown) =>
        getLogger().error({ work: "round-partials", err: errorFields(error) }, "publishing a partial sum failed"),
      );
    });
    const onLost = () => {
      if (this.client !== client) return;
      // The lock went with the connection: the sums held so far count as lost to the other processes.
      this.client = null;
      this.sums.clear();
      this.masked.clear();
      client.release(true);
      if (!this.isClosed) setTimeout(() => void this.ready().catch(() => undefined), 1_000).unref();
    };
    client.on("error", onLost);
    client.on("end", onLost);
    await client.query(`LISTEN ${PARTIALS_CHANNEL}`);
    await client.query("SELECT pg_advisory_lock($1, hashtext($2))", [LOCK_NAMESPACE, this.holder]);
    this.client = client;
  }

  /**
   * Writes this process's part of the round while its last update is slow in coming, when another
   * portal process is alive: that update may reach another process, which then finds this part
   * written rather than asking for it and waiting for a model-sized write (0.1 to 0.3 s for 1 M
   * parameters here, ten times that for 10 M). Every process holding a part does this once it hears
   * the round is one update short (`announceOneShort`); the part is written EARLY_WRITE_AFTER_MS
   * later if the round is still open, so a last update that follows close behind (when the writes
   * would only compete with it for the CPU) closes the round as before. A round costs at most one
   * such write that turns out not to be needed (the part of the process the last update reached).
   * Runs in the background, at most once at a time per round.
   *
   * The write holds the round row FOR KEY SHARE, which updates (FOR SHARE) pass but a close (FOR
   * UPDATE) waits for: a close that comes while the part is being written finds it written. One
   * that came first has the write wait for it, then find the round closed, or still open (the close
   * asked this process for its part) and write it for whoever closes it.
   */
  private publishEarly(roundId: string): void {
    if (this.publishingEarly.has(roundId)) return;
    const work = sleep(EARLY_WRITE_AFTER_MS, undefined, { ref: false, signal: this.stopping.signal })
      // Stopped (the process is closing): nothing is written.
      .then(
        () => this.writeEarly(roundId),
        () => undefined,
      )
      .catch((error: unknown) =>
        getLogger().error({ work: "round-partials", err: errorFields(error) }, "publishing a partial sum failed"),
      )
      .finally(() => this.publishingEarly.delete(roundId));
    this.publishingEarly.set(roundId, work);
  }

  private async writeEarly(roundId: string): Promise<void> {
    // Closed meanwhile (its notice dropped the sum), or no other process to close it.
    if (!this.sums.has(roundId) && !this.masked.has(roundId)) return;
    if (!(await isAnotherHolderAlive(this.db, this.holder))) return;
    await this.db.transaction(async (tx) => {
      const [round] = await tx
        .select({ status: trainingRounds.status })
        .from(trainingRounds)
        .where(eq(trainingRounds.id, roundId))
        .for("key share");
      // A part written after its round closed would outlive it.
      if (round?.status === "open") await this.publish(tx, roundId);
    });
  }

  /**
   * Resolves once this process has heard every notice committed before the call and the early
   * writes under way have ended. @internal for tests.
   */
  async earlyPublished(): Promise<void> {
    // PostgreSQL sends a listening session its pending notifications before it answers that session's next query.
    await this.client?.query("SELECT 1").catch(() => undefined);
    await Promise.all(this.publishingEarly.values());
  }

  /** Runs an update's acceptance; `fold` adds it to this process's sum once the acceptance commits. */
  async accept<T>(
    roundId: string,
    siteId: string,
    commit: () => Promise<T>,
    fold: (sum: (spec: readonly TensorSpec[]) => RunningSum) => void,
  ): Promise<T> {
    const key = `${roundId}/${siteId}`;
    let settle = () => undefined as void;
    this.inFlight.set(key, new Promise<void>((resolve) => (settle = resolve)));
    try {
      const result = await commit();
      fold((spec) => this.sumFor(roundId, spec));
      return result;
    } finally {
      this.inFlight.delete(key);
      settle();
    }
  }

  /** Runs a masked update's acceptance, then adds it (modulo 2^32) to this process's masked sum for the round. */
  async acceptMasked<T>(roundId: string, siteId: string, commit: () => Promise<T>, update: Uint32Array): Promise<T> {
    return this.accept(roundId, siteId, commit, () => {
      let held = this.masked.get(roundId);
      if (!held) {
        held = { sum: new Uint32Array(update.length), contributors: [] };
        this.masked.set(roundId, held);
      }
      const into = new Int32Array(held.sum.buffer);
      const from = new Int32Array(update.buffer, update.byteOffset, update.length);
      for (let i = 0; i < into.length; i++) into[i] = (into[i]! + from[i]!) | 0;
      held.contributors.push(siteId);
    });
  }

  /** This process's masked sum for the round over exactly `siteIds`, as heldSum; null if one is not here. */
  async heldMasked(roundId: string, siteIds: readonly string[]): Promise<Uint32Array | null> {
    await Promise.all(siteIds.map((s) => this.inFlight.get(`${roundId}/${s}`)));
    const held = this.masked.get(roundId);
    if (!held || !sameSites(held.contributors, siteIds)) return null;
    return held.sum;
  }

  private sumFor(roundId: string, spec: readonly TensorSpec[]): RunningSum {
    let sum = this.sums.get(roundId);
    if (!sum) {
      sum = createRunningSum(spec);
      this.sums.set(roundId, sum);
    }
    return sum;
  }

  /**
   * This process's sum for the round over exactly `siteIds` (the updates the database says it
   * holds), waiting for any of them committed but not yet folded; null if one is not here.
   */
  async heldSum(roundId: string, siteIds: readonly string[]): Promise<RunningSum | null> {
    await Promise.all(siteIds.map((s) => this.inFlight.get(`${roundId}/${s}`)));
    const sum = this.sums.get(roundId);
    if (siteIds.length === 0) return null;
    return sum && sameSites(sum.contributors, siteIds) ? sum : null;
  }

  /**
   * Writes this process's partial sum for the round, once, for the process that closes it: a part
   * already written over the same sites (a close attempted again while it waits, a request heard
   * twice) is not written again.
   */
  async publish(db: DbOrTx, roundId: string): Promise<boolean> {
    const before = this.masked.get(roundId) ?? this.sums.get(roundId);
    if (!before) return false;
    if (await this.isWritten(db, roundId, before.contributors)) return true;
    // Its sites and a copy of its sums, taken together now: folds may go on while the chunks are written.
    const part = this.snapshot(roundId);
    if (!part) return false;
    await this.writePartial(db, roundId, part);
    return true;
  }

  private snapshot(roundId: string): { contributors: string[]; totalWeight: number; sums: Buffer } | null {
    const masked = this.masked.get(roundId);
    if (masked) {
      const sums = new Uint8Array(masked.sum.buffer, masked.sum.byteOffset, masked.sum.byteLength).slice();
      return { contributors: [...masked.contributors], totalWeight: 0, sums: Buffer.from(sums.buffer) };
    }
    const sum = this.sums.get(roundId);
    if (!sum) return null;
    const sums = sumsToBytes(sum);
    return {
      contributors: [...sum.contributors],
      totalWeight: sum.totalWeight,
      sums: Buffer.from(sums.buffer, sums.byteOffset, sums.byteLength),
    };
  }

  private async isWritten(db: DbOrTx, roundId: string, contributors: readonly string[]): Promise<boolean> {
    const [row] = await db
      .select({ contributors: roundPartials.contributors })
      .from(roundPartials)
      .where(and(eq(roundPartials.roundId, roundId), eq(roundPartials.holder, this.holder)));
    return row !== undefined && sameSites(row.contributors, contributors);
  }

  /**
   * The other processes' published parts of the round (this process's own is in its memory). A
   * part's sums, contributors and weight are read in one statement, as written: a holder may
   * replace its part meanwhile. The sums arrive as bytes, not as hex text (binary-copy.ts), in
   * chunks (chunked-bytes.ts) joined here.
   */
  async othersPartials(tx: DbOrTx, roundId: string): Promise<PublishedPartial[]> {
    const rows = await readBinaryRows(
      tx,
      tx
        .select({
          about: sql`json_build_object('holder', ${roundPartials.holder}, 'contributors', ${roundPartials.contributors}, 'totalWeight', ${roundPartials.totalWeight})::text`,
          chunk: roundPartialChunks.bytes,
        })
        .from(roundPartials)
        .leftJoin(
          roundPartialChunks,
          and(
            eq(roundPartialChunks.roundId, roundPartials.roundId),
            eq(roundPartialChunks.holder, roundPartials.holder),
          ),
        )
        .where(and(eq(roundPartials.roundId, roundId), ne(roundPartials.holder, this.holder)))
        .orderBy(asc(roundPartials.holder), asc(roundPartialChunks.seq)),
    );
    const byHolder = new Map<string, { about: string; chunks: (Buffer | null)[] }>();
    for (const [about, chunk] of rows) {
      const text = about!.toString("utf8");
      const holder = (JSON.parse(text) as { holder: string }).holder;
      const part = byHolder.get(holder) ?? { about: text, chunks: [] };
      part.chunks.push(chunk ?? null);
      byHolder.set(holder, part);
    }
    return [...byHolder.values()].map(({ about, chunks }) => ({
      ...(JSON.parse(about) as Omit<PublishedPartial, "sums">),
      sums: joinChunks(chunks),
    }));
  }

  /**
   * A holder asked again has accepted more since: its newer sum replaces the old one, row and
   * chunks together (in a savepoint when `db` is a transaction).
   */
  private async writePartial(
    db: DbOrTx,
    roundId: string,
    row: { contributors: string[]; totalWeight: number; sums: Buffer },
  ): Promise<void> {
    const { sums, ...about } = row;
    await db.transaction(async (tx) => {
      await tx
        .insert(roundPartials)
        .values({ roundId, holder: this.holder, ...about })
        .onConflictDoUpdate({
          target: [roundPartials.roundId, roundPartials.holder],
          set: {
            contributors: sql`excluded.contributors`,
            totalWeight: sql`excluded.total_weight`,
            publishedAt: sql`now()`,
          },
        });
      await tx
        .delete(roundPartialChunks)
        .where(and(eq(roundPartialChunks.roundId, roundId), eq(roundPartialChunks.holder, this.holder)));
      for (const [seq, bytes] of chunksOf(sums).entries())
        await tx.insert(roundPartialChunks).values({ roundId, holder: this.holder, seq, bytes });
    });
  }

  /** The round closed (its notice heard, after the closing commit): its sum's memory goes to the next round's. */
  forget(roundId: string): void {
    this.sums.get(roundId)?.release();
    this.sums.delete(roundId);
    this.masked.delete(roundId);
  }

  async close(): Promise<void> {
    this.isClosed = true;
    this.stopping.abort();
    await this.earlyPublished();
    const client = this.client;
    this.client = null;
    this.sums.clear();
    this.masked.clear();
    // Releasing the connection ends the session lock, so other processes see this holder gone.
    client?.release(true);
  }
}

/** Whether two lists of contributors name the same sites (each site is in a sum at most once). */
export const sameSites = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((s) => b.includes(s));

/** Asks the process `holder` to publish its part of the round; delivered on commit. */
export async function requestPartial(tx: DbOrTx, roundId: string, holder: string): Promise<void> {
  await tx.execute(sql`SELECT pg_notify(${PARTIALS_CHANNEL}, ${`${roundId}/${holder}`})`);
}

/** Whether a portal process other than `holder` is connected (holds its holder lock). */
async function isAnotherHolderAlive(db: DbOrTx, holder: string): Promise<boolean> {
  const { rows } = await db.execute<{ alive: boolean }>(
    sql`SELECT EXISTS (
      SELECT 1 FROM pg_locks
      WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid = ${LOCK_NAMESPACE}
        AND objid <> (hashtext(${holder})::bigint & 4294967295)::text::oid
        -- pg_locks spans the server: another database's portal (another deployment, a test) is not one of ours.
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
    ) AS alive`,
  );
  return rows[0]?.alive ?? false;
}

/** Tells every process holding a part of the round that it is one update short (publishEarly). */
export async function announceOneShort(db: DbOrTx, roundId: string): Promise<void> {
  await db.execute(sql`SELECT pg_notify(${PARTIALS_CHANNEL}, ${`${roundId}/${ONE_SHORT}`})`);
}

/** Tells every process the round is closed, so each drops its sum for it; delivered on commit. */
export async function announceRoundClosed(tx: DbOrTx, roundId: string): Promise<void> {
  await tx.execute(sql`SELECT pg_notify(${PARTIALS_CHANNEL}, ${`${roundId}/${CLOSED}`})`);
}

/** Whether the portal process `holder` is still connected to the database (it holds its advisory lock). */
export async function isHolderAlive(tx: DbOrTx, holder: string): Promise<boolean> {
  const rows = await tx.execute<{ alive: boolean }>(
    sql`SELECT EXISTS (
      SELECT 1 FROM pg_locks
      WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid = ${LOCK_NAMESPACE}
        AND objid = (hashtext(${holder})::bigint & 4294967295)::text::oid
    ) AS alive`,
  );
  return rows.rows[0]?.alive ?? false;
}

const exchanges = new WeakMap<Database, RoundExchange>();

export function getRoundExchange(db: Database): RoundExchange {
  let exchange = exchanges.get(db);
  if (!exchange) {
    exchange = new RoundExchange(db);
    exchanges.set(db, exchange);
  }
  return exchange;
}

/** Ends this database handle's holder: its sums are dropped and other processes see it gone. @internal for tests. */
export async function closeRoundExchange(db: Database): Promise<void> {
  await exchanges.get(db)?.close();
  exchanges.delete(db);
}
