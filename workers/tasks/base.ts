import type { z } from "zod";
import { TASK_SCHEMAS, type FailureCode, type LeasedTask, type TaskKind } from "@/protocol/contract";
import { describeErrorSafely, isPgError, SafeMessageError, type Logger } from "../log";
import { policyRefusal, type SitePolicy } from "../policy";
import type { SiteDb } from "../site-db";
import type { NamedTensor } from "@/protocol/tensor-codec";

/**
 * The one base every task handler runs on: the site policy is checked first, then the payload is
 * parsed with the contract schema (a bad payload is never retried), the handler runs, its result is
 * checked against the contract before it may leave the site, and any error is classified as
 * retryable or not.
 */
export type TaskPayload<K extends TaskKind> = z.output<(typeof TASK_SCHEMAS)[K]["payload"]>;
export type TaskResult<K extends TaskKind> = z.input<(typeof TASK_SCHEMAS)[K]["result"]>;

export type TaskContext = {
  taskId: string;
  attempt: number;
  signal: AbortSignal;
  log: Logger;
  policy: SitePolicy;
  siteDb: SiteDb;
  dataDir: string;
  /** Reports progress to the hub, which also renews the lease. */
  progress: (percent: number, message?: string) => Promise<void>;
  /** The task's model weights from the hub (train and evaluate tasks), decoded and hash-checked against their manifest. */
  downloadWeights: () => Promise<DownloadedWeights>;
};

export type DownloadedWeights = { tensors: NamedTensor[]; sha256: string };

/**
 * A train task completes by uploading its update (the weights travel as binary, never in the
 * JSON `complete` call), so its handler returns the update alongside the result; the runner
 * reports both in one upload after the result has passed this site's output check.
 */
export type TrainOutput = { result: TaskResult<"train">; update: NamedTensor[] };
type HandlerOutput<K extends TaskKind> = K extends "train" ? TrainOutput : TaskResult<K>;

export type TaskHandler<K extends TaskKind> = {
  kind: K;
  run: (payload: TaskPayload<K>, ctx: TaskContext) => Promise<HandlerOutput<K>>;
};

/** A failure the handler understands; its message must name no site data. */
export class TaskError extends SafeMessageError {
  constructor(
    message: string,
    readonly isRetryable: boolean,
    readonly code: FailureCode = "handler_error",
  ) {
    super(message);
  }
}

export type TaskOutcome =
  | { type: "complete"; result: unknown }
  | { type: "upload"; result: TaskResult<"train">; update: NamedTensor[] }
  | { type: "fail"; code: FailureCode; message: string; isRetryable: boolean }
  | { type: "aborted" };

export type ExecuteDeps = Omit<TaskContext, "taskId" | "attempt" | "log"> & { log: Logger; policyPath: string };

export async function executeTask<K extends TaskKind>(
  task: LeasedTask & { kind: K },
  handler: TaskHandler<K>,
  deps: ExecuteDeps,
): Promise<TaskOutcome> {
  const refusal = policyRefusal(deps.policy, deps.policyPath, task.kind);
  if (refusal) return { type: "fail", code: "refused_by_site_policy", message: refusal, isRetryable: false };
  const schemas = TASK_SCHEMAS[task.kind];
  const payload = schemas.payload.safeParse(task.payload);
  if (!payload.success) {
    // Paths and messages only: zod issues do not quote the offending values.
    return {
      type: "fail",
      code: "invalid_payload",
      message: `The ${task.kind} payload is not valid: ${summariseIssues(payload.error)}`,
      isRetryable: false,
    };
  }
  try {
    const output = await handler.run(payload.data as TaskPayload<K>, {
      ...deps,
      taskId: task.taskId,
      attempt: task.attempt,
    });
    if (deps.signal.aborted) return { type: "aborted" };
    const { result, update } = task.kind === "train" ? (output as TrainOutput) : { result: output, update: null };
    const checked = schemas.result.safeParse(result);
    if (!checked.success) {
      return {
        type: "fail",
        code: "handler_error",
        message: `The ${task.kind} result failed this site's output check: ${summariseIssues(checked.error)}`,
        isRetryable: false,
      };
    }
    return update
      ? { type: "upload", result: checked.data as TaskResult<"train">, update }
      : { type: "complete", result: checked.data };
  } catch (error) {
    if (deps.signal.aborted) return { type: "aborted" };
    const isRetryable = isRetryableError(error);
    deps.log.warn("Task handler failed", { error: describeErrorSafely(error), retryable: isRetryable });
    const code = error instanceof TaskError ? error.code : "handler_error";
    return { type: "fail", code, message: describeErrorSafely(error), isRetryable };
  }
}

function summariseIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
    .join("; ");
}

// Connection trouble, resource exhaustion, restarts, timeouts and serialisation conflicts pass;
// anything else (a syntax error, a missing table) will fail the same way next time.
const RETRYABLE_SQLSTATE = /^(08|53|57P0|40001|40P01|57014)/;
const RETRYABLE_ERRNO = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "EPIPE"]);

export function isRetryableError(error: unknown): boolean {
  if (error instanceof TaskError) return error.isRetryable;
  if (isPgError(error)) return RETRYABLE_SQLSTATE.test(error.code);
  const errno = error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined;
  if (errno && RETRYABLE_ERRNO.has(errno)) return true;
  // node-postgres reports a pool timeout as a plain Error.
  return error instanceof Error && /timeout exceeded when trying to connect|Connection terminated/i.test(error.message);
}
