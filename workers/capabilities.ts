import os from "node:os";
import type { Capabilities } from "@/protocol/contract";
import { describeErrorSafely, type Logger } from "./log";

/**
 * What this machine offers for training, as the heartbeat reports it. TF.js backend selection
 * (workers/tfjs/backend.ts) loads TF.js and can take seconds, so it runs once in the background and
 * heartbeats say "detecting" until it is known. Loading TF.js blocks the event loop for a second
 * or more, so the worker claims no task before it has finished (a stall mid-task could cost a lease).
 */
type TfjsReport = { backend: string; gpu: { name: string; memoryMb: number } | null };

export type CapabilityProbe = {
  current: () => Capabilities;
  /** Settles once the backend is known (or known to be missing). */
  ready: Promise<void>;
};

export function startCapabilityProbe(log: Logger): CapabilityProbe {
  let tfjs: TfjsReport | "detecting" | "unavailable" = "detecting";
  const ready = detectTfjsBackend()
    .then((report) => {
      tfjs = report;
      log.info("TF.js backend selected", { backend: report.backend, gpu: report.gpu?.name ?? null });
    })
    .catch((error: unknown) => {
      tfjs = "unavailable";
      log.warn("No TF.js backend could start; this site cannot train", { error: describeErrorSafely(error) });
    });
  return {
    ready,
    current: () => {
      const cpus = os.cpus();
      return {
        tfjsBackend: typeof tfjs === "string" ? tfjs : tfjs.backend,
        gpu: typeof tfjs === "string" ? null : tfjs.gpu,
        cpuCount: Math.max(1, cpus.length),
        cpuModel: cpus[0]?.model.trim().slice(0, 200),
        memoryMb: Math.round(os.totalmem() / 2 ** 20),
        platform: `${process.platform}-${process.arch} node ${process.versions.node}`.slice(0, 100),
      };
    },
  };
}

async function detectTfjsBackend(): Promise<TfjsReport> {
  const { selectTrainingBackend } = await import("./tfjs/backend");
  const report = await selectTrainingBackend();
  return { backend: report.backend, gpu: report.gpu };
}

/** CPU use since the previous call, from the kernel's per-core tick counters. */
export function createCpuMeter(): () => number {
  let previous = cpuTicks();
  return () => {
    const now = cpuTicks();
    const total = now.total - previous.total;
    const idle = now.idle - previous.idle;
    previous = now;
    return total > 0 ? clampPercent(100 * (1 - idle / total)) : 0;
  };
}

function cpuTicks(): { total: number; idle: number } {
  let total = 0;
  let idle = 0;
  for (const { times } of os.cpus()) {
    total += times.user + times.nice + times.sys + times.irq + times.idle;
    idle += times.idle;
  }
  return { total, idle };
}

export function memoryPercent(): number {
  return clampPercent(100 * (1 - os.freemem() / os.totalmem()));
}

function clampPercent(value: number): number {
  return Math.min(100, Math.max(0, Math.round(value * 10) / 10));
}
