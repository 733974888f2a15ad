import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";

/**
 * Where a benchmark's CPU time went, from /proc (Linux): each thread of the processes measured by
 * kind, every PostgreSQL process on the machine, and how busy the machine's CPUs were. On a machine
 * whose cores the hub shares with its database and the stand-in sites, the wall time of a round says
 * little by itself; this says whether the cores were full, and with what. Each process's minor page
 * faults are counted too: a fault is the first write to a 4 KB page of fresh memory (about 12 µs on
 * this project's 2-core virtual machine), and unlike time their count hardly moves with the load.
 */

const THREAD_KINDS = {
  MainThread: "event loop",
  V8Worker: "V8 helper threads (garbage collection, compilation)",
  WorkerThread: "worker threads",
  "libuv-worker": "libuv pool (hashing, compression, files)",
} as const;
type ThreadKind = (typeof THREAD_KINDS)[keyof typeof THREAD_KINDS] | "other threads";

/** Clock ticks per second of /proc's CPU times: 100 on every Linux build Node ships for. */
const TICK_MS = 10;

/** A /proc file, or "" when it is gone (a thread or process that ended meanwhile). */
const readProc = (path: string) => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
};

const listProc = (path: string) => {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
};

/**
 * A thread's or process's CPU time so far, in ms, in user space and in the kernel, from its /proc
 * stat file (utime and stime, after the command's closing parenthesis); zeros when it is gone.
 */
function cpuTimesOf(statPath: string): { userMs: number; kernelMs: number } {
  const fields = statFieldsOf(statPath);
  return fields ? { userMs: fields[11]! * TICK_MS, kernelMs: fields[12]! * TICK_MS } : { userMs: 0, kernelMs: 0 };
}

/**
 * The process's main thread (its event loop): time on a CPU and waiting for one (runnable, but other processes had the cores),
 * in ms, from /proc/<pid>/schedstat, and of the time on a CPU how much the kernel spent for it (sockets
 * to the clients and the database), from /proc/<pid>/task/<pid>/stat; null where there is none. On a
 * shared machine the wait says how much of the latency was the machine rather than the portal.
 */
export function schedOf(pid: number): { runMs: number; waitMs: number; kernelMs: number } | null {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/schedstat`, "utf8").split(" ").map(Number);
    const { kernelMs } = cpuTimesOf(`/proc/${pid}/task/${pid}/stat`);
    return { runMs: run! / 1e6, waitMs: wait! / 1e6, kernelMs };
  } catch {
    return null;
  }
}

export type Sched = { cpuMsPerRequest: number | null; kernelShare: number | null; waitShare: number | null };

/** CPU ms per request, the kernel's share of it and the share of the interval spent waiting for a CPU, between two readings. */
export function schedBetween(
  before: ReturnType<typeof schedOf>,
  after: ReturnType<typeof schedOf>,
  requests: number,
  elapsedMs: number,
): Sched {
  if (!before || !after) return { cpuMsPerRequest: null, kernelShare: null, waitShare: null };
  const runMs = after.runMs - before.runMs;
  return {
    cpuMsPerRequest: runMs / Math.max(1, requests),
    kernelShare: runMs > 0 ? (after.kernelMs - before.kernelMs) / runMs : null,
    waitShare: (after.waitMs - before.waitMs) / elapsedMs,
  };
}

/**
 * The fields of a /proc stat file after the command's closing parenthesis, as numbers (the state,
 * first, as NaN), or null when it is gone: 7 minflt, 8 cminflt, 11 utime, 12 stime, 13 cutime and
 * 14 cstime, the last three pairs in clock ticks and the c- ones those of children waited for.
 */
function statFieldsOf(statPath: string): number[] | null {
  const stat = readProc(statPath);
  return stat
    ? stat
        .slice(stat.lastIndexOf(")") + 2)
        .split(" ")
        .map(Number)
    : null;
}

function cpuMsOf(statPath: string): number {
  const { userMs, kernelMs } = cpuTimesOf(statPath);
  return userMs + kernelMs;
}

/** A process's minor page faults so far (minflt, with its threads'), from its /proc stat file; 0 when it is gone. */
function minorFaultsOf(statPath: string): number {
  return statFieldsOf(statPath)?.[7] ?? 0;
}

type ProcessCpu = { totalMs: number; byKind: Map<ThreadKind, number>; minorFaults: number };

/** A process's CPU time by thread kind; its total also counts the threads that have exited. */
function processCpu(pid: number): ProcessCpu {
  const byKind = new Map<ThreadKind, number>();
  let threadsMs = 0;
  for (const tid of listProc(`/proc/${pid}/task`)) {
    const ms = cpuMsOf(`/proc/${pid}/task/${tid}/stat`);
    const comm = readProc(`/proc/${pid}/task/${tid}/comm`).trim();
    const kind: ThreadKind = THREAD_KINDS[comm as keyof typeof THREAD_KINDS] ?? "other threads";
    byKind.set(kind, (byKind.get(kind) ?? 0) + ms);
    threadsMs += ms;
  }
  const totalMs = cpuMsOf(`/proc/${pid}/stat`);
  // Threads that ran and exited (a finished worker thread) are in the process's total only.
  if (totalMs > threadsMs) byKind.set("other threads", (byKind.get("other threads") ?? 0) + totalMs - threadsMs);
  return { totalMs, byKind, minorFaults: minorFaultsOf(`/proc/${pid}/stat`) };
}

/**
 * CPU time and minor page faults of every process named `postgres` on this machine (the server and
 * its backends), with those of its processes that have exited: a backend's connection closed between
 * the snapshots takes its figures with it, and they reappear in its parent's for children waited for
 * (cutime, cstime and cminflt of the server process).
 */
function postgresCpu(): { ms: number; minorFaults: number } {
  let ms = 0;
  let minorFaults = 0;
  for (const entry of listProc("/proc"))
    if (/^\d+$/.test(entry) && readProc(`/proc/${entry}/comm`).trim() === "postgres") {
      const fields = statFieldsOf(`/proc/${entry}/stat`);
      if (!fields) continue;
      ms += (fields[11]! + fields[12]! + fields[13]! + fields[14]!) * TICK_MS;
      minorFaults += fields[7]! + fields[8]!;
    }
  return { ms, minorFaults };
}

/** All CPUs' busy and total time from /proc/stat, in ticks. */
function machineTicks(): { busy: number; total: number } {
  const [, ...values] = (readProc("/proc/stat").split("\n")[0] ?? "").trim().split(/\s+/);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = values.map(Number) as number[];
  const busy = (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
  return { busy, total: busy + (idle ?? 0) + (iowait ?? 0) };
}

type Snapshot = {
  at: number;
  processes: Map<string, ProcessCpu>;
  postgres: ReturnType<typeof postgresCpu>;
  machine: ReturnType<typeof machineTicks>;
};

/** Reads the CPU time so far of the named processes, PostgreSQL's and the machine's. */
export function cpuSnapshot(processes: Record<string, number>): Snapshot {
  return {
    at: performance.now(),
    processes: new Map(Object.entries(processes).map(([name, pid]) => [name, processCpu(pid)])),
    postgres: postgresCpu(),
    machine: machineTicks(),
  };
}

/** CPU ms between two snapshots: each named process's, every PostgreSQL process's, and the machine's CPUs' busy share. */
export function cpuBetween(
  before: Snapshot,
  after: Snapshot,
): { processMs: Map<string, number>; postgresMs: number; busyShare: number } {
  const processMs = new Map(
    [...after.processes].map(([name, end]) => [name, end.totalMs - (before.processes.get(name)?.totalMs ?? 0)]),
  );
  const busyShare =
    (after.machine.busy - before.machine.busy) / Math.max(1, after.machine.total - before.machine.total);
  return { processMs, postgresMs: after.postgres.ms - before.postgres.ms, busyShare };
}

/**
 * What ran between two snapshots, per `per` (say, per round), as lines to print: each process's
 * threads by kind, PostgreSQL, and the machine's CPUs' busy share over the interval.
 */
export function cpuReport(before: Snapshot, after: Snapshot, per: number, unit: string): string[] {
  const ms = (value: number) => `${(value / per).toFixed(0)} ms`;
  // A fault is a 4 KB page written for the first time (a huge page would be 2 MB, but none is asked for).
  const faults = (count: number) =>
    `${Math.round(count / per).toLocaleString("en-GB")} page faults (${(((count / per) * 4096) / 1e6).toFixed(0)} MB of fresh memory)`;
  const lines: string[] = [];
  const between = cpuBetween(before, after);
  let accounted = 0;
  for (const [name, end] of after.processes) {
    const start = before.processes.get(name);
    const parts = [...end.byKind]
      .map(([kind, value]) => [kind, value - (start?.byKind.get(kind) ?? 0)] as const)
      .filter(([, value]) => value >= per)
      .sort((a, b) => b[1] - a[1]);
    const total = between.processMs.get(name)!;
    accounted += total;
    lines.push(
      `  ${name}: ${ms(total)} (${parts.map(([kind, value]) => `${kind} ${ms(value)}`).join(", ")}); ${faults(end.minorFaults - (start?.minorFaults ?? 0))}`,
    );
  }
  const postgres = between.postgresMs;
  accounted += postgres;
  lines.push(
    `  PostgreSQL (every postgres process on this machine): ${ms(postgres)}; ${faults(after.postgres.minorFaults - before.postgres.minorFaults)}`,
  );
  const wallMs = after.at - before.at;
  const cores = availableParallelism();
  lines.unshift(
    `CPU time per ${unit}, ${ms(accounted)} in all over ${ms(wallMs)} of wall time on ${cores} cores; the machine's CPUs were ${(between.busyShare * 100).toFixed(0)}% busy (this machine's other work included):`,
  );
  return lines;
}
