import type { ImageHealth } from "./imaging/imaging-context";
import { MAX_TASKS_IN_FLIGHT_LISTED, type HeartbeatInput } from "@/protocol/contract";
import { createBackoff, sleep } from "./backoff";
import { createCpuMeter, memoryPercent, type CapabilityProbe } from "./capabilities";
import { retryDelayMs, type HubClient } from "./hub-client";
import type { Logger } from "./log";
import type { ReleaseGate } from "./release/gate";
import { runSelfChecks } from "./self-checks";
import type { SiteDb } from "./site-db";

/**
 * Tells the hub every few seconds that this site is alive, what it can do and how it is doing,
 * and learns which of its running tasks the hub has cancelled. The first answer also confirms
 * who the hub thinks this site is, before any work is claimed.
 */
export type HeartbeatDeps = {
  hub: HubClient;
  gate: ReleaseGate;
  log: Logger;
  intervalMs: number;
  workerVersion: string;
  probe: CapabilityProbe;
  siteDb: SiteDb;
  dataDir: string;
  imageHealth?: ImageHealth;
  tasksInFlight: () => string[];
  /** Called with every answer: the site code the hub resolved from the token, and the tasks to stop. */
  onAnswer: (answer: { siteCode: string; cancelledTaskIds: string[] }) => void;
  /** Hub clock minus local clock, so lease expiries (hub time) can be read locally. */
  onClockOffset: (offsetMs: number) => void;
};

export function startHeartbeat(deps: HeartbeatDeps): { stop: () => void } {
  const stopped = new AbortController();
  const cpuPercent = createCpuMeter();
  const backoff = createBackoff();

  const beat = async () => {
    const input: HeartbeatInput = {
      workerVersion: deps.workerVersion,
      capabilities: deps.probe.current(),
      utilisation: { cpuPercent: cpuPercent(), memoryPercent: memoryPercent() },
      tasksInFlight: deps.tasksInFlight().slice(0, MAX_TASKS_IN_FLIGHT_LISTED),
      selfChecks: await runSelfChecks(deps.siteDb, deps.dataDir, deps.imageHealth),
    };
    const sentAt = Date.now();
    const answer = await deps.hub.heartbeat(deps.gate.heartbeat(input));
    // Midpoint of the round trip: good to a few milliseconds, far below any lease length.
    deps.onClockOffset(answer.serverTime.getTime() - (sentAt + Date.now()) / 2);
    deps.onAnswer(answer);
  };

  void (async () => {
    while (!stopped.signal.aborted) {
      let waitMs = deps.intervalMs;
      try {
        await beat();
        backoff.reset();
      } catch (error) {
        waitMs = Math.max(deps.intervalMs, retryDelayMs(error, backoff.nextDelayMs));
      }
      await sleep(waitMs, stopped.signal);
    }
  })();

  return { stop: () => stopped.abort() };
}
