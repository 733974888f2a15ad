import type { FailureCode, TaskKind } from "@/protocol/contract";
import type { TableName } from "@/protocol/omop/tables";
import { isPgError } from "../log";

/**
 * Every reason a task can fail or be refused, and the one fixed text the hub is sent for each.
 * Texts may name policy settings and task kinds, which are not data; they never carry a count, a
 * value or a message that came from the site's data or its database. Details for Trust staff go to
 * the worker's log and the site ledger instead.
 */
export type SiteFailure =
  | { reason: "kind_not_allowed"; kind: TaskKind }
  | { reason: "approval_missing" }
  | { reason: "approval_invalid" }
  | { reason: "outside_approval" }
  | { reason: "invalid_payload" }
  | { reason: "feasibility_not_allowed" }
  | { reason: "feasibility_budget_spent" }
  | { reason: "evaluation_budget_spent" }
  | { reason: "differencing" }
  | { reason: "differential_privacy_required" }
  | {
      reason: "privacy_budget_spent";
      maxEpsilon: number;
      delta: number;
      spent: number;
      wouldSpend: number;
      /** Whose budget: the site policy's (default) or the one the approvers signed in the bundle. */
      budget?: "site" | "bundle";
    }
  | { reason: "too_many_rounds"; maxRounds: number }
  | { reason: "cohort_too_small"; minimum: number }
  | { reason: "images_unavailable" }
  | { reason: "model_refused" }
  | { reason: "weights_unavailable" }
  | { reason: "secure_aggregation_failed" }
  | { reason: "result_check_failed" }
  | { reason: "result_refused_by_hub" }
  | { reason: "imaging_not_available" }
  | { reason: "table_missing"; table: TableName }
  | { reason: "database_error"; sqlstate: string }
  | { reason: "database_unreachable" }
  | { reason: "timed_out" }
  | { reason: "internal_error" };

export type FailureReason = SiteFailure["reason"];

const REFUSALS: ReadonlySet<FailureReason> = new Set([
  "kind_not_allowed",
  "approval_missing",
  "approval_invalid",
  "outside_approval",
  "feasibility_not_allowed",
  "feasibility_budget_spent",
  "evaluation_budget_spent",
  "differencing",
  "differential_privacy_required",
  "privacy_budget_spent",
  "too_many_rounds",
  "cohort_too_small",
  "model_refused",
]);

export function failureCode(failure: SiteFailure): FailureCode {
  if (REFUSALS.has(failure.reason)) return "refused_by_site_policy";
  return failure.reason === "invalid_payload" ? "invalid_payload" : "handler_error";
}

export function failureText(failure: SiteFailure): string {
  switch (failure.reason) {
    case "kind_not_allowed":
      return `This site does not run '${failure.kind}' tasks (allowedTaskKinds in its site policy).`;
    case "approval_missing":
      return "This site runs project work only under a governance bundle one of its own approvers signed (approvers in its site policy); this task carries no such approval for this site.";
    case "approval_invalid":
      return "This site could not verify the task's approval: the bundle or the signature does not match what one of its enrolled approvers signed for this site; the site ledger says why.";
    case "outside_approval":
      return "This task asks for more than the governance bundle this site's approver signed (its cohort, model, job kind, outputs, rounds or privacy settings); the site ledger says which.";
    case "invalid_payload":
      return "The task does not match this site worker's protocol; the worker's log says which field.";
    case "feasibility_not_allowed":
      return "This site does not answer feasibility counts (allowFeasibility in its site policy); it counts only cohorts of a revision it approved.";
    case "feasibility_budget_spent":
      return "This site has answered all the feasibility counts it allows today (maxFeasibilityCountsPerDay in its site policy); try again tomorrow.";
    case "evaluation_budget_spent":
      return "This site has released all the evaluations it allows for this project (maxEvaluationsPerProject in its site policy); its data-governance office can raise the limit.";
    case "differencing":
      return "This result differs from one this site released earlier, for this project or this requester, by fewer persons than its threshold, so the two could be subtracted; the site refuses it.";
    case "differential_privacy_required":
      return "This site requires differential privacy for training (requireDifferentialPrivacy in its site policy), which this job does not use.";
    case "privacy_budget_spent":
      return `${failure.budget === "bundle" ? "The differential-privacy budget this site's approver signed for this project (in its governance bundle)" : "This site's differential-privacy budget for this project"} is ε = ${failure.maxEpsilon} at δ = ${failure.delta}${failure.budget === "bundle" ? "" : " (privacyBudget in its site policy)"}. It has spent ε = ${failure.spent.toFixed(2)}, and this job's remaining rounds would bring it to ε = ${failure.wouldSpend.toFixed(2)}, so it refuses before training. Use more noise or fewer rounds, or ask its data-governance office to raise the budget.`;
    case "too_many_rounds":
      return `This site trains for at most ${failure.maxRounds} rounds (maxRounds in its site policy).`;
    case "cohort_too_small":
      return `This site trains and evaluates only on at least ${failure.minimum} examples (minCohortSize and minCellCount in its site policy); this cohort has fewer.`;
    case "images_unavailable":
      return "Images that this cohort's image_occurrence rows name are missing or unreadable at this site, leaving too few to use; the site's staff can see how many and where in the worker's log and with `flip-worker check`.";
    case "model_refused":
      return "This site refuses the model: its package or architecture does not pass the site's checks; the worker's log says why.";
    case "secure_aggregation_failed":
      return "This site could not take part in the round's secure aggregation (the key exchange closed without it, or the round ended first); the worker's log says which step.";
    case "weights_unavailable":
      return "The site could not download the model weights from the hub.";
    case "result_check_failed":
      return "The result did not pass this site's output check; nothing was released.";
    case "result_refused_by_hub":
      return "The hub refused this site's result; nothing else was released.";
    case "imaging_not_available":
      return "This site's OMOP database has no MI-CDM imaging tables (image_occurrence), so it cannot run imaging criteria; definitions without them run.";
    case "table_missing":
      return `This site's OMOP database has no ${failure.table} table, which this definition needs; the site's self-check lists what is missing.`;
    case "database_error":
      return `The site's OMOP database refused the query (SQLSTATE ${failure.sqlstate}).`;
    case "database_unreachable":
      return "The site's OMOP database could not be reached.";
    case "timed_out":
      return "The site's OMOP database did not answer in time.";
    case "internal_error":
      return "The site worker hit an internal error; its log has the details.";
  }
}

/**
 * A failure a handler or the release gate raises on purpose. `detail` is for the worker's log only
 * (it may name files or issues); the hub only ever gets `failureText`.
 */
export class TaskError extends Error {
  constructor(
    readonly failure: SiteFailure,
    readonly isRetryable = false,
    readonly detail?: string,
  ) {
    super(detail ? `${failureText(failure)} (${detail})` : failureText(failure));
  }
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

/** The failure to report for any error: a TaskError as raised, a database error by its SQLSTATE only, anything else as internal. */
export function failureOf(error: unknown): SiteFailure {
  if (error instanceof TaskError) return error.failure;
  if (isPgError(error)) {
    if (error.code === "57014") return { reason: "timed_out" };
    return SQLSTATE.test(error.code)
      ? { reason: "database_error", sqlstate: error.code }
      : { reason: "internal_error" };
  }
  if (error instanceof Error && /timeout exceeded when trying to connect|Connection terminated/i.test(error.message))
    return { reason: "database_unreachable" };
  const errno = error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined;
  if (errno === "ECONNREFUSED" || errno === "ENOTFOUND" || errno === "EAI_AGAIN")
    return { reason: "database_unreachable" };
  return { reason: "internal_error" };
}

// Connection trouble, resource exhaustion, restarts and serialisation conflicts pass; anything else
// (a syntax error, a missing table) will fail the same way next time.
const RETRYABLE_SQLSTATE = /^(08|53|57P0|40001|40P01)/;

/** Whether the same task may succeed if tried again. */
export function isRetryable(error: unknown, failure: SiteFailure): boolean {
  if (error instanceof TaskError) return error.isRetryable;
  switch (failure.reason) {
    case "database_unreachable":
    case "timed_out":
    case "weights_unavailable":
      return true;
    case "database_error":
      return RETRYABLE_SQLSTATE.test(failure.sqlstate);
    default:
      return false;
  }
}
