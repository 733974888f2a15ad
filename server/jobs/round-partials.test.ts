import { eq, sql } from "drizzle-orm";
import { describe, expect, test, vi } from "vitest";
import pg from "pg";
import { connectDatabase, type Database } from "@/db/client";
import { roundPartials } from "@/db/schema";
import { ensureBackgroundWork, stopBackgroundWork } from "@/server/background-work";
import { advanceJob } from "./job-coordinator";
import { closeRoundExchange, getRoundExchange, isHolderAlive, PARTIALS_CHANNEL } from "./round-exchange";
import {
  leaseFor,
  rounds,
  sites,
  startJob,
  upload,
  useRoundHarness,
  type SiteLease,
  versionWeights,
  withValue,
} from "@/server/lib/test-support/round-harness";

/**
 * A round's parts across portal processes (round-exchange.ts): written early once a round is one
 * update short, written in chunks, and written once. round-processes.test.ts has the rounds.
 */
const testDb = useRoundHarness();

/** What portal processes say to each other about a round's parts (flip_round_partials), as heard by a third connection. */
async function overhear(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const heard: string[] = [];
  client.on("notification", (msg) => heard.push(msg.payload ?? ""));
  await client.query(`LISTEN ${PARTIALS_CHANNEL}`);
  return {
    heard,
    // A round trip delivers what was committed before it (PostgreSQL sends pending notifications first).
    settle: () => client.query("SELECT 1"),
    close: () => client.end(),
  };
}

const ONE_ROUND = {
  hyperparameters: { rounds: 1, localEpochs: 1, batchSize: 8, learningRate: 0.1, optimizer: "sgd" },
} as const;

type Overheard = Awaited<ReturnType<typeof overhear>>;

/** A second portal process (its own pool and memory, up and holding its liveness lock) and a connection overhearing the parts' notices. */
async function withSecondProcess(use: (other: Database, bus: Overheard) => Promise<void>) {
  const other = connectDatabase(testDb.url());
  const bus = await overhear(testDb.url());
  try {
    await getRoundExchange(other.db).ready();
    await use(other.db, bus);
  } finally {
    await bus.close();
    await closeRoundExchange(other.db);
    await other.pool.end();
  }
}

/** A site's update of `value` everywhere, for `examples` examples, sent to the portal process `hub`. */
const send = (hub: Database, lease: SiteLease, value: number, examples: number) =>
  upload(
    hub,
    lease,
    withValue(lease.global, () => value),
    examples,
  );

// The three sites' updates below: 0.5 for 50 examples, -0.5 for 25, 0.25 for 25.
const MEAN = (0.5 * 50 - 0.5 * 25 + 0.25 * 25) / 100;

/** The job's first round is closed, and its new version is its global model plus `delta` in every value. */
async function expectClosedWithMean(db: Database, jobId: string, delta: number) {
  const [closed] = await rounds(db, jobId);
  expect(closed).toMatchObject({ status: "closed" });
  const start = await versionWeights(db, closed!.globalVersionId);
  const next = await versionWeights(db, closed!.resultVersionId!);
  next.tensors.forEach((t, ti) =>
    t.data.forEach((x, i) => expect(x).toBeCloseTo(start.tensors[ti]!.data[i]! + delta, 6)),
  );
}

/** How many of this database's statements like `statement` wait for a lock. */
const statementsWaiting = async (db: Database, statement: string) =>
  (
    await db.execute<{ n: number }>(
      // This database's backends only: other test files run on the same server at the same time.
      sql`SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE ${`%${statement}%`}`,
    )
  ).rows[0]!.n;

const partsOf = (db: Database, roundId: string) =>
  db
    .select({ holder: roundPartials.holder, contributors: roundPartials.contributors })
    .from(roundPartials)
    .where(eq(roundPartials.roundId, roundId));

describe("a portal process's part written before the round's last update", () => {
  test.each([
    ["the other process", "other"],
    ["the same process", "same"],
  ] as const)(
    "once a round is one update short, each process holding a part writes it, and the last update reaching %s closes the round at once, asking nobody",
    async (_, lastAt) => {
      const db = testDb.db();
      const { jobId } = await startJob(db, ONE_ROUND);
      const [a, b, c] = await Promise.all(sites.map((s) => leaseFor(db, s)));
      await withSecondProcess(async (other, bus) => {
        await send(other, a!, 0.5, 50);
        await send(db, b!, -0.5, 25);
        const [round] = await rounds(db, jobId);
        // Both processes heard the round is one short and wrote their parts after the delay.
        await vi.waitFor(async () => expect(await partsOf(db, round!.id)).toHaveLength(2), { timeout: 10_000 });
        expect(await partsOf(db, round!.id)).toEqual(
          expect.arrayContaining([
            { holder: getRoundExchange(other).holder, contributors: [a!.site.id] },
            { holder: getRoundExchange(db).holder, contributors: [b!.site.id] },
          ]),
        );

        await send(lastAt === "same" ? db : other, c!, 0.25, 25);

        // Closed by the time the last update was answered, and nobody was asked for a part.
        await expectClosedWithMean(db, jobId, MEAN);
        await bus.settle();
        expect(bus.heard).toEqual([`${round!.id}/one-short`, `${round!.id}/closed`]);
        expect(await partsOf(db, round!.id)).toEqual([]);
      });
    },
  );

  test("a close that comes while the part is being written waits for it and closes from it, asking nobody", async () => {
    const db = testDb.db();
    const { jobId } = await startJob(db, ONE_ROUND);
    const [a, b, c] = await Promise.all(sites.map((s) => leaseFor(db, s)));
    const waitingFor = (statement: string) => statementsWaiting(db, statement);
    const blocker = await db.$client.connect();
    try {
      await withSecondProcess(async (other, bus) => {
        // The early write is held up at its INSERT, with the round row already locked FOR KEY SHARE.
        await blocker.query("BEGIN");
        await blocker.query("LOCK TABLE round_partials IN SHARE MODE");
        await send(db, a!, 0.5, 50);
        await send(db, b!, -0.5, 25);
        const [round] = await rounds(db, jobId);
        await vi.waitFor(async () => expect(await waitingFor('insert into "round_partials"')).toBe(1), {
          timeout: 10_000,
        });

        // The last update reaches the other process, whose close waits for the round row.
        const last = send(other, c!, 0.25, 25);
        await vi.waitFor(async () => expect(await waitingFor("for update")).toBe(1), { timeout: 10_000 });
        await blocker.query("COMMIT");
        await last;

        // Closed from the part written early, and nobody was asked for a part.
        await expectClosedWithMean(db, jobId, MEAN);
        await bus.settle();
        expect(bus.heard).toEqual([`${round!.id}/one-short`, `${round!.id}/closed`]);
      });
    } finally {
      await blocker.query("ROLLBACK").catch(() => undefined);
      blocker.release();
    }
  });

  test("a last update close behind the one before closes the round as usual, and the early write then finds it closed and writes nothing", async () => {
    const db = testDb.db();
    const { jobId } = await startJob(db, ONE_ROUND);
    const [a, b, c] = await Promise.all(sites.map((s) => leaseFor(db, s)));
    await withSecondProcess(async (other) => {
      await send(db, a!, 0.5, 50);
      await send(db, b!, -0.5, 25);
      // Within the early write's delay: the other process asks for this one's part, which closes the round.
      await send(other, c!, 0.25, 25);
      await vi.waitFor(async () => expect((await rounds(db, jobId))[0]).toMatchObject({ status: "closed" }), {
        timeout: 10_000,
      });
      await expectClosedWithMean(db, jobId, MEAN);
      await getRoundExchange(db).earlyPublished();
      expect(await partsOf(db, (await rounds(db, jobId))[0]!.id)).toEqual([]);
    });
  });

  test("a portal process counts as alive from its start-up, before its first update: the other writes its part early, and the last update closes the round there, asking nobody", async () => {
    const db = testDb.db();
    const { jobId } = await startJob(db, ONE_ROUND);
    const [a, b, c] = await Promise.all(sites.map((s) => leaseFor(db, s)));
    // Started as a portal process starts (instrumentation.ts), and sent nothing until the round's last update.
    const started = connectDatabase(testDb.url());
    const bus = await overhear(testDb.url());
    try {
      ensureBackgroundWork(started.db);
      await vi.waitFor(async () => expect(await isHolderAlive(db, getRoundExchange(started.db).holder)).toBe(true));
      await send(db, a!, 0.5, 50);
      await send(db, b!, -0.5, 25);
      const [round] = await rounds(db, jobId);
      await vi.waitFor(async () => expect(await partsOf(db, round!.id)).toHaveLength(1), { timeout: 10_000 });

      await send(started.db, c!, 0.25, 25);

      await expectClosedWithMean(db, jobId, MEAN);
      await bus.settle();
      expect(bus.heard).toEqual([`${round!.id}/one-short`, `${round!.id}/closed`]);
    } finally {
      stopBackgroundWork(started.db);
      await bus.close();
      await closeRoundExchange(started.db);
      await started.pool.end();
    }
  });

  test("a process with no other portal process alive writes nothing early", async () => {
    const db = testDb.db();
    const { jobId } = await startJob(db, ONE_ROUND);
    const [a, b, c] = await Promise.all(sites.map((s) => leaseFor(db, s)));
    await send(db, a!, 0.5, 50);
    await send(db, b!, -0.5, 25);
    await getRoundExchange(db).earlyPublished();
    expect(await partsOf(db, (await rounds(db, jobId))[0]!.id)).toEqual([]);
    await send(db, c!, 0.25, 25);
    await expectClosedWithMean(db, jobId, MEAN);
  });
});

describe("a partial sum written", () => {
  test("is written in mebibyte chunks and read back whole by the other process; a newer part replaces every chunk of the old", async () => {
    const db = testDb.db();
    const { jobId } = await startJob(db, ONE_ROUND);
    const [round] = await rounds(db, jobId);
    // 300,000 parameters: 2.4 MB of float64 sums, three chunks.
    const length = 300_000;
    const spec = [{ name: "w", shape: [length] }];
    await withSecondProcess(async (other) => {
      const theirs = getRoundExchange(other);
      const fold = (siteId: string, value: number, weight: number) =>
        theirs.accept(
          round!.id,
          siteId,
          async () => undefined,
          (sumFor) =>
            sumFor(spec).add(
              siteId,
              [{ name: "w", shape: [length], data: new Float32Array(length).fill(value) }],
              weight,
            ),
        );
      const chunks = async () =>
        (
          await db.execute<{ seq: number; bytes: number }>(
            sql`SELECT seq, length(bytes) AS bytes FROM round_partial_chunks WHERE round_id = ${round!.id} ORDER BY seq`,
          )
        ).rows;
      await fold(sites[0]!.id, 0.5, 10);
      await theirs.publish(other, round!.id);
      expect(await chunks()).toEqual([
        { seq: 0, bytes: 1024 * 1024 },
        { seq: 1, bytes: 1024 * 1024 },
        { seq: 2, bytes: length * 8 - 2 * 1024 * 1024 },
      ]);

      await fold(sites[1]!.id, 0.25, 30);
      // Asked again after another update: the newer sum replaces the old one, chunk for chunk.
      await theirs.publish(other, round!.id);
      expect(await chunks()).toHaveLength(3);
      const parts = await getRoundExchange(db).othersPartials(db, round!.id);
      expect(parts).toHaveLength(1);
      expect(parts[0]).toMatchObject({
        holder: theirs.holder,
        contributors: [sites[0]!.id, sites[1]!.id],
        totalWeight: 40,
      });
      const sums = new Float64Array(parts[0]!.sums.buffer, parts[0]!.sums.byteOffset, parts[0]!.sums.byteLength / 8);
      expect(sums).toHaveLength(length);
      expect(sums.every((x) => x === 0.5 * 10 + 0.25 * 30)).toBe(true);
      theirs.forget(round!.id);
    });
  });

  test("a close attempted again while it waits for another process's part does not write its own part again", async () => {
    const db = testDb.db();
    const { jobId } = await startJob(db, ONE_ROUND);
    const [a, b, c] = await Promise.all(sites.map((s) => leaseFor(db, s)));
    await withSecondProcess(async (other) => {
      // The other process hears the request for its part but does not answer yet.
      getRoundExchange(other).onRequest = async () => undefined;
      await send(other, a!, 0.5, 50);
      await send(db, b!, -0.5, 25);
      await send(db, c!, 0.25, 25);
      const [round] = await rounds(db, jobId);
      expect(round).toMatchObject({ status: "open" });
      const written = () =>
        db.execute<{ version: string }>(
          sql`SELECT xmin::text AS version FROM round_partials WHERE round_id = ${round!.id} AND holder = ${getRoundExchange(db).holder}`,
        );
      const first = (await written()).rows;
      expect(first).toHaveLength(1);

      // Tried again (a second last update, the coordinator's tick): still waiting, and the part stands as written.
      expect(await advanceJob(db, jobId, { wait: true })).toBe(false);
      expect((await written()).rows).toEqual(first);

      // Once the other writes its part, the round closes with all three.
      await getRoundExchange(other).publish(other, round!.id);
      await advanceJob(db, jobId, { wait: true });
      await expectClosedWithMean(db, jobId, MEAN);
    });
  });

  test("a part is written as it stood when its write began: an update folded meanwhile is left for the next write", async () => {
    const db = testDb.db();
    const { jobId } = await startJob(db, ONE_ROUND);
    const [round] = await rounds(db, jobId);
    // A masked sum of 300,000 parameters: 1.2 MB, two chunks.
    const length = 300_000;
    const blocker = await db.$client.connect();
    try {
      await withSecondProcess(async (other) => {
        const theirs = getRoundExchange(other);
        const fold = (siteId: string, value: number) =>
          theirs.acceptMasked(round!.id, siteId, async () => undefined, new Uint32Array(length).fill(value));
        await fold(sites[0]!.id, 3);
        await blocker.query("BEGIN");
        await blocker.query("LOCK TABLE round_partial_chunks IN SHARE MODE");
        const writing = theirs.publish(other, round!.id);
        await vi.waitFor(async () => expect(await statementsWaiting(db, '"round_partial_chunks"')).toBe(1), {
          timeout: 10_000,
        });
        await fold(sites[1]!.id, 5);
        await blocker.query("COMMIT");
        await writing;

        const [part] = await getRoundExchange(db).othersPartials(db, round!.id);
        expect(part!.contributors).toEqual([sites[0]!.id]);
        expect(new Uint32Array(part!.sums.buffer, part!.sums.byteOffset, length).every((x) => x === 3)).toBe(true);
        theirs.forget(round!.id);
      });
    } finally {
      await blocker.query("ROLLBACK").catch(() => undefined);
      blocker.release();
    }
  });
});
