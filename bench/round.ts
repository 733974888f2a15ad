/**
 * bench:round — what a federated round costs on top of the sites' own training.
 *
 * 10 stand-in sites on the real worker protocol client over loopback HTTP (in a thread of their own,
 * as real sites hash, decode and encode on their own machines), a registered model of
 * about 1 M parameters, FedAvg. Each site claims its train task, downloads the global weights
 * (4 MB FLIP tensor file), "trains" for a fixed, known time, and uploads a 4 MB update. Round
 * overhead = round wall time (hub: round opened -> round closed and next dispatched) minus the
 * slowest site's set training time (a site's timer that fires late in the busy fleet thread counts
 * as overhead): dispatch, transfers, validation, the persisted running sum,
 * aggregation and the new version. Baseline, same run: the same 10 x 4 MB down and up over plain
 * loopback HTTP with no hub logic. The ratio is what to compare between runs; times alone are noisy.
 * A second baseline has its clients also do a worker's own work on the bytes (check and decode each
 * download, encode each upload): the stand-in sites do that work on the hub's cores, one after
 * another in their thread, where real sites do it in parallel on their own machines.
 *
 * The job runs one round more than it counts: its first is a warm-up, printed but left out of the
 * median, as the baseline's first transfer is (it warms up, then takes the best of 3): the hub's
 * first round compiles its code paths and opens its connections, once per process, not once per round.
 *
 * BENCH_ROUNDS (counted rounds, default 3) and BENCH_TRAIN_MS (default 500) tune it (a real site trains
 * for minutes: BENCH_TRAIN_MS=12000 leaves the hub idle between rounds longer than node-postgres would
 * keep a connection open, which is how the pool's idle time in db/client.ts was found); BENCH_STRAGGLER_MS
 * has the last site train that much longer, so the round waits for one slow Trust as real rounds do
 * (the overhead still subtracts the slowest training). BENCH_SITES and BENCH_PARAMS
 * scale it. BENCH_HUBS=N serves the hub as N portal processes of their own (N > 1: behind a
 * round-robin proxy, as several portal processes behind a load balancer) and prints each one's
 * peak memory; BENCH_PROXY=1 puts one process (BENCH_HUBS=1) behind the same proxy, the baseline
 * that N processes compare with, as the proxy's own copying runs on the same cores; unset, the hub runs inside this process (the sites always run in threads of their
 * own: BENCH_FLEET_THREADS, default 1, 2 for the scale row).
 *
 * The scale row, BENCH_SCALE=1 (about 10 minutes on a loaded 2-core machine): 50 sites x 10 M
 * parameters, 2 GB through the hub per round, the hub in a process of its own so that its peak
 * resident memory (VmHWM) is its own; printed whole and as the part above what the process held
 * once started (its runtime, before any round). That part must stay a small multiple of one model
 * whatever the number of sites: FLIP_UPDATE_CONCURRENCY bodies in flight, not one per site.
 *
 * Each round's overhead is split where it goes: until every site has claimed its task and holds
 * the weights, and from the slowest site's training to its update accepted (which includes the
 * round's close). The machine's load average is printed with the figures, and where the CPU went
 * during the counted rounds: each process's threads by kind (event loop, V8's helper threads,
 * the sites' worker threads), PostgreSQL, and how busy the machine's cores were; with each one's page
 * faults, its first writes to fresh memory, which cost time without showing as a function of its own.
 */
import { appendFileSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { loadavg } from "node:os";
import { eq, sql } from "drizzle-orm";
import { roundUpdates, trainingRounds } from "@/db/schema";
import { createTrainJob } from "@/server/jobs/jobs.service";
import { trainJobInput } from "@/server/lib/test-support/training-fixtures";
import { encodeTensors } from "@/protocol/tensor-codec";
import { freePort, startHubProcess } from "@/server/lib/test-support/hub-process";
import { startRoundRobinProxy } from "@/server/lib/test-support/round-robin-proxy";
import { withBenchHub } from "./lib/bench-database";
import { cpuReport, cpuSnapshot } from "./lib/cpu-accounting";
import {
  IS_SCALE_ROW,
  median,
  PARAMETERS,
  ROUNDS,
  plainTransfer,
  roundOverheads,
  setUp,
  startFleet,
  SITES,
  TRAIN_MS,
  trainMsOf,
  waitForJob,
  waitForRound,
} from "./lib/round-fleet";

const WARM_UP_ROUNDS = 1;
const HUBS = Number(process.env.BENCH_HUBS ?? (IS_SCALE_ROW ? 1 : 0));
// Every byte through the proxy costs CPU on the same cores: one process behind it is what N processes compare with.
const IS_PROXIED = HUBS > 1 || (HUBS === 1 && process.env.BENCH_PROXY === "1");
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(", ");

/**
 * The same bytes over plain loopback HTTP, from the fleet's kind of thread: the sites' concurrent
 * downloads, then their concurrent uploads; with `codec`, each client also checks and decodes its
 * download and encodes its upload, as a worker does (and as the stand-in sites do, on the same cores).
 */
async function measureBaseline(file: Uint8Array, codec = false): Promise<number> {
  const server = createServer((req, res) => {
    if (req.method === "GET") {
      // A view, not a copy per request: as the hub serves a cached model.
      res.end(Buffer.from(file.buffer, file.byteOffset, file.byteLength));
      return;
    }
    req.on("data", () => undefined).on("end", () => res.end("{}"));
  });
  // As the hub's server: a client's connection left idle between the downloads and the uploads is
  // not closed under it just as it starts an upload on it (which fails the upload with EPIPE).
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    return await plainTransfer(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, file, SITES, codec);
  } finally {
    server.close();
  }
}

/** N portal processes of their own on the bench database, behind a round-robin proxy when N > 1. */
async function startHubs(databaseUrl: string) {
  let isClosing = false;
  const hubs = await Promise.all(
    Array.from({ length: HUBS }, async () => startHubProcess(databaseUrl, await freePort())),
  );
  for (const [i, hub] of hubs.entries()) {
    // A portal process that fails mid-run says why, rather than leaving the sites with "fetch failed".
    hub.child.stderr!.on("data", (chunk: string) => process.stderr.write(`[portal ${i}] ${chunk}`));
    // BENCH_HUB_LOG=<file>: the portal processes' own log lines (each route's status and duration), to see where a slow round went.
    if (process.env.BENCH_HUB_LOG)
      hub.child.stdout!.on("data", (chunk: string) => appendFileSync(process.env.BENCH_HUB_LOG!, chunk));
    hub.child.once("exit", (code, signal) => {
      if (!isClosing) console.error(`[portal ${i}] exited (${signal ?? code}) before the run ended`);
    });
  }
  const proxy = IS_PROXIED
    ? await startRoundRobinProxy(hubs.map((h) => h.url))
    : { url: hubs[0]!.url, close: async () => {} };
  return {
    url: proxy.url,
    kill: () => hubs.forEach((h) => h.child.kill("SIGKILL")),
    pids: hubs.map((h) => h.child.pid!),
    /** Resident memory of each portal process (VmRSS now, or VmHWM: its peak), in MB. */
    memoryMb: (field: "VmRSS" | "VmHWM") =>
      hubs.map(
        (h) =>
          Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${h.child.pid}/status`, "utf8"))?.[1]) /
          1024,
      ),
    close: async () => {
      isClosing = true;
      await proxy.close().catch(() => undefined);
      await Promise.all(hubs.map((h) => h.kill()));
    },
  };
}

async function main() {
  // The hub's request log (the portal processes inherit it): the figures are what this prints.
  process.env.FLIP_LOG_LEVEL ??= "warn";
  await withBenchHub(async (db, inProcessUrl, databaseUrl) => {
    const hubs = HUBS > 0 ? await startHubs(databaseUrl) : null;
    // A failed run must not leave portal processes behind.
    process.once("exit", () => hubs?.kill());
    const hubUrl = hubs?.url ?? inProcessUrl;
    const { fleet, researcher, project } = await setUp(db);
    console.log(
      `bench:round — ${SITES} sites x ${PARAMETERS.toLocaleString("en-GB")} parameters, ${ROUNDS} FedAvg rounds after a warm-up round, simulated training ${TRAIN_MS}-${trainMsOf(SITES - 1)} ms, hub ${HUBS > 1 ? `${HUBS} portal processes behind a round-robin proxy` : HUBS === 1 ? `in a process of its own${IS_PROXIED ? " behind a round-robin proxy" : ""}` : "in this process"}`,
    );
    console.log(`load average at the start (1, 5, 15 min): ${load()}`);
    // What each portal process holds once started, before any round: its runtime, not the model.
    const hubsAtStart = hubs?.memoryMb("VmRSS");
    const running = await startFleet(hubUrl, fleet);
    const job = await createTrainJob(
      db,
      researcher,
      trainJobInput(
        project,
        fleet.map((s) => s.id),
        {
          hyperparameters: {
            rounds: WARM_UP_ROUNDS + ROUNDS,
            localEpochs: 1,
            batchSize: 32,
            learningRate: 0.01,
            optimizer: "sgd",
          },
          participation: { minSites: SITES, roundDeadlineSeconds: 600 },
          normBound: 100,
        },
      ),
    );
    // Where the CPU went during the counted rounds: the hub's threads, the stand-in sites', PostgreSQL's.
    const measured: Record<string, number> = hubs
      ? {
          ...Object.fromEntries(hubs.pids.map((pid, i) => [`portal process ${i + 1}`, pid])),
          "this process (the stand-in sites)": process.pid,
        }
      : { "this process (the hub and the stand-in sites)": process.pid };
    await waitForRound(db, job.id, WARM_UP_ROUNDS);
    const cpuBefore = cpuSnapshot(measured);
    await waitForRound(db, job.id, WARM_UP_ROUNDS + ROUNDS);
    const cpuAfter = cpuSnapshot(measured);
    await waitForJob(db, job.id);
    await running.stop();

    const rounds = await roundOverheads(db, job.id);
    const modelBytes = encodeTensors([{ name: "w", shape: [PARAMETERS], data: new Float32Array(PARAMETERS) }]);
    const hubPeaks = hubs?.memoryMb("VmHWM");
    await hubs?.close();
    const baseline = await measureBaseline(modelBytes);
    const withCodec = await measureBaseline(modelBytes, true);
    console.log("");
    console.log("round   wall (ms)   slowest training (ms)   overhead (ms)   overhead / plain transfer");
    for (const { number, wall, slowest, overhead } of rounds) {
      console.log(
        `${String(number).padStart(5)} ${wall.toFixed(0).padStart(11)} ${slowest.toFixed(0).padStart(23)} ${overhead.toFixed(0).padStart(15)} ${(overhead / baseline).toFixed(1).padStart(26)}x${number <= WARM_UP_ROUNDS ? "   (warm-up, not counted)" : ""}`,
      );
    }
    console.log("");
    console.log(
      "round   all claimed   all downloaded   last training -> last update accepted   -> round closed   (ms)",
    );
    for (const { number, phases } of rounds)
      if (phases)
        console.log(
          `${String(number).padStart(5)} ${phases.claimed.toFixed(0).padStart(13)} ${phases.downloaded.toFixed(0).padStart(16)} ${phases.uploads.toFixed(0).padStart(40)} ${phases.close.toFixed(0).padStart(16)}`,
        );
    const medianOverhead = median(rounds.filter((r) => r.number > WARM_UP_ROUNDS).map((r) => r.overhead));
    console.log("");
    const mb = (modelBytes.byteLength / 1e6).toFixed(0);
    console.log(
      `plain loopback transfer of the same bytes (${SITES} x ${mb} MB down, ${SITES} x ${mb} MB up), best of 3: ${baseline.toFixed(0)} ms`,
    );
    console.log(
      `the same with the sites' own work on the bytes (check and decode each download, encode each upload), best of 3: ${withCodec.toFixed(0)} ms`,
    );
    if (hubs) {
      const [{ holders }] = (await db
        .selectDistinct({ holders: sql<number>`count(DISTINCT ${roundUpdates.holder})::int` })
        .from(roundUpdates)
        .innerJoin(trainingRounds, eq(trainingRounds.id, roundUpdates.roundId))
        .where(eq(trainingRounds.jobId, job.id))) as [{ holders: number }];
      console.log(`updates were accepted by ${holders} of the ${HUBS} portal processes`);
    }
    if (hubPeaks && hubsAtStart) {
      const models = (megabytes: number) => (megabytes / (modelBytes.byteLength / 1e6)).toFixed(1);
      console.log(
        `peak memory (VmHWM) of each portal process: ${hubPeaks.map((m) => `${m.toFixed(0)} MB = ${models(m)} models`).join(", ")} (one model as a tensor file: ${mb} MB, ${SITES} sites)`,
      );
      console.log(
        `  of which above its resident memory at the start, before any round: ${hubPeaks.map((m, i) => `${(m - hubsAtStart[i]!).toFixed(0)} MB = ${models(m - hubsAtStart[i]!)} models (from ${hubsAtStart[i]!.toFixed(0)} MB)`).join(", ")}`,
      );
    } else
      console.log(
        `peak memory of this process (hub and the ${SITES} stand-in sites): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (one model: ${mb} MB); BENCH_HUBS=1 gives the hub's own`,
      );
    console.log(`load average at the end (1, 5, 15 min): ${load()}`);
    for (const line of cpuReport(cpuBefore, cpuAfter, ROUNDS, "counted round")) console.log(line);
    console.log(
      `median round overhead of the ${ROUNDS} rounds after the warm-up: ${medianOverhead.toFixed(0)} ms = ${(medianOverhead / baseline).toFixed(1)}x the plain transfer (${(medianOverhead / withCodec).toFixed(1)}x the transfer with the sites' own work on the bytes)`,
    );
  });
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
