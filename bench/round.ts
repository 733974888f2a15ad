/**
 * bench:round — what a federated round costs on top of the sites' own training.
 *
 * 10 stand-in sites on the real worker protocol client over loopback HTTP, a registered model of
 * about 1 M parameters, FedAvg. Each site claims its train task, downloads the global weights
 * (4 MB FLIP tensor file), "trains" for a fixed, known time, and uploads a 4 MB update. Round
 * overhead = round wall time (hub: round opened -> round closed and next dispatched) minus the
 * slowest site's training time: dispatch, transfers, validation, the persisted running sum,
 * aggregation and the new version. Baseline, same run: the same 10 x 4 MB down and up over plain
 * loopback HTTP with no hub logic. The ratio is what to compare between runs; times alone are noisy.
 *
 * BENCH_ROUNDS (default 3) and BENCH_TRAIN_MS (default 500) tune it. BENCH_SITES and BENCH_PARAMS
 * scale it (the scale row: BENCH_SITES=50 BENCH_PARAMS=10000000). BENCH_HUBS=N serves the hub as N
 * portal processes of their own behind a round-robin proxy (as several portal processes behind a
 * load balancer) and prints each one's peak memory; unset, the hub runs inside this process.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { asc, eq, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { jobs, roundUpdates, sites, trainingRounds } from "@/db/schema";
import type { Viewer } from "@/server/auth/permissions";
import { createTrainJob } from "@/server/jobs/jobs.service";
import { makeUser, viewerOf } from "@/server/lib/test-support/fixtures";
import {
  RELEASE_STATEMENT,
  RELEASED_METRICS,
  RELEASED_SPLIT,
  releaseApprovedCount,
  trainJobInput,
} from "@/server/lib/test-support/training-fixtures";
import { createApprovedProject } from "@/server/projects/approved-project";
import { issueSiteToken } from "@/server/site-network/site-tokens.service";
import { createHubClient, type HubClient } from "@/workers/hub-client";
import { createLogger } from "@/workers/log";
import type { NamedTensor } from "@/protocol/tensor-codec";
import { encodeTensors } from "@/protocol/tensor-codec";
import type { TrainResult } from "@/protocol/training";
import { freePort, startHubProcess } from "@/server/lib/test-support/hub-process";
import { startRoundRobinProxy } from "@/server/lib/test-support/round-robin-proxy";
import { withBenchHub } from "./lib/bench-database";
import { asReleased } from "@/workers/test-support/released";

const SITES = Number(process.env.BENCH_SITES ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TRAIN_MS = Number(process.env.BENCH_TRAIN_MS ?? 500);
const HUBS = Number(process.env.BENCH_HUBS ?? 0);
const FEATURES = 200;
// 200 x 4975 + 4975 + 4975 + 1 = 1,004,951 parameters by default.
const HIDDEN = Math.round((Number(process.env.BENCH_PARAMS ?? 1_004_951) - 1) / (FEATURES + 2));
const PARAMETERS = FEATURES * HIDDEN + 2 * HIDDEN + 1;

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

type BenchSite = { id: string; code: string; client: HubClient };
const trainingMs = new Map<number, number[]>();

async function setUp(db: Database, hubUrl: string) {
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
async function runSite(site: BenchSite, stop: AbortSignal, index: number) {
  while (!stop.aborted) {
    const task = await site.client.claim(2_000, stop).catch(() => null);
    if (!task) continue;
    const lease = { taskId: task.taskId, leaseId: task.leaseId };
    const { tensors } = await site.client.downloadWeights(lease, stop);
    if (task.kind === "evaluate") {
      await site.client.complete({
        ...lease,
        result: asReleased({ ...RELEASE_STATEMENT, ...RELEASED_SPLIT, metrics: RELEASED_METRICS, backend: "bench" }),
      });
      continue;
    }
    const round = (task.payload as { round: number }).round;
    const ms = TRAIN_MS + index * 10;
    const started = performance.now();
    await new Promise((r) => setTimeout(r, ms));
    const update: NamedTensor[] = tensors.map((t) => ({ ...t, data: new Float32Array(t.data.length).fill(1e-5) }));
    const took = performance.now() - started;
    trainingMs.set(round, [...(trainingMs.get(round) ?? []), took]);
    await site.client.uploadUpdate({ ...lease, result: asReleased({ ...RESULT, trainingMs: took }), update });
  }
}

/** The same bytes over plain loopback HTTP: the sites' concurrent downloads, then their concurrent uploads. */
async function measureBaseline(file: Uint8Array): Promise<number> {
  const server = createServer((req, res) => {
    if (req.method === "GET") {
      res.end(Buffer.from(file));
      return;
    }
    req.on("data", () => undefined).on("end", () => res.end("{}"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const once = async () => {
    const started = performance.now();
    await Promise.all(Array.from({ length: SITES }, () => fetch(url).then((r) => r.arrayBuffer())));
    await Promise.all(
      Array.from({ length: SITES }, () =>
        fetch(url, { method: "POST", body: file as Uint8Array<ArrayBuffer> }).then((r) => r.text()),
      ),
    );
    return performance.now() - started;
  };
  await once();
  const times = [await once(), await once(), await once()];
  server.close();
  return Math.min(...times);
}

/** N portal processes of their own on the bench database, behind a round-robin proxy. */
async function startHubs(databaseUrl: string) {
  const hubs = await Promise.all(
    Array.from({ length: HUBS }, async () => startHubProcess(databaseUrl, await freePort())),
  );
  const proxy = await startRoundRobinProxy(hubs.map((h) => h.url));
  return {
    url: proxy.url,
    kill: () => hubs.forEach((h) => h.child.kill("SIGKILL")),
    /** Peak resident memory of each portal process (VmHWM), in MB. */
    peakMb: () =>
      hubs.map(
        (h) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${h.child.pid}/status`, "utf8"))?.[1]) / 1024,
      ),
    close: async () => {
      await proxy.close().catch(() => undefined);
      await Promise.all(hubs.map((h) => h.kill()));
    },
  };
}

async function main() {
  await withBenchHub(async (db, inProcessUrl, databaseUrl) => {
    const hubs = HUBS > 0 ? await startHubs(databaseUrl) : null;
    // A failed run must not leave portal processes behind.
    process.once("exit", () => hubs?.kill());
    const hubUrl = hubs?.url ?? inProcessUrl;
    const { fleet, researcher, project } = await setUp(db, hubUrl);
    console.log(
      `bench:round — ${SITES} sites x ${PARAMETERS.toLocaleString("en-GB")} parameters, ${ROUNDS} FedAvg rounds, simulated training ${TRAIN_MS}-${TRAIN_MS + 10 * (SITES - 1)} ms, hub ${HUBS > 0 ? `${HUBS} portal processes behind a round-robin proxy` : "in this process"}`,
    );
    const stop = new AbortController();
    const running = fleet.map((site, i) => runSite(site, stop.signal, i));
    const job = await createTrainJob(
      db,
      researcher,
      trainJobInput(
        project,
        fleet.map((s) => s.id),
        {
          hyperparameters: { rounds: ROUNDS, localEpochs: 1, batchSize: 32, learningRate: 0.01, optimizer: "sgd" },
          participation: { minSites: SITES, roundDeadlineSeconds: 600 },
          normBound: 100,
        },
      ),
    );
    for (;;) {
      const [row] = await db.select({ status: jobs.status, error: jobs.error }).from(jobs).where(eq(jobs.id, job.id));
      if (row!.status !== "running") {
        if (row!.status !== "completed") throw new Error(`job ended ${row!.status}: ${row!.error}`);
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    stop.abort();
    await Promise.allSettled(running);

    const rounds = await db
      .select()
      .from(trainingRounds)
      .where(eq(trainingRounds.jobId, job.id))
      .orderBy(asc(trainingRounds.number));
    const modelBytes = encodeTensors([{ name: "w", shape: [PARAMETERS], data: new Float32Array(PARAMETERS) }]);
    const hubPeaks = hubs?.peakMb();
    await hubs?.close();
    const baseline = await measureBaseline(modelBytes);
    console.log("");
    console.log("round   wall (ms)   slowest training (ms)   overhead (ms)   overhead / plain transfer");
    const overheads: number[] = [];
    for (const round of rounds) {
      const wall = round.closedAt!.getTime() - round.startedAt.getTime();
      const slowest = Math.max(...(trainingMs.get(round.number) ?? [0]));
      const overhead = wall - slowest;
      overheads.push(overhead);
      console.log(
        `${String(round.number).padStart(5)} ${wall.toFixed(0).padStart(11)} ${slowest.toFixed(0).padStart(23)} ${overhead.toFixed(0).padStart(15)} ${(overhead / baseline).toFixed(1).padStart(26)}x`,
      );
    }
    const median = [...overheads].sort((a, b) => a - b)[Math.floor(overheads.length / 2)]!;
    console.log("");
    const mb = (modelBytes.byteLength / 1e6).toFixed(0);
    console.log(
      `plain loopback transfer of the same bytes (${SITES} x ${mb} MB down, ${SITES} x ${mb} MB up), best of 3: ${baseline.toFixed(0)} ms`,
    );
    if (hubs) {
      const [{ holders }] = (await db
        .selectDistinct({ holders: sql<number>`count(DISTINCT ${roundUpdates.holder})::int` })
        .from(roundUpdates)
        .innerJoin(trainingRounds, eq(trainingRounds.id, roundUpdates.roundId))
        .where(eq(trainingRounds.jobId, job.id))) as [{ holders: number }];
      console.log(`updates were accepted by ${holders} of the ${HUBS} portal processes`);
    }
    if (hubPeaks)
      console.log(
        `peak memory of each portal process: ${hubPeaks.map((m) => `${m.toFixed(0)} MB`).join(", ")} (one model as a tensor file: ${mb} MB)`,
      );
    console.log(
      `median round overhead: ${median.toFixed(0)} ms = ${(median / baseline).toFixed(1)}x the plain transfer`,
    );
  });
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
