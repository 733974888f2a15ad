/**
 * bench:load — does the API hold under load?
 *
 * Starts the production build (the portal server, built first when stale) on a throwaway database with
 * a researcher, their projects and a finished training job, and BENCH_SITES (500) sites with
 * tokens. Signs in through next-auth like a browser, then, while every site's worker client sends a
 * heartbeat every 5 s, drives with autocannon at BENCH_CONNECTIONS (100) for BENCH_SECONDS (10) each:
 *   - GET /api/health, the baseline: the same server and fast path (api-fast-path.ts) with no session or query;
 *   - projects.list and jobs.byId of the finished job, as the signed-in researcher;
 *   - the /projects page as that researcher's browser loads it (rendered by Next), for the heartbeats under it;
 *   - one of the build's scripts, signed out, as anyone may ask for it (Next serves static files).
 * Prints requests/s, p50 and p99 of each with its ratio to the baseline, the portal process's CPU
 * time per request, the kernel's share of that time and the share of the time it waited for a CPU
 * (from /proc: on a shared machine the CPU time moves less with other people's load than the rates
 * do, the kernel's share is what the sockets to the clients and the database cost, and the wait
 * shows that load),
 * then what each request cost in CPU all told: the portal process's (every thread), PostgreSQL's and
 * the load generator's (this process), which on one machine share its cores; the reads' latency
 * from p75 to the maximum;
 * and the heartbeats' p50 and p99, on their own for BENCH_SECONDS first (with the portal's and
 * PostgreSQL's CPU per heartbeat) and then under each phase;
 * the same for a colleague, another signed-in user, opening their project list every 200 ms
 * throughout (the browser line takes users in turn, so the researcher's flood does not queue them).
 * Goals on a 2-core machine: reads ≥ 1000 requests/s with p99 < 100 ms, heartbeats p99 < 50 ms.
 *
 * BENCH_SITE_PORTAL=1 serves the sites from a second portal process of their own on the same
 * database (BENCH_PORT + 1), as a deployment that gives Trusts their own address does: one event
 * loop serves its requests in arrival order, so under saturating reads a heartbeat sharing it waits
 * behind them, and one in a process of its own waits only for a CPU.
 */
import autocannon from "autocannon";
import { readdirSync } from "node:fs";
import { eq } from "drizzle-orm";
import superjson from "superjson";
import { jobs, users } from "@/db/schema";
import { hashPassword } from "@/server/auth/password";
import { buildPortal, isBuildStale, startPortal } from "@/server/cli/portal-process";
import { createTrainJob } from "@/server/jobs/jobs.service";
import { makeSite, makeUser, viewerOf } from "@/server/lib/test-support/fixtures";
import { makeTrainingProject, trainJobInput } from "@/server/lib/test-support/training-fixtures";
import { createProject } from "@/server/projects/projects.service";
import { recordHeartbeat } from "@/server/site-network/site-health.service";
import { issueSiteToken } from "@/server/site-network/site-tokens.service";
import { createHubClient } from "@/workers/hub-client";
import { createLogger } from "@/workers/log";
import { asReleased } from "@/workers/test-support/released";
import type { Database } from "@/db/client";
import { withBenchDatabase } from "./lib/bench-database";
import { cpuBetween, cpuSnapshot, schedBetween, schedOf, type Sched } from "./lib/cpu-accounting";

const SITES = Number(process.env.BENCH_SITES ?? 500);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const PORT = Number(process.env.BENCH_PORT ?? 3190);
const SITE_PORTAL = process.env.BENCH_SITE_PORTAL === "1";
const HEARTBEAT_MS = 5_000;
const COLLEAGUE_MS = 200;
const PASSWORD = "bench-load-password";
const SYSTEM = { type: "system", label: "bench:load" } as const;
const HEARTBEAT = {
  workerVersion: "bench",
  capabilities: { tfjsBackend: "wasm" as const, gpu: null, cpuCount: 2, memoryMb: 4096 },
  utilisation: { cpuPercent: 10, memoryPercent: 20 },
  tasksInFlight: [],
  selfChecks: [],
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** The researcher, their projects, a finished training job and the sites that send heartbeats. */
async function seed(db: Database) {
  const researcherRow = await makeUser(db, [{ role: "researcher" }], { email: "researcher@bench.flip" });
  await db
    .update(users)
    .set({ passwordHash: await hashPassword(PASSWORD) })
    .where(eq(users.id, researcherRow.id));
  const researcher = await viewerOf(db, researcherRow.id);
  const colleagueRow = await makeUser(db, [{ role: "researcher" }], { email: "colleague@bench.flip" });
  await db
    .update(users)
    .set({ passwordHash: await hashPassword(PASSWORD) })
    .where(eq(users.id, colleagueRow.id));
  for (let i = 0; i < 20; i++)
    await createProject(db, researcher, {
      title: `Bench project ${i}`,
      purpose: "A project with enough words in its purpose for the benchmark.",
    });
  const trainingSites = await Promise.all(
    ["BA", "BB", "BC"].map(async (code) => {
      const site = await makeSite(db, code);
      const approver = await viewerOf(db, (await makeUser(db, [{ role: "approver", siteId: site.id }])).id);
      return { site, approver };
    }),
  );
  const project = await makeTrainingProject(
    db,
    researcher,
    trainingSites.map(({ site, approver }) => ({ approver, siteId: site.id })),
  );
  const job = await createTrainJob(
    db,
    researcher,
    trainJobInput(
      project,
      trainingSites.map(({ site }) => site.id),
    ),
  );
  await db.update(jobs).set({ status: "completed", finishedAt: new Date() }).where(eq(jobs.id, job.id));
  const tokens: string[] = [];
  for (let i = 0; i < SITES; i++) {
    const site = await makeSite(db, `L${i}`);
    tokens.push((await issueSiteToken(db, SYSTEM, { siteId: site.id, graceSeconds: 0 })).token);
    // Sites that have connected before: the benchmark measures a network's steady heartbeats, not
    // 500 first connections at once (each audited and queueing an inventory, one at a time).
    await recordHeartbeat(db, site, HEARTBEAT);
  }
  return {
    email: researcherRow.email,
    colleagueEmail: colleagueRow.email,
    projectId: project.projectId,
    jobId: job.id,
    tokens,
  };
}

/** Signs in as a browser does (CSRF token, then the credentials callback) and returns the Cookie header. */
async function signIn(baseUrl: string, email: string): Promise<string> {
  const csrf = await fetch(`${baseUrl}/api/auth/csrf`);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const csrfCookie = csrf.headers.getSetCookie().map((c) => c.split(";")[0]);
  const response = await fetch(`${baseUrl}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: csrfCookie.join("; ") },
    body: new URLSearchParams({ csrfToken, email, password: PASSWORD, json: "true" }),
  });
  const session = response.headers.getSetCookie().find((c) => c.startsWith("next-auth.session-token="));
  if (!session) throw new Error(`sign-in failed (HTTP ${response.status})`);
  return session.split(";")[0]!;
}

/** The address of one of the build's scripts (/_next/static/chunks/…), as a page's script tag names it. */
function staticScriptPath(): string {
  const script = readdirSync(".next/static/chunks").find((name) => name.endsWith(".js"));
  if (!script) throw new Error("the production build has no scripts in .next/static/chunks");
  return `/_next/static/chunks/${script}`;
}

const trpcGet = (path: string, input: unknown) =>
  `/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify(superjson.serialize(input)))}`;

/**
 * CPU ms per request of the portal process (every thread of it: its event loop, V8's helper threads,
 * libuv's pool) and of what else ran on the machine meanwhile: every PostgreSQL process, and this
 * process (autocannon's thread and the heartbeats); with the machine's CPUs' busy share.
 */
type Others = { portalMsPerRequest: number; postgresMsPerRequest: number; loadMsPerRequest: number; busyShare: number };

type Row = { label: string; rps: number; p50: number; p99: number; spread: string; errors: number } & Sched & Others;

async function drive(baseUrl: string, pid: number, label: string, path: string, cookie?: string): Promise<Row> {
  const before = schedOf(pid);
  const othersBefore = cpuSnapshot({ portal: pid, load: process.pid });
  const started = performance.now();
  const result = await autocannon({
    url: `${baseUrl}${path}`,
    connections: CONNECTIONS,
    duration: SECONDS,
    headers: cookie ? { cookie } : {},
    // In a thread of its own: on this process's event loop, a hundred connections' worth of work
    // would delay the heartbeat loops below and count as the hub's latency.
    workers: 1,
  });
  const sched = schedBetween(before, schedOf(pid), result.requests.total, performance.now() - started);
  const others = cpuBetween(othersBefore, cpuSnapshot({ portal: pid, load: process.pid }));
  const requests = Math.max(1, result.requests.total);
  const errors = result.errors + result.timeouts + result.non2xx;
  return {
    label,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    // Where the tail starts: a broad spread is the queue's, a jump near the top is a stall.
    spread: `p75 ${result.latency.p75}, p90 ${result.latency.p90}, p97.5 ${result.latency.p97_5}, p99 ${result.latency.p99}, p99.9 ${result.latency.p99_9}, max ${result.latency.max} ms`,
    errors,
    ...sched,
    portalMsPerRequest: others.processMs.get("portal")! / requests,
    postgresMsPerRequest: others.postgresMs / requests,
    loadMsPerRequest: others.processMs.get("load")! / requests,
    busyShare: others.busyShare,
  };
}

/**
 * Callers that each send one request every `intervalMs` (starting spread over the interval) until
 * stopped. `take(from)` hands over the latencies recorded since the last take, of the requests
 * sent at or after `from` (performance.now()): one that was sent under an earlier phase counts there.
 */
function startCallers(callers: (() => Promise<unknown>)[], intervalMs: number) {
  let sent: { at: number; ms: number }[] = [];
  let failures = 0;
  let firstFailure: string | null = null;
  let running = true;
  const loops = callers.map(async (send, i) => {
    await new Promise((resolve) => setTimeout(resolve, (i / callers.length) * intervalMs));
    while (running) {
      const start = performance.now();
      try {
        await send();
        sent.push({ at: start, ms: performance.now() - start });
      } catch (error) {
        failures++;
        firstFailure ??= error instanceof Error ? error.message : String(error);
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  });
  const take = (from = 0) => {
    const latencies = sent
      .filter((s) => s.at >= from)
      .map((s) => s.ms)
      .sort((a, b) => a - b);
    const taken = { latencies, failures, firstFailure };
    sent = [];
    failures = 0;
    firstFailure = null;
    return taken;
  };
  return {
    take,
    async stop(from = 0) {
      running = false;
      await Promise.all(loops);
      return take(from);
    },
  };
}

/** Every site's worker client sends a heartbeat every 5 s. */
function startHeartbeats(baseUrl: string, tokens: string[]) {
  const log = createLogger({}, { write: () => undefined });
  const input = asReleased(HEARTBEAT);
  return startCallers(
    tokens.map((token) => {
      const client = createHubClient({ trpcUrl: `${baseUrl}/api/trpc`, token, log });
      return () => client.heartbeat(input);
    }),
    HEARTBEAT_MS,
  );
}

/**
 * A colleague of the researcher, signed in as another user, opens their project list every
 * COLLEAGUE_MS while the researcher's hundred connections flood the portal: the browser line takes
 * users in turn, so the colleague waits for a slot, not behind the flood.
 */
function startColleague(baseUrl: string, cookie: string) {
  return startCallers(
    [
      async () => {
        const response = await fetch(`${baseUrl}${trpcGet("projects.list", {})}`, { headers: { cookie } });
        if (!response.ok) throw new Error(`projects.list answered ${response.status}`);
        await response.arrayBuffer();
      },
    ],
    COLLEAGUE_MS,
  );
}

async function main() {
  process.env.FLIP_LOG_LEVEL ??= "warn";
  if (isBuildStale()) {
    console.log("bench:load: the production build is missing or stale; building it first…");
    buildPortal();
  }
  await withBenchDatabase(async (db, databaseUrl) => {
    const seeded = await seed(db);
    const start = (port: number) =>
      startPortal({
        databaseUrl,
        port,
        authSecret: "bench-load-session-secret-of-at-least-32-chars",
        extraEnv: {
          FLIP_LOG_LEVEL: "warn",
          // BENCH_PROFILE_DIR=dir writes a CPU profile of the portal process there when it stops.
          ...(process.env.BENCH_PROFILE_DIR
            ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}` }
            : {}),
        },
      });
    const portal = await start(PORT);
    const sitePortal = SITE_PORTAL
      ? await start(PORT + 1).catch(async (error: unknown) => {
          await portal.stop();
          throw error;
        })
      : null;
    const { url, pid } = portal;
    try {
      const cookie = await signIn(url, seeded.email);
      const heartbeats = startHeartbeats(sitePortal?.url ?? url, seeded.tokens);
      const colleague = startColleague(url, await signIn(url, seeded.colleagueEmail));
      // Warm-up: JIT, the pool and Next's route modules, and every site's first heartbeat.
      await drive(url, pid, "warm-up", trpcGet("projects.list", {}), cookie);
      // "Alone" starts once the warm-up's last requests and connections are done with, not behind them.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      heartbeats.take();
      colleague.take();
      const aloneFrom = performance.now();
      const aloneBefore = schedOf(sitePortal?.pid ?? pid);
      const aloneCpuBefore = cpuSnapshot({});
      await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
      const alone = heartbeats.take(aloneFrom);
      const colleagueAlone = colleague.take(aloneFrom);
      const alonePostgresMs = cpuBetween(aloneCpuBefore, cpuSnapshot({})).postgresMs;
      const aloneSched = schedBetween(
        aloneBefore,
        schedOf(sitePortal?.pid ?? pid),
        alone.latencies.length,
        SECONDS * 1000,
      );
      // Each phase's heartbeats: those sent while it ran (one sent under the last phase but answered
      // in this one is the last phase's).
      const phases = [
        { label: "GET /api/health (baseline)", path: "/api/health" },
        { label: "projects.list", path: trpcGet("projects.list", {}), cookie, hasGoal: true },
        {
          label: "jobs.byId (finished job)",
          path: trpcGet("jobs.byId", { projectId: seeded.projectId, jobId: seeded.jobId }),
          cookie,
          hasGoal: true,
        },
        // A page as a browser loads it (Next renders it): in the browser line like the calls above.
        { label: "GET /projects (a page)", path: "/projects", cookie },
        // A script every page loads, asked for by anyone: Next serves static files outside the browser line.
        { label: "GET a static script", path: staticScriptPath() },
      ];
      type Taken = ReturnType<typeof heartbeats.take>;
      const rows: (Row & { beats: Taken; colleague: Taken; hasGoal: boolean })[] = [];
      for (const [i, phase] of phases.entries()) {
        const from = performance.now();
        const row = await drive(url, pid, phase.label, phase.path, phase.cookie);
        const isLast = i === phases.length - 1;
        const beats = isLast ? await heartbeats.stop(from) : heartbeats.take(from);
        const colleagues = isLast ? await colleague.stop(from) : colleague.take(from);
        rows.push({ ...row, beats, colleague: colleagues, hasGoal: phase.hasGoal ?? false });
      }
      const baseline = rows[0]!;
      const cpu = (ms: number | null) => (ms === null ? "n/a" : ms.toFixed(2));
      const waited = (share: number | null) => (share === null ? "n/a" : `${(share * 100).toFixed(0)}%`);
      const cpuRatio = (ms: number | null) =>
        ms === null || !baseline.cpuMsPerRequest ? "n/a" : `${(ms / baseline.cpuMsPerRequest).toFixed(2)}x`;
      console.log(
        `bench:load — ${CONNECTIONS} connections × ${SECONDS} s each, ${SITES} sites heartbeating every ${HEARTBEAT_MS / 1000} s ${sitePortal ? "to a portal process of their own" : "to the same portal process"}`,
      );
      console.log("");
      console.log(
        `${"".padEnd(30)}${"req/s".padStart(9)}${"p50 ms".padStart(9)}${"p99 ms".padStart(9)}${"errors".padStart(8)}${"req/s vs baseline".padStart(19)}${"CPU ms/req".padStart(12)}${"vs baseline".padStart(13)}${"in kernel".padStart(11)}${"CPU wait".padStart(10)}`,
      );
      for (const row of rows)
        console.log(
          `${row.label.padEnd(30)}${row.rps.toFixed(0).padStart(9)}${row.p50.toFixed(0).padStart(9)}${row.p99.toFixed(0).padStart(9)}${String(row.errors).padStart(8)}${`${(row.rps / baseline.rps).toFixed(2)}x`.padStart(19)}${cpu(row.cpuMsPerRequest).padStart(12)}${cpuRatio(row.cpuMsPerRequest).padStart(13)}${waited(row.kernelShare).padStart(11)}${waited(row.waitShare).padStart(10)}`,
        );
      console.log("");
      // On one machine the cores are shared: what the database and the load generator took per request
      // is CPU the portal did not have (in production the database is elsewhere).
      console.log(
        `${"CPU ms per request, all of it".padEnd(30)}${"portal".padStart(9)}${"PostgreSQL".padStart(12)}${"load generator".padStart(16)}${"machine busy".padStart(14)}`,
      );
      for (const row of rows)
        console.log(
          `${row.label.padEnd(30)}${cpu(row.portalMsPerRequest).padStart(9)}${cpu(row.postgresMsPerRequest).padStart(12)}${cpu(row.loadMsPerRequest).padStart(16)}${waited(row.busyShare).padStart(14)}`,
        );
      console.log("");
      const beatsLine = (label: string, beats: typeof alone) =>
        `heartbeats ${label}: ${beats.latencies.length} sent, ${beats.failures} failed, p50 ${percentile(beats.latencies, 50).toFixed(1)} ms, p99 ${percentile(beats.latencies, 99).toFixed(1)} ms (goal p99 < 50 ms)${beats.firstFailure ? `; first failure: ${beats.firstFailure}` : ""}`;
      console.log(
        `${beatsLine("alone", alone)}; per heartbeat, portal CPU ${cpu(aloneSched.cpuMsPerRequest)} ms (waited for a CPU ${waited(aloneSched.waitShare)} of the time) and PostgreSQL's ${cpu(alonePostgresMs / Math.max(1, alone.latencies.length))} ms (a colleague's list every ${COLLEAGUE_MS} ms included)`,
      );
      for (const row of rows) console.log(beatsLine(`under ${row.label}`, row.beats));
      console.log("");
      const colleagueLine = (label: string, calls: typeof alone) =>
        `a colleague's projects.list every ${COLLEAGUE_MS} ms ${label}: ${calls.latencies.length} answered, ${calls.failures} failed, p50 ${percentile(calls.latencies, 50).toFixed(1)} ms, p99 ${percentile(calls.latencies, 99).toFixed(1)} ms${calls.firstFailure ? `; first failure: ${calls.firstFailure}` : ""}`;
      console.log(colleagueLine("alone", colleagueAlone));
      for (const row of rows) console.log(colleagueLine(`under ${row.label}`, row.colleague));
      for (const row of rows.filter((r) => r.hasGoal)) console.log(`${row.label} latency: ${row.spread}`);
      for (const row of rows.filter((r) => r.hasGoal))
        console.log(
          `${row.label}: ${row.rps >= 1000 && row.p99 < 100 ? "meets" : "MISSES"} the goal of ≥ 1000 req/s with p99 < 100 ms`,
        );
    } finally {
      await Promise.all([portal.stop(), sitePortal?.stop()]);
    }
  });
}

await main();
