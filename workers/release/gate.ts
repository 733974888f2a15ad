import { createHash } from "node:crypto";
import type { z } from "zod";
import {
  SUPPRESSED,
  TASK_SCHEMAS,
  ZHeartbeatInput,
  type FailureCode,
  type HeartbeatInput,
  type SiteInventoryResult,
  type TaskKind,
} from "@/protocol/contract";
import { releaseCount } from "@/protocol/disclosure";
import type { EvaluateResult, TrainResult } from "@/protocol/training";
import type { NamedTensor } from "@/protocol/tensor-codec";
import type { SplitEvaluation } from "../training/predict";
import type { Logger } from "../log";
import type { Ledger } from "../ledger/ledger";
import { countRule, type SitePolicy } from "../policy";
import { admitApprovedTask } from "../governance/admit-approved";
import type { Bundle } from "@/protocol/bundle";
import { releaseCohortCount, type CohortProposal } from "./cohort-release";
import { findDicomIdentifier } from "../imaging/identifiers";
import { failureCode, failureOf, failureText, isRetryable, TaskError } from "./failures";
import { releaseMetrics, releaseSplit, releaseStatement } from "./metrics-release";
import { admitPrivacyCharge, releaseWithPrivacyCharge, type PrivacyCharge } from "./privacy-budget";
import { progressText, type ProgressStep } from "./progress";
import type { SecureSession, UnmaskAnswer } from "../training/secagg-session";
import { maskedUpload } from "../training/secagg-update";

/**
 * The one gate every byte leaving the site passes: task results, model updates, failure and
 * progress messages, heartbeats. Handlers hand it exact figures; it alone applies the site policy
 * and the contract (threshold, rounding, complementary suppression, the differencing check against
 * the site ledger, fixed-text messages), records the release or refusal in the ledger, and returns
 * the value marked `Released`, the only kind the hub client accepts.
 */
declare const released: unique symbol;
export type Released<T> = T & { readonly [released]: true };
const mark = <T>(value: T) => value as Released<T>;

/** What a handler hands the gate: exact figures, never sent as they are. */
export type InventoryProposal = Omit<
  SiteInventoryResult,
  "threshold" | "rounding" | "persons" | "observationYears" | "imagesByModality" | "topConditions"
> & {
  persons: number;
  observationYears: number;
  imagesByModality: Record<string, number>;
  topConditions: { conceptId: number; name: string; persons: number }[];
};
/** A train result with the validation split's exact evaluations (global model before, local model after training). */
export type TrainProposal = {
  result: Omit<
    TrainResult,
    "globalValidation" | "localValidation" | "threshold" | "rounding" | "metricDecimals" | "privacy"
  > & {
    globalValidation: SplitEvaluation;
    localValidation: SplitEvaluation;
  };
  update: NamedTensor[];
  /** With differential privacy: what this round costs the project's budget (the noise is already in `update`). */
  privacy?: PrivacyCharge;
  /** In a secure-aggregation round: the update leaves only masked, through this session. */
  secure?: SecureSession;
};
/** An evaluation of the test split, exact. */
export type EvaluateProposal = { test: SplitEvaluation; backend: string };
export type Proposal<K extends TaskKind> = {
  site_inventory: InventoryProposal;
  cohort_count: CohortProposal;
  train: TrainProposal;
  evaluate: EvaluateProposal;
}[K];

export type GateTask = { taskId: string; kind: TaskKind; payload: Record<string, unknown> };
type TaskResult<K extends TaskKind> = z.output<(typeof TASK_SCHEMAS)[K]["result"]>;

export type ReleasedOutcome =
  | { type: "complete"; result: Released<unknown> }
  | { type: "upload"; result: Released<TrainResult>; update: NamedTensor[] }
  | { type: "masked_upload"; result: Released<TrainResult>; masked: Uint32Array; secure: SecureSession }
  | { type: "fail"; code: FailureCode; message: Released<string>; isRetryable: boolean };

export type FailOutcome = Extract<ReleasedOutcome, { type: "fail" }>;
export type ReleaseGate = ReturnType<typeof createReleaseGate>;

const startOfUtcDay = () => new Date(new Date().toISOString().slice(0, 10));

export function createReleaseGate({ ledger, policy, log }: { ledger: Ledger; policy: SitePolicy; log: Logger }) {
  const context = (task: GateTask) => ({
    taskId: task.taskId,
    kind: task.kind,
    purpose: typeof task.payload.purpose === "string" ? task.payload.purpose : null,
    projectId: typeof task.payload.projectId === "string" ? task.payload.projectId : null,
    requesterId: typeof task.payload.requesterId === "string" ? task.payload.requesterId : null,
  });

  const checked = <K extends TaskKind>(kind: K, result: unknown): TaskResult<K> => {
    const parsed = (TASK_SCHEMAS[kind].result as unknown as z.ZodType<TaskResult<K>>).safeParse(result);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
      throw new TaskError({ reason: "result_check_failed" }, false, issues.slice(0, 500));
    }
    // No DICOM header value (a name, an ID, a date, a UID) leaves the site, whatever field it hides in.
    const identifier = findDicomIdentifier(parsed.data);
    if (identifier) throw new TaskError({ reason: "result_check_failed" }, false, `the result holds ${identifier}`);
    return parsed.data;
  };
  const sha256 = (value: unknown) => createHash("sha256").update(JSON.stringify(value)).digest("hex");

  return {
    /**
     * Checks a task against the site policy before any data is read: its kind, feasibility counts
     * and their daily budget. Refusals are recorded and thrown as TaskError.
     */
    admit(task: GateTask): void {
      if (!policy.allowedTaskKinds.includes(task.kind))
        throw new TaskError({ reason: "kind_not_allowed", kind: task.kind });
      if (task.kind === "evaluate") {
        // Each evaluation's metrics say a little more about the same persons: a project gets a fixed number, ever.
        const projectId = typeof task.payload.projectId === "string" ? task.payload.projectId : undefined;
        if (!projectId) throw new TaskError({ reason: "invalid_payload" }, false, "projectId: missing");
        if (ledger.countReleases({ kind: "evaluate", projectId }) >= policy.maxEvaluationsPerProject)
          throw new TaskError({ reason: "evaluation_budget_spent" });
        return;
      }
      if (task.kind !== "cohort_count" || task.payload.purpose !== "feasibility") return;
      if (!policy.allowFeasibility) throw new TaskError({ reason: "feasibility_not_allowed" });
      const today = ledger.countReleases({ kind: "cohort_count", purpose: "feasibility", since: startOfUtcDay() });
      if (today >= policy.maxFeasibilityCountsPerDay) throw new TaskError({ reason: "feasibility_budget_spent" });
    },

    /** Refuses a project task unless it fits a bundle one of the site's enrolled approvers signed for this site; records the approval it verified. */
    admitApproved(task: GateTask & { governance?: unknown }): Bundle | null {
      const admitted = admitApprovedTask(policy, task);
      if (!admitted) return null;
      ledger.recordVerifiedApproval(admitted.approval);
      return admitted.bundle;
    },

    /** Refuses, before training, a DP job whose remaining rounds would exceed the project's budget at this site. */
    admitPrivacy(charge: PrivacyCharge): void {
      admitPrivacyCharge(ledger, policy, charge);
    },

    /** Turns a handler's exact figures into what may leave the site, and records it. Throws TaskError on refusal. */
    release<K extends TaskKind>(task: GateTask & { kind: K }, proposal: Proposal<K>): ReleasedOutcome {
      const entry = context(task);
      const rule = countRule(policy, task.payload.minCellCount as number | undefined);
      switch (task.kind) {
        case "cohort_count": {
          const result = releaseCohortCount({
            proposal: proposal as CohortProposal,
            rule,
            ledger,
            entry,
            check: (value) => checked("cohort_count", value),
            hash: sha256,
          });
          return { type: "complete", result: mark<unknown>(result) };
        }
        case "site_inventory": {
          const exact = proposal as InventoryProposal;
          const cell = (n: number) => releaseCount(n, rule);
          const result = checked("site_inventory", {
            ...(exact.cdmVersion ? { cdmVersion: exact.cdmVersion } : {}),
            ...(exact.imagingAvailable !== undefined ? { imagingAvailable: exact.imagingAvailable } : {}),
            threshold: rule.threshold,
            rounding: rule.base,
            persons: cell(exact.persons),
            observationYears: cell(exact.observationYears),
            imagesByModality: Object.fromEntries(Object.entries(exact.imagesByModality).map(([m, n]) => [m, cell(n)])),
            topConditions: exact.topConditions.map((c) => ({ ...c, persons: cell(c.persons) })),
          });
          ledger.recordRelease({ ...entry, figures: result, payloadSha256: sha256(result) });
          return { type: "complete", result: mark<unknown>(result) };
        }
        case "train": {
          const { result: exact, update, privacy, secure } = proposal as TrainProposal;
          // The example count is the site's FedAvg weight: released rounded, like every count.
          const exampleCount = releaseCount(exact.exampleCount, rule);
          if (exampleCount === SUPPRESSED) throw new TaskError({ reason: "cohort_too_small", minimum: rule.threshold });
          const global = releaseSplit(exact.globalValidation, rule);
          const { metrics: globalMetrics, ...globalCounts } = global;
          // In a secure round the masked vector is what leaves, weighted by the released example count so the hub's sum matches.
          const masked = secure && maskedUpload({ update, weight: exampleCount / secure.weightDivisor, ...secure });
          const digest = masked ? bytesDigest(masked) : updateDigest(update);
          const build = (report?: TrainResult["privacy"]) => {
            const figures = checked("train", {
              ...exact,
              exampleCount,
              threshold: rule.threshold,
              ...releaseStatement(rule),
              globalValidation: { ...globalCounts, ...globalMetrics },
              // The local model on the same split: released only when the split is, rounded the same way.
              localValidation: releaseMetrics(exact.globalValidation, exact.localValidation.metrics, rule),
              privacy: report,
            } satisfies TrainResult);
            return { figures, payloadSha256: sha256({ figures, update: digest }) };
          };
          let figures: TrainResult;
          if (privacy) figures = releaseWithPrivacyCharge(ledger, policy, privacy, entry, build);
          else {
            const built = build();
            ledger.recordRelease({ ...entry, ...built });
            figures = built.figures;
          }
          if (masked && secure) return { type: "masked_upload", result: mark(figures), masked, secure };
          return { type: "upload", result: mark(figures), update };
        }
        case "evaluate": {
          const { test, backend } = proposal as EvaluateProposal;
          const result = checked("evaluate", {
            threshold: rule.threshold,
            ...releaseStatement(rule),
            ...releaseSplit(test, rule),
            backend,
          } satisfies EvaluateResult);
          ledger.recordRelease({ ...entry, figures: result, payloadSha256: sha256(result) });
          return { type: "complete", result: mark<unknown>(result) };
        }
        default: {
          const result = checked(task.kind, proposal);
          ledger.recordRelease({ ...entry, figures: result, payloadSha256: sha256(result) });
          return { type: "complete", result: mark<unknown>(result) };
        }
      }
    },

    /** The failure report for any error: a fixed text, recorded in the ledger with the detail kept for Trust staff. */
    fail(task: GateTask, error: unknown): FailOutcome {
      const failure = failureOf(error);
      const code = failureCode(failure);
      const retryable = isRetryable(error, failure);
      const detail = error instanceof TaskError ? error.detail : undefined;
      ledger.recordRefusal({
        ...context(task),
        outcome: code === "refused_by_site_policy" ? "refused" : "failed",
        reason: detail ? `${failure.reason}: ${detail}` : failure.reason,
      });
      log.warn(code === "refused_by_site_policy" ? "Task refused by the site policy" : "Task failed", {
        reason: failure.reason,
        detail,
        retryable,
      });
      return { type: "fail", code, message: mark(failureText(failure)), isRetryable: retryable };
    },

    /** A survivor's unmasking shares: shares of random seeds and keys, no figure from the data. */
    unmaskShares(answer: UnmaskAnswer): Released<UnmaskAnswer> {
      return mark(answer);
    },

    progress(step: ProgressStep): Released<string> {
      return mark(progressText(step));
    },

    /** Heartbeats carry capabilities and self-checks only; the contract bounds every field. */
    heartbeat(input: HeartbeatInput): Released<HeartbeatInput> {
      const parsed = ZHeartbeatInput.parse(input);
      if (findDicomIdentifier(parsed)) throw new Error("a heartbeat held a DICOM header value; it was not sent");
      return mark(parsed);
    },
  };
}

/** The ledger keeps a hash of each update, not the update: enough to tell later which bytes left. */
function updateDigest(update: readonly NamedTensor[]): string {
  const hash = createHash("sha256");
  for (const t of update)
    hash.update(t.name).update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  return hash.digest("hex");
}

function bytesDigest(words: Uint32Array): string {
  return createHash("sha256")
    .update(new Uint8Array(words.buffer, words.byteOffset, words.byteLength))
    .digest("hex");
}
