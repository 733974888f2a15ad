/**
 * bench:dispatch — how long a queued task waits before a worker's handler starts.
 *
 * Same run, same hub, same database: 10 site workers long-polling (LISTEN/NOTIFY wake-ups) against
 * 10 workers polling every 5 s as the reference Python FLIP does. Workers are the real protocol
 * client over loopback HTTP; the hub is the real router. Latency = enqueue start -> claim returned.
 */
import type { Database } from "@/db/client";
import { sites } from "@/db/schema";
import { issueSiteToken } from "@/server/site-network/site-tokens.service";
import { enqueueTask } from "@/server/tasks/tasks.service";
import { createHubClient, type HubClient } from "@/workers/hub-client";
import { createLogger } from "@/workers/log";
import { withBenchHub } from "./lib/bench-database";
import { asReleased } from "@/workers/test-support/released";

const WORKERS = 10;
const POLL_INTERVAL_MS = 5_000;
const INVENTORY = {
  threshold: 10,
  rounding: 5,
  persons: 100,
  observationYears: 500,
  imagesByModality: {},
  topConditions: [],
};

type Site = { id: string; code: string; client: HubClient };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function setUpSites(db: Database, hubUrl: string): Promise<Site[]> {
  const rows = await db
    .insert(sites)
    .values(Array.from({ length: WORKERS }, (_, i) => ({ code: `B${i}`, name: `Bench Trust ${i}`, region: "Bench" })))
    .returning();
  const log = createLogger({}, { minLevel: "error" });
  return Promise.all(
    rows.map(async (row) => {
      const { token } = await issueSiteToken(
        db,
        { type: "system", label: "bench" },
        { siteId: row.id, graceSeconds: 0 },
      );
      return { id: row.id, code: row.code, client: createHubClient({ trpcUrl: `${hubUrl}/api/trpc`, token, log }) };
    }),
  );
}

async function runWorkload(
  db: Database,
  fleet: Site[],
  mode: "long-poll" | "poll",
  tasks: number,
  gapMs: [number, number],
) {
  const enqueuedAt = new Map<string, number>();
  const latencies: number[] = [];
  let isRunning = true;
  const stop = new AbortController();

  const worker = async (site: Site) => {
    while (isRunning) {
      const task = await site.client.claim(mode === "long-poll" ? 25_000 : 0, stop.signal).catch(() => null);
      const receivedAt = performance.now();
      if (task) {
        latencies.push(receivedAt - (enqueuedAt.get(task.taskId) ?? receivedAt));
        await site.client.complete({ taskId: task.taskId, leaseId: task.leaseId, result: asReleased(INVENTORY) });
      } else if (mode === "poll" && isRunning) {
        await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
      }
    }
  };
  const running = fleet.map(worker);
  // Let every worker's first poll land at a different point of its cycle.
  await new Promise((r) => setTimeout(r, mode === "poll" ? POLL_INTERVAL_MS : 300));

  for (let i = 0; i < tasks; i++) {
    const site = fleet[Math.floor(Math.random() * fleet.length)]!;
    const startedAt = performance.now();
    const task = await db.transaction((tx) =>
      enqueueTask(tx, {
        siteId: site.id,
        siteCode: site.code,
        kind: "site_inventory",
        payload: {},
        actor: { type: "system", label: "bench" },
      }),
    );
    enqueuedAt.set(task.id, startedAt);
    await new Promise((r) => setTimeout(r, gapMs[0] + Math.random() * (gapMs[1] - gapMs[0])));
  }
  const deadline = Date.now() + POLL_INTERVAL_MS * 3;
  while (latencies.length < tasks && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  isRunning = false;
  stop.abort();
  await Promise.allSettled(running);
  const sorted = latencies.sort((a, b) => a - b);
  return {
    mode,
    tasks,
    completed: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
  };
}

async function main() {
  await withBenchHub(async (db, hubUrl) => {
    const fleet = await setUpSites(db, hubUrl);
    console.log(`bench:dispatch — ${WORKERS} site workers over loopback HTTP, hub ${hubUrl}`);
    const longPoll = await runWorkload(db, fleet, "long-poll", 300, [5, 40]);
    const polling = await runWorkload(db, fleet, "poll", 60, [100, 400]);
    const ms = (v: number) => `${v.toFixed(1).padStart(9)} ms`;
    console.log("");
    console.log("mode                         tasks        p50          p95          p99");
    for (const r of [longPoll, polling]) {
      const label = r.mode === "long-poll" ? "long-poll (LISTEN/NOTIFY)" : `polling every ${POLL_INTERVAL_MS / 1000} s`;
      console.log(
        `${label.padEnd(26)} ${String(r.completed).padStart(5)}/${r.tasks} ${ms(r.p50)} ${ms(r.p95)} ${ms(r.p99)}`,
      );
    }
    console.log("");
    console.log(`p50 ratio polling / long-poll: ${(polling.p50 / longPoll.p50).toFixed(1)}x`);
    console.log(`p99 ratio polling / long-poll: ${(polling.p99 / longPoll.p99).toFixed(1)}x`);
    console.log(`target p50 < 50 ms: ${longPoll.p50 < 50 ? "met" : "NOT met"} (${longPoll.p50.toFixed(1)} ms)`);
  });
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
