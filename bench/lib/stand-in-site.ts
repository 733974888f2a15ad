import { createHubClient, HubError, type HubClient } from "@/workers/hub-client";
import { createLogger } from "@/workers/log";
import { joinSecureRound, unmaskAnswer, waitForPhase } from "@/workers/training/secagg-session";
import { maskedUpload } from "@/workers/training/secagg-update";
import type { NamedTensor } from "@/protocol/tensor-codec";
import { ZTrainPayload, type TrainResult } from "@/protocol/training";
import { RELEASE_STATEMENT, RELEASED_METRICS, RELEASED_SPLIT } from "@/server/lib/test-support/training-fixtures";
import { asReleased } from "@/workers/test-support/released";

/**
 * One stand-in site of the bench fleet (bench/lib/fleet-thread.ts): the real worker protocol
 * client over loopback HTTP, real claims, downloads and uploads, and in a secure-aggregation round
 * the worker's own protocol steps; training is a sleep of known length. What it measures goes to
 * `report`, for the bench's main thread to put together.
 */
export type SiteCredentials = { id: string; code: string; token: string };

/** Per round: a site's set training time, its masking CPU time, and its milestones (epoch ms). */
export type SiteReport =
  | { kind: "trained"; round: number; ms: number }
  | { kind: "masked"; round: number; ms: number }
  | { kind: "milestones"; round: number; claimed: number; downloaded: number; trained: number; uploaded: number };

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

type Site = { code: string; client: HubClient; trainMs: number; report: (event: SiteReport) => void };

export async function runSite(
  credentials: SiteCredentials,
  options: { hubUrl: string; trainMs: number; report: (event: SiteReport) => void },
  stop: AbortSignal,
) {
  const log = createLogger({}, { minLevel: "error" });
  const client = createHubClient({ trpcUrl: `${options.hubUrl}/api/trpc`, token: credentials.token, log });
  const site: Site = { code: credentials.code, client, trainMs: options.trainMs, report: options.report };
  while (!stop.aborted) {
    const task = await client.claim(2_000, stop).catch(() => null);
    if (!task) continue;
    const lease = { taskId: task.taskId, leaseId: task.leaseId };
    // As a worker does: progress renews the lease while a large round's transfers queue at the hub.
    const heartbeat = setInterval(
      () =>
        void client
          .progress({ ...lease, percent: 50 })
          .catch((error: unknown) => console.error(`${site.code}: lease renewal failed (${String(error)})`)),
      20_000,
    );
    try {
      await runTask(site, task, lease, stop);
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
  site: Site,
  task: NonNullable<Awaited<ReturnType<HubClient["claim"]>>>,
  lease: { taskId: string; leaseId: string },
  stop: AbortSignal,
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
  const started = performance.now();
  await new Promise((r) => setTimeout(r, site.trainMs));
  const update = updateLike(global);
  global = null;
  const took = performance.now() - started;
  // Its set training time, not the time measured: a timer that fires late because the fleet's thread
  // is busy (decoding other sites' downloads) is not the site's training, and counts as overhead.
  site.report({ kind: "trained", round, ms: site.trainMs });
  const result = asReleased({ ...RESULT, trainingMs: took });
  const trained = Date.now();
  if (!secure) {
    await asWorker(site, "upload", () => site.client.uploadUpdate({ ...lease, result, update }));
    site.report({ kind: "milestones", round, claimed, downloaded, trained, uploaded: Date.now() });
    return;
  }
  const maskStarted = performance.now();
  const masked = maskedUpload({ update, weight: RESULT.exampleCount / secure.weightDivisor, ...secure });
  site.report({ kind: "masked", round, ms: performance.now() - maskStarted });
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
async function asWorker(site: Site, what: string, report: () => Promise<unknown>) {
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
