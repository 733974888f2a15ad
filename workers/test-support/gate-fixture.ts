import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TaskKind } from "@/protocol/contract";
import { openLedger } from "../ledger/ledger";
import { createLogger } from "../log";
import type { SitePolicy } from "../policy";
import { createReleaseGate } from "../release/gate";
import { executeTask, type TaskContext, type TaskHandler, type TaskOutcome } from "../tasks/base";

/** A release gate over a fresh ledger in a temporary state folder, as a worker process has one. */
export function createTestGate(policy: SitePolicy) {
  const stateDir = mkdtempSync(path.join(tmpdir(), "flip-ledger-"));
  const ledger = openLedger(stateDir);
  const gate = createReleaseGate({ ledger, policy, log: createLogger({}, { write: () => undefined }) });
  return { gate, ledger, stateDir };
}

/** Runs a handler as the worker does, through the gate, and returns what would be sent to the hub. */
export function runThroughGate<K extends TaskKind>(
  handler: TaskHandler<K>,
  payload: unknown,
  context: Omit<TaskContext, "admitPrivacy">,
  gate: ReturnType<typeof createTestGate>["gate"],
): Promise<TaskOutcome> {
  const task = {
    taskId: context.taskId,
    leaseId: randomUUID(),
    kind: handler.kind,
    payload,
    attempt: context.attempt,
    maxAttempts: 3,
    leaseExpiresAt: new Date(),
  };
  return executeTask(task, handler, { ...context, gate });
}
