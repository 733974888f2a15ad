import { Worker } from "node:worker_threads";
import { and, asc, eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { jobs, sites, trainingRounds } from "@/db/schema";
import type { Viewer } from "@/server/auth/permissions";
import { makeUser, viewerOf } from "@/server/lib/test-support/fixtures";
import { releaseApprovedCount } from "@/server/lib/test-support/training-fixtures";
import { createApprovedProject } from "@/server/projects/approved-project";
import { issueSiteToken } from "@/server/site-network/site-tokens.service";
import type { FleetJob, FleetMessage } from "./fleet-thread";
import type { SiteCredentials } from "./stand-in-site";

/**
 * The stand-in site fleet of bench:round and bench:secagg: 10 sites (BENCH_SITES) on the real
 * worker protocol client over loopback HTTP and a registered MLP of about 1 M parameters
 * (BENCH_PARAMS). Each site claims its train task, downloads the global weights, "trains" for a
 * fixed, known time and uploads an update; in a secure-aggregation round it also runs its
 * protocol steps with the worker's own code (key exchange, masked upload, unmasking answer).
 */
/** BENCH_SCALE=1: the scale row's defaults, 50 sites x 10 M parameters (2 GB through the hub per round). */
export const IS_SCALE_ROW = process.env.BENCH_SCALE === "1";
export const SITES = Number(process.env.BENCH_SITES ?? (IS_SCALE_ROW ? 50 : 10));
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
export const TRAIN_MS = Number(process.env.BENCH_TRAIN_MS ?? 500);
/** BENCH_STRAGGLER_MS: the last site trains this much longer than its turn (a slow Trust), as real rounds wait for one. */
export const STRAGGLER_MS = Number(process.env.BENCH_STRAGGLER_MS ?? 0);
/** Site i's set training time. */
export const trainMsOf = (i: number) => TRAIN_MS + i * 10 + (i === SITES - 1 ? STRAGGLER_MS : 0);
const FEATURES = 200;
// 200 x 4975 + 4975 + 4975 + 1 = 1,004,951 parameters by default.
const HIDDEN = Math.round(
  (Number(process.env.BENCH_PARAMS ?? (IS_SCALE_ROW ? 10_000_000 : 1_004_951)) - 1) / (FEATURES + 2),
);
export const PARAMETERS = FEATURES * HIDDEN + 2 * HIDDEN + 1;

const ARCHITECTURE = {
  class_name: "Sequential",
  config: {
    name: "bench_mlp",
    layers: [
      { class_name: "InputLayer", config: { name: "input", batch_input_shape: [null, FEATURES], dtype: "float32" } },
      { class_name: "Dense", config: { name: "hidden", units: HIDDEN, activation: "relu" } },
      { class_name: "Dense", config: { name: "output", units: 1, activation: "sigmoid" } },
    ],
  },
};

/** Per round, each site's secure-aggregation CPU time in the fleet thread (masking its update), in ms. */
export const secureSiteMs = new Map<number, number[]>();
export const trainingMs = new Map<number, number[]>();
/** Per round, each site's milestones (epoch ms): task claimed, weights downloaded, training done, update accepted. */
type Milestones = { claimed: number; downloaded: number; trained: number; uploaded: number };
const milestones = new Map<number, Milestones[]>();

export async function setUp(db: Database) {
  const rows = await db
    .insert(sites)
    .values(Array.from({ length: SITES }, (_, i) => ({ code: `R${i}`, name: `Round Trust ${i}`, region: "Bench" })))
    .returning();
  const fleet: SiteCredentials[] = [];
  const approvers: { approver: Viewer; siteId: string }[] = [];
  for (const row of rows) {
    const { token } = await issueSiteToken(db, { type: "system", label: "bench" }, { siteId: row.id, graceSeconds: 0 });
    fleet.push({ id: row.id, code: row.code, token });
    approvers.push({
      approver: await viewerOf(db, (await makeUser(db, [{ role: "approver", siteId: row.id }])).id),
      siteId: row.id,
    });
  }
  const researcher = await viewerOf(db, (await makeUser(db, [{ role: "researcher" }])).id);
  const features = Array.from({ length: FEATURES }, (_, i) => ({
    name: `f${i}`,
    from: { source: "demographic" as const, field: "age_at_index" as const },
    encoding: "raw" as const,
  }));
  const project = await createApprovedProject(db, researcher, {
    title: "Round benchmark",
    purpose: "Measure the hub's per-round overhead with ten sites.",
    cohort: {
      version: 1,
      entry: { type: "visit", concepts: [{ conceptId: 9202, includeDescendants: true }] },
      inclusionRules: [],
    },
    approvers,
    model: {
      spec: {
        name: "Bench MLP",
        task: "binary_classification",
        input: { kind: "tabular", features },
        architecture: { kind: "json", json: ARCHITECTURE },
      },
      outcome: { name: "Outcome", conceptIds: [443454], includeDescendants: true },
      limitations: "",
    },
  });
  // A site's weight in a round is bounded by the approved count it released: release one per site first.
  await releaseApprovedCount(db, researcher, {
    projectId: project.projectId,
    siteIds: fleet.map((s) => s.id),
    total: 1000,
  });
  return { fleet, researcher, project };
}

const FLEET_THREAD = new URL("./fleet-thread.ts", import.meta.url);

/** A fleet thread; an error it does not catch (one that stops it) goes to `onError`, so the bench fails rather than waits. */
function startThread(job: FleetJob, onMessage: (message: FleetMessage) => void, onError: (error: Error) => void) {
  const thread = new Worker(FLEET_THREAD, { workerData: job });
  thread.on("message", onMessage);
  thread.on("error", onError);
  return thread;
}

/** BENCH_FLEET_THREADS: how many threads the stand-in sites share (the scale row's 50 sites hash 2 GB of downloads a round). */
const FLEET_THREADS = Number(process.env.BENCH_FLEET_THREADS ?? (IS_SCALE_ROW ? 2 : 1));

/** Site i of n goes to thread i mod `FLEET_THREADS`. */
function shareOut<T>(items: readonly T[]): T[][] {
  const threads = Math.max(1, Math.min(FLEET_THREADS, items.length));
  return Array.from({ length: threads }, (_, t) => items.filter((_, i) => i % threads === t));
}

/**
 * The stand-in sites, running in threads of their own (resolved once they are all claiming) until
 * `stop`: site i "trains" for TRAIN_MS + 10 i ms (the last, STRAGGLER_MS more). What they report fills `trainingMs`,
 * `secureSiteMs` and the milestones that `roundOverheads` reads.
 */
export async function startFleet(hubUrl: string, fleet: readonly SiteCredentials[]) {
  const threads = await Promise.all(
    shareOut(fleet.map((site, i) => ({ site, trainMs: trainMsOf(i) }))).map(
      (share) =>
        new Promise<{ thread: Worker; isStopped: Promise<void> }>((ready, fail) => {
          let stopped!: () => void;
          const isStopped = new Promise<void>((resolve) => (stopped = resolve));
          const thread = startThread(
            { mode: "sites", hubUrl, trainMs: share.map((s) => s.trainMs), sites: share.map((s) => s.site) },
            (message) => {
              if (message.kind === "ready") return ready({ thread, isStopped });
              if (message.kind === "stopped") return stopped();
              // Only the plain transfer's thread reports these.
              if (message.kind === "plain" || message.kind === "failed") return;
              const add = <T>(map: Map<number, T[]>, value: T) =>
                map.set(message.round, [...(map.get(message.round) ?? []), value]);
              if (message.kind === "trained") add(trainingMs, message.ms);
              else if (message.kind === "masked") add(secureSiteMs, message.ms);
              else add(milestones, message);
            },
            fail,
          );
        }),
    ),
  );
  return {
    stop: async () => {
      for (const { thread } of threads) thread.postMessage("stop");
      // A site stuck in a call that ignores the stop (an upload has no signal) must not hang the bench.
      const giveUp = new Promise<void>((resolve) => setTimeout(resolve, 30_000).unref());
      await Promise.all(
        threads.map(async ({ thread, isStopped }) => {
          await Promise.race([isStopped, giveUp]);
          await thread.terminate();
        }),
      );
    },
  };
}

/**
 * The fleet's plain transfers of `file` from and to `url` (one download and one upload per site),
 * from the same threads as the sites: per attempt the slowest thread's time, best of 3, in ms.
 * `codec`: the clients also check, decode and encode the bytes as a worker does.
 */
export async function plainTransfer(url: string, file: Uint8Array, sites: number, codec = false): Promise<number> {
  const perThread = await Promise.all(
    shareOut(Array.from({ length: sites })).map(
      (share) =>
        new Promise<number[]>((resolve, reject) => {
          const thread = startThread(
            { mode: "plain", url, file, sites: share.length, codec },
            (message) => {
              if (message.kind === "plain") resolve(message.ms);
              else if (message.kind === "failed") reject(new Error(message.message));
              else return;
              void thread.terminate();
            },
            reject,
          );
        }),
    ),
  );
  return Math.min(...perThread[0]!.map((_, attempt) => Math.max(...perThread.map((ms) => ms[attempt]!))));
}

/** Waits for a job to end; throws unless it completed. */
export async function waitForJob(db: Database, jobId: string): Promise<void> {
  for (;;) {
    const [row] = await db.select({ status: jobs.status, error: jobs.error }).from(jobs).where(eq(jobs.id, jobId));
    if (row!.status !== "running") {
      if (row!.status !== "completed") throw new Error(`job ended ${row!.status}: ${row!.error}`);
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Resolves once the job's round `number` has closed (polled every 50 ms). */
export async function waitForRound(db: Database, jobId: string, number: number): Promise<void> {
  for (;;) {
    const [row] = await db
      .select({ closedAt: trainingRounds.closedAt })
      .from(trainingRounds)
      .where(and(eq(trainingRounds.jobId, jobId), eq(trainingRounds.number, number)));
    if (row?.closedAt) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Each round's overhead: its wall time (opened to closed) minus its slowest site's training. */
export async function roundOverheads(db: Database, jobId: string) {
  const rounds = await db
    .select()
    .from(trainingRounds)
    .where(eq(trainingRounds.jobId, jobId))
    .orderBy(asc(trainingRounds.number));
  return rounds.map((round) => {
    const wall = round.closedAt!.getTime() - round.startedAt.getTime();
    const slowest = Math.max(...(trainingMs.get(round.number) ?? [0]));
    const sites = milestones.get(round.number) ?? [];
    const last = (k: keyof Milestones) => Math.max(...sites.map((m) => m[k])) - round.startedAt.getTime();
    // Where the overhead goes: until every site holds the weights, from the last training's end to
    // the last accepted update, and from there to the round's close (aggregation, new version).
    const phases = sites.length
      ? {
          claimed: last("claimed"),
          downloaded: last("downloaded"),
          uploads: Math.max(...sites.map((m) => m.uploaded)) - Math.max(...sites.map((m) => m.trained)),
          close: round.closedAt!.getTime() - Math.max(...sites.map((m) => m.uploaded)),
        }
      : null;
    return { number: round.number, wall, slowest, overhead: wall - slowest, phases };
  });
}

export const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
