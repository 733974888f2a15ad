import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";

/**
 * Where a benchmark's CPU time went, from /proc (Linux): each thread of the processes measured by
 * kind, every PostgreSQL process on the machine, and how busy the machine's CPUs were. On a machine
 * whose cores the hub shares with its database and the stand-in sites, the wall time of a round says
 * little by itself; this says whether the cores were full, and with what.
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
export function cpuTimesOf(statPath: string): { userMs: number; kernelMs: number } {
  const stat = readProc(statPath);
  if (!stat) return { userMs: 0, kernelMs: 0 };
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { userMs: Number(fields[11]) * TICK_MS, kernelMs: Number(fields[12]) * TICK_MS };
}

function cpuMsOf(statPath: string): number {
  const { userMs, kernelMs } = cpuTimesOf(statPath);
  return userMs + kernelMs;
}

type ProcessCpu = { totalMs: number; byKind: Map<ThreadKind, number> };

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
  return { totalMs, byKind };
}

/** CPU time of every process named `postgres` on this machine (the server and its backends). */
function postgresCpuMs(): number {
  let ms = 0;
  for (const entry of listProc("/proc"))
    if (/^\d+$/.test(entry) && readProc(`/proc/${entry}/comm`).trim() === "postgres")
      ms += cpuMsOf(`/proc/${entry}/stat`);
  return ms;
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
  postgresMs: number;
  machine: ReturnType<typeof machineTicks>;
};

/** Reads the CPU time so far of the named processes, PostgreSQL's and the machine's. */
export function cpuSnapshot(processes: Record<string, number>): Snapshot {
  return {
    at: performance.now(),
    processes: new Map(Object.entries(processes).map(([name, pid]) => [name, processCpu(pid)])),
    postgresMs: postgresCpuMs(),
    machine: machineTicks(),
  };
}

/**
 * What ran between two snapshots, per `per` (say, per round), as lines to print: each process's
 * threads by kind, PostgreSQL, and the machine's CPUs' busy share over the interval.
 */
export function cpuReport(before: Snapshot, after: Snapshot, per: number, unit: string): string[] {
  const ms = (value: number) => `${(value / per).toFixed(0)} ms`;
  const lines: string[] = [];
  let accounted = 0;
  for (const [name, end] of after.processes) {
    const start = before.processes.get(name);
    const parts = [...end.byKind]
      .map(([kind, value]) => [kind, value - (start?.byKind.get(kind) ?? 0)] as const)
      .filter(([, value]) => value >= per)
      .sort((a, b) => b[1] - a[1]);
    const total = end.totalMs - (start?.totalMs ?? 0);
    accounted += total;
    lines.push(`  ${name}: ${ms(total)} (${parts.map(([kind, value]) => `${kind} ${ms(value)}`).join(", ")})`);
  }
  const postgres = after.postgresMs - before.postgresMs;
  accounted += postgres;
  lines.push(`  PostgreSQL (every postgres process on this machine): ${ms(postgres)}`);
  const wallMs = after.at - before.at;
  const cores = availableParallelism();
  const busyShare =
    (after.machine.busy - before.machine.busy) / Math.max(1, after.machine.total - before.machine.total);
  lines.unshift(
    `CPU time per ${unit}, ${ms(accounted)} in all over ${ms(wallMs)} of wall time on ${cores} cores; the machine's CPUs were ${(busyShare * 100).toFixed(0)}% busy (this machine's other work included):`,
  );
  return lines;
}
