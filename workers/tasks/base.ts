import type { z } from "zod";
import { TASK_SCHEMAS, type LeasedTask, type TaskKind } from "@/protocol/contract";
import type { NamedTensor } from "@/protocol/tensor-codec";
import type { ImagingContext } from "../imaging/imaging-context";
import type { Logger } from "../log";
import type { SitePolicy } from "../policy";
import { TaskError } from "../release/failures";
import type { Proposal, ReleaseGate, ReleasedOutcome, TrainProposal } from "../release/gate";
import type { PrivacyCharge } from "../release/privacy-budget";
import { approvedPrivacyBudget } from "../governance/admit-approved";
import type { ProgressStep } from "../release/progress";
import type { SiteDb } from "../site-db";
import type { SecAggChannel } from "../training/secagg-session";

/**
 * The one base every task handler runs on: the release gate admits the task under the site policy,
 * the payload is parsed with the contract schema (a bad payload is never retried), the handler
 * computes exact figures, and the gate alone turns them into what may leave the site or into a
 * fixed-text failure.
 */
export type TaskPayload<K extends TaskKind> = z.output<(typeof TASK_SCHEMAS)[K]["payload"]>;

export type TaskContext = {
  taskId: string;
  attempt: number;
  signal: AbortSignal;
  log: Logger;
  policy: SitePolicy;
  siteDb: SiteDb;
  dataDir: string;
  /** Where images come from besides the data folder, and where their problems are recorded for the self-check. */
  imaging?: ImagingContext;
  /** Reports progress to the hub (a fixed step, through the release gate), which also renews the lease. */
  progress: (percent: number, step?: ProgressStep) => Promise<void>;
  /** The task's model weights from the hub (train and evaluate tasks), decoded and hash-checked against their manifest. */
  downloadWeights: () => Promise<DownloadedWeights>;
  /** The hub calls of a secure-aggregation round, under this task's lease (absent where no hub is, as in unit tests). */
  secAgg?: SecAggChannel;
  /** Throws the site's refusal when a DP job would take the project over its privacy budget (the release gate's check). */
  admitPrivacy: ReleaseGate["admitPrivacy"];
};

export type DownloadedWeights = { tensors: NamedTensor[]; sha256: string };

export type TaskHandler<K extends TaskKind> = {
  kind: K;
  run: (payload: TaskPayload<K>, ctx: TaskContext) => Promise<Proposal<K>>;
};

export type TaskOutcome = ReleasedOutcome | { type: "aborted" };

export type ExecuteDeps = Omit<TaskContext, "taskId" | "attempt" | "log" | "admitPrivacy"> & {
  log: Logger;
  gate: ReleaseGate;
};

export async function executeTask<K extends TaskKind>(
  task: LeasedTask & { kind: K },
  handler: TaskHandler<K>,
  { gate, ...deps }: ExecuteDeps,
): Promise<TaskOutcome> {
  const gateTask = { taskId: task.taskId, kind: task.kind, payload: asRecord(task.payload) };
  try {
    gate.admit(gateTask);
    const payload = TASK_SCHEMAS[task.kind].payload.safeParse(task.payload);
    if (!payload.success) {
      // Paths and messages only: zod issues do not quote the offending values.
      throw new TaskError({ reason: "invalid_payload" }, false, summariseIssues(payload.error));
    }
    // The site's own approvers must have signed a bundle this task fits (when its policy enrols any).
    const approved = gate.admitApproved({ ...gateTask, payload: asRecord(payload.data), governance: task.governance });
    // The DP budget they signed binds besides the site's own: taken from the verified bundle, not the payload.
    const budget = approvedPrivacyBudget(approved);
    const capped = (charge: PrivacyCharge): PrivacyCharge => (budget ? { ...charge, approved: budget } : charge);
    const proposal = await handler.run(payload.data as TaskPayload<K>, {
      ...deps,
      taskId: task.taskId,
      attempt: task.attempt,
      admitPrivacy: (charge) => gate.admitPrivacy(capped(charge)),
    });
    if (deps.signal.aborted) return { type: "aborted" };
    const charged = proposal as Partial<TrainProposal>;
    const final = charged.privacy ? ({ ...charged, privacy: capped(charged.privacy) } as Proposal<K>) : proposal;
    return gate.release({ ...gateTask, payload: asRecord(payload.data) }, final);
  } catch (error) {
    if (deps.signal.aborted) return { type: "aborted" };
    return gate.fail(gateTask, error);
  }
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}

function summariseIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
    .join("; ");
}
