import { asc, eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { jobs, sites, trainingRounds } from "@/db/schema";
import type { Viewer } from "@/server/auth/permissions";
import { makeUser, viewerOf } from "@/server/lib/test-support/fixtures";
import {
  RELEASE_STATEMENT,
  RELEASED_METRICS,
  RELEASED_SPLIT,
  releaseApprovedCount,
} from "@/server/lib/test-support/training-fixtures";
import { createApprovedProject } from "@/server/projects/approved-project";
import { issueSiteToken } from "@/server/site-network/site-tokens.service";
import { createHubClient, HubError, type HubClient } from "@/workers/hub-client";
import { createLogger } from "@/workers/log";
import { joinSecureRound, unmaskAnswer, waitForPhase } from "@/workers/training/secagg-session";
import { maskedUpload } from "@/workers/training/secagg-update";
import type { NamedTensor } from "@/protocol/tensor-codec";
import { ZTrainPayload, type TrainResult } from "@/protocol/training";
import { asReleased } from "@/workers/test-support/released";

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

// What a site's release gate lets out: rounded metrics with the counts the hub pools from.
const RESULT: Omit<TrainResult, "trainingMs"> = {
  exampleCount: 100,
  ...RELEASE_STATEMENT,
  globalValidation: { ...RELEASED_METRICS, ...RELEASED_SPLIT },
  localValidation: { loss: 0.5, accuracy: 0.75, auc: 0.75, sensitivity: 0.6, specificity: 0.8 },
  trainLoss: 0.5,
  epochs: 1,
  backend: "bench",
};

export type BenchSite = { id: string; code: string; client: HubClient };
/** Per round, each site's secure-aggregation CPU time in this process (masking its update), in ms. */
export const secureSiteMs = new Map<number, number[]>();
export const trainingMs = new Map<number, number[]>();
/** Per round, each site's milestones (epoch ms): task claimed, weights downloaded, training done, update accepted. */
type Milestones = { claimed: number; downloaded: number; trained: number; uploaded: number };
const milestones = new Map<number, Milestones[]>();

export async function setUp(db: Database, hubUrl: string) {
  const rows = await db
    .insert(sites)
    .values(Array.from({ length: SITES }, (_, i) => ({ code: `R${i}`, name: `Round Trust ${i}`, region: "Bench" })))
    .returning();
  const log = createLogger({}, { minLevel: "error" });
  const fleet: BenchSite[] = [];
  const approvers: { approver: Viewer; siteId: string }[] = [];
  for (const row of rows) {
    const { token } = await issueSiteToken(db, { type: "system", label: "bench" }, { siteId: row.id, graceSeconds: 0 });
    fleet.push({ id: row.id, code: row.code, client: createHubClient({ trpcUrl: `${hubUrl}/api/trpc`, token, log }) });
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

/** A stand-in site: real claims, downloads and uploads; training is a sleep of known length. */
export async function runSite(site: BenchSite, stop: AbortSignal, index: number) {
  while (!stop.aborted) {
    const task = await site.client.claim(2_000, stop).catch(() => null);
    if (!task) continue;
    const lease = { taskId: task.taskId, leaseId: task.leaseId };
    // As a worker does: progress renews the lease while a large round's transfers queue at the hub.
    const heartbeat = setInterval(
      () =>
        void site.client
          .progress({ ...lease, percent: 50 })
          .catch((error: unknown) => console.error(`${site.code}: lease renewal failed (${String(error)})`)),
      20_000,
    );
    try {
      await runTask(site, task, lease, stop, index);
    } catch (error) {
      // As a worker whose lease was lost: the hub queues the task again and this site claims it again.
      if (!(error instanceof HubError) || error.kind !== "conflict") throw error;
      console.error(`${site.code}: ${error.message}`);
    } finally {
      clearInterval(heartbeat);
    }
  }
}

async function runTask(
  site: BenchSite,
  task: NonNullable<Awaited<ReturnType<HubClient["claim"]>>>,
  lease: { taskId: string; leaseId: string },
  stop: AbortSignal,
  index: number,
) {
  const claimed = Date.now();
  // Only its shapes are needed once downloaded: dropped before the upload, as 50 x 40 MB would add up here.
  let global: NamedTensor[] | null = (await site.client.downloadWeights(lease, stop)).tensors;
  const downloaded = Date.now();
  if (task.kind === "evaluate") {
    await asWorker(site, "evaluation", () =>
      site.client.complete({
        ...lease,
        result: asReleased({ ...RELEASE_STATEMENT, ...RELEASED_SPLIT, metrics: RELEASED_METRICS, backend: "bench" }),
      }),
    );
    return;
  }
  const payload = ZTrainPayload.parse(task.payload);
  const round = payload.round;
  // Keys go round before training, as a worker does them.
  const secure =
    payload.secureAggregation &&
    (await joinSecureRound(
      payload.secureAggregation,
      {
        advertise: (keys) => site.client.secAgg.advertise({ ...lease, ...keys }),
        share: (boxes) => site.client.secAgg.share({ ...lease, boxes }),
        state: (wait) => site.client.secAgg.state({ ...lease, ...wait }),
      },
      stop,
    ));
  const ms = TRAIN_MS + index * 10;
  const started = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  const update = updateLike(global);
  global = null;
  const took = performance.now() - started;
  trainingMs.set(round, [...(trainingMs.get(round) ?? []), took]);
  const result = asReleased({ ...RESULT, trainingMs: took });
  const trained = Date.now();
  if (!secure) {
    await asWorker(site, "upload", () => site.client.uploadUpdate({ ...lease, result, update }));
    milestones.set(round, [...(milestones.get(round) ?? []), { claimed, downloaded, trained, uploaded: Date.now() }]);
    return;
  }
  const maskStarted = performance.now();
  const masked = maskedUpload({ update, weight: RESULT.exampleCount / secure.weightDivisor, ...secure });
  const maskMs = performance.now() - maskStarted;
  secureSiteMs.set(round, [...(secureSiteMs.get(round) ?? []), maskMs]);
  await site.client.uploadMaskedUpdate({ ...lease, result, masked });
  const state = await waitForPhase((wait) => site.client.secAgg.state({ ...lease, ...wait }), "unmasking", stop);
  if (state?.request)
    await site.client.secAgg.unmask(asReleased({ ...lease, ...unmaskAnswer(secure.client, state.request) }));
}

// Every stand-in site sends the same update: one array for the fleet, not one per site (50 x 40 MB in the scale row).
let sharedUpdate: NamedTensor[] | undefined;
function updateLike(tensors: readonly NamedTensor[]): NamedTensor[] {
  const fits =
    sharedUpdate?.length === tensors.length && sharedUpdate.every((t, i) => t.data.length === tensors[i]!.data.length);
  if (!fits) sharedUpdate = tensors.map((t) => ({ ...t, data: new Float32Array(t.data.length).fill(1e-5) }));
  return sharedUpdate!;
}

/** As a worker reports (workers/task-execution.ts): a hub that is unreachable or busy is tried again, with the reason logged. */
async function asWorker(site: BenchSite, what: string, report: () => Promise<unknown>) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await report();
    } catch (error) {
      const isTransient = error instanceof HubError && (error.kind === "unreachable" || error.kind === "busy");
      if (!isTransient || attempt >= 8) throw error;
      console.error(`${site.code}: ${what} attempt ${attempt} failed (${error.kind}: ${error.message}); trying again`);
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    }
  }
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
