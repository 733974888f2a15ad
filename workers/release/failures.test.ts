import { describe, expect, test } from "vitest";
import { createTestGate } from "../test-support/gate-fixture";
import { ZSitePolicy } from "../policy";
import { failureCode, failureOf, failureText, TaskError, type SiteFailure } from "./failures";

/**
 * Every way a task can fail leaves the site as one fixed text: no count, value or database message
 * from the site's data. Each reason is driven through the release gate with a detail that carries
 * data, and only the catalogue's text comes out.
 */
const EVERY_FAILURE: SiteFailure[] = [
  { reason: "kind_not_allowed", kind: "train" },
  { reason: "approval_missing" },
  { reason: "approval_invalid" },
  { reason: "outside_approval" },
  { reason: "invalid_payload" },
  { reason: "feasibility_not_allowed" },
  { reason: "feasibility_budget_spent" },
  { reason: "evaluation_budget_spent" },
  { reason: "differencing" },
  { reason: "differential_privacy_required" },
  { reason: "privacy_budget_spent", maxEpsilon: 4, delta: 1e-5, spent: 1.25, wouldSpend: 4.75 },
  { reason: "privacy_budget_spent", maxEpsilon: 3, delta: 1e-5, spent: 1.25, wouldSpend: 3.75, budget: "bundle" },
  { reason: "too_many_rounds", maxRounds: 50 },
  { reason: "cohort_too_small", minimum: 10 },
  { reason: "images_unavailable" },
  { reason: "model_refused" },
  { reason: "weights_unavailable" },
  { reason: "secure_aggregation_failed" },
  { reason: "result_check_failed" },
  { reason: "result_refused_by_hub" },
  { reason: "database_error", sqlstate: "42P01" },
  { reason: "database_unreachable" },
  { reason: "timed_out" },
  { reason: "internal_error" },
];

/** Numbers a text may contain: the policy settings and SQLSTATEs its parameters name, nothing else. */
const allowedNumbers = (failure: SiteFailure) =>
  Object.values(failure)
    .filter((v) => typeof v === "number" || /^[0-9A-Z]{5}$/.test(String(v)))
    .map(String);

describe("failure texts", () => {
  test.each(EVERY_FAILURE.map((f) => [f.reason, f] as const))("%s leaves as its fixed text only", (_, failure) => {
    const { gate, ledger } = createTestGate(ZSitePolicy.parse({ site: "KCH" }));
    const task = { taskId: "t", kind: "cohort_count" as const, payload: {} };
    const outcome = gate.fail(task, new TaskError(failure, false, "person 4711 aged 86, 7 persons excluded"));
    expect(outcome.message).toBe(failureText(failure));
    expect(outcome.code).toBe(failureCode(failure));
    const digits = outcome.message.match(/\d+/g) ?? [];
    for (const d of digits) expect(allowedNumbers(failure).some((allowed) => allowed.includes(d))).toBe(true);
    // The detail is kept for Trust staff in the site's own ledger, not sent.
    expect(ledger.list()[0]).toMatchObject({ reason: `${failure.reason}: person 4711 aged 86, 7 persons excluded` });
  });

  test("a database error that quotes row values is reduced to its SQLSTATE", () => {
    const error = Object.assign(new Error('invalid input syntax for type integer: "NHS 943 476 5919"'), {
      code: "22P02",
      severity: "ERROR",
      detail: "Key (person_id)=(4711) already exists.",
    });
    expect(failureOf(error)).toEqual({ reason: "database_error", sqlstate: "22P02" });
    expect(failureText(failureOf(error))).toBe("The site's OMOP database refused the query (SQLSTATE 22P02).");
  });

  test("anything else is an internal error, whatever its message says", () => {
    expect(failureOf(new Error("cohort of 3 persons"))).toEqual({ reason: "internal_error" });
    expect(failureOf("7")).toEqual({ reason: "internal_error" });
  });

  test("finding: a training refusal quoted a count below the threshold; the refusal's minimum is never below it", async () => {
    const { minimumExamples } = await import("../policy");
    const policy = ZSitePolicy.parse({ site: "KCH", minCohortSize: 3, minCellCount: 10 });
    expect(minimumExamples(policy, undefined)).toBe(10);
    expect(minimumExamples(policy, 25)).toBe(25);
    expect(failureText({ reason: "cohort_too_small", minimum: minimumExamples(policy, undefined) })).not.toMatch(
      /\b3\b/,
    );
  });
});
