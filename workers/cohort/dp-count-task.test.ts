import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { checkResultPolicy } from "@/server/tasks/result-policy";
import { SUPPRESSED, type CohortCountResult } from "@/protocol/contract";
import { CONCEPT as C } from "@/protocol/omop/concepts";
import { countNoiseSigma, countRdp, type CountPrivacy } from "@/protocol/privacy/dp-counts";
import { DEFAULT_ORDERS, epsilonFromRdp } from "@/protocol/privacy/rdp";
import { createLogger } from "../log";
import { ZSitePolicy } from "../policy";
import { createSiteDb, type SiteDb } from "../site-db";
import { executeTask } from "../tasks/base";
import { cohortCountTask } from "../tasks/cohort-count";
import { all, cohort, condition, has } from "../test-support/cohort-definitions";
import { COHORT_FIXTURE_SCHEMA, createCohortFixture, type CohortFixture } from "../test-support/cohort-fixture";
import { createTestGate } from "../test-support/gate-fixture";

/**
 * Differentially private cohort counts on the real site database: noise of the stated scale before
 * suppression and rounding, exactly the stated ε charged to the project's budget in the site ledger,
 * and the refusals (over budget, DP required) before any query runs.
 */
const adminUrl = inject("pgAdminUrl");
const log = createLogger({}, { write: () => undefined });
let fixture: CohortFixture;
let siteDb: SiteDb;
let queries = 0;

beforeAll(async () => {
  fixture = await createCohortFixture(adminUrl);
  const db = createSiteDb({ url: fixture.url, schema: COHORT_FIXTURE_SCHEMA, maxConnections: 2, log });
  // Counts every read of the site's data, so a test can show a refusal read nothing.
  siteDb = { ...db, readOnly: (work, options) => (queries++, db.readOnly(work, options)) };
});
afterAll(async () => {
  await siteDb?.close();
  await fixture?.drop();
});

/** Nine persons with a stroke in the fixture: one attrition step, so L2 sensitivity √3. */
const STROKE = cohort(condition([C.cerebrovascularAccident]));
const EXACT_TOTAL = 9;
const DELTA = 1e-5;

function site(policy: Record<string, unknown>) {
  const sitePolicy = ZSitePolicy.parse({
    site: "KCH",
    allowedTaskKinds: ["cohort_count"],
    roundingBase: 1,
    minCellCount: 1,
    ...policy,
  });
  const { gate, ledger } = createTestGate(sitePolicy);
  const count = (projectId: string, differentialPrivacy?: CountPrivacy, minCellCount = 1, definition = STROKE) => {
    const payload = {
      definition,
      purpose: "approved",
      minCellCount,
      projectId,
      requesterId: randomUUID(),
      ...(differentialPrivacy ? { differentialPrivacy } : {}),
    };
    const task = {
      taskId: randomUUID(),
      leaseId: randomUUID(),
      kind: "cohort_count" as const,
      payload,
      attempt: 1,
      maxAttempts: 3,
      leaseExpiresAt: new Date(),
    };
    return executeTask(task, cohortCountTask, {
      signal: new AbortController().signal,
      log,
      policy: sitePolicy,
      gate,
      siteDb,
      dataDir: "/tmp",
      progress: async () => undefined,
      downloadWeights: () => Promise.reject(new Error("no weights")),
    }).then((outcome) => ({ outcome, payload }));
  };
  return { count, ledger };
}

const resultOf = (outcome: Awaited<ReturnType<ReturnType<typeof site>["count"]>>["outcome"]) => {
  if (outcome.type !== "complete") throw new Error(`expected a released count, got ${JSON.stringify(outcome)}`);
  return outcome.result as unknown as CohortCountResult;
};

describe("differentially private cohort counts", () => {
  test("the released total carries discrete Gaussian noise of σ = multiplier × √(steps + 2), centred on the exact count", async () => {
    const dp = { epsilon: 6, delta: DELTA };
    const { count } = site({ privacyBudget: { maxEpsilon: 1000, delta: DELTA } });
    const project = randomUUID();
    const DRAWS = 300;
    const totals: number[] = [];
    for (let i = 0; i < DRAWS; i++) totals.push(resultOf((await count(project, dp)).outcome).total as number);
    const sigma = countNoiseSigma(dp, 1);
    // Threshold 1 and rounding 1: the total is max(0, 9 + noise), and 9 is over 5σ from 0, so the moments are the noise's.
    const mean = totals.reduce((a, x) => a + x, 0) / DRAWS;
    const variance = totals.reduce((a, x) => a + (x - mean) ** 2, 0) / (DRAWS - 1);
    expect(Math.abs(mean - EXACT_TOTAL)).toBeLessThan((6 * sigma) / Math.sqrt(DRAWS));
    // Six standard errors of a sample variance; a noise of the wrong sensitivity (1 for √3) would be a third of it.
    expect(Math.abs(variance - sigma * sigma)).toBeLessThan(6 * sigma * sigma * Math.sqrt(2 / DRAWS));
    expect(new Set(totals).size).toBeGreaterThan(4);
  });

  test("after suppression and rounding every cell is suppressed or a whole multiple of the base at or above the threshold, and the hub accepts it", async () => {
    const dp = { epsilon: 1, delta: DELTA };
    const { count } = site({ roundingBase: 5, privacyBudget: { maxEpsilon: 1000, delta: DELTA } });
    const project = randomUUID();
    for (let i = 0; i < 40; i++) {
      const { outcome, payload } = await count(project, dp, 2);
      const result = resultOf(outcome);
      const cells = [...result.attrition.map((a) => a.remaining), ...result.ageBands.map((b) => b.persons)];
      for (const cell of [...cells, ...result.sex.map((s) => s.persons)])
        expect(cell === SUPPRESSED || (Number.isInteger(cell) && cell >= 5 && cell % 5 === 0)).toBe(true);
      expect(result.differentialPrivacy).toMatchObject({ epsilon: 1, delta: DELTA, sigma: countNoiseSigma(dp, 1) });
      expect(() => checkResultPolicy("cohort_count", payload, result)).not.toThrow();
    }
  });

  test("the hub refuses a result that does not carry the DP noise the count asked for", async () => {
    const { count } = site({ privacyBudget: { maxEpsilon: 1000, delta: DELTA } });
    const { outcome, payload } = await count(randomUUID(), { epsilon: 1, delta: DELTA });
    const { differentialPrivacy, ...plain } = resultOf(outcome);
    const weaker = { ...plain, differentialPrivacy: { ...differentialPrivacy!, epsilon: 2 } };
    for (const result of [plain, weaker])
      expect(() => checkResultPolicy("cohort_count", payload, result)).toThrow(/does not carry the noise asked for/);
  });

  test("attack: two overlapping counts differenced no longer give the persons between them exactly", async () => {
    // Nine persons with a stroke, six of them with atrial fibrillation. At threshold 1 and rounding 1 nothing
    // else hides the three between them: without noise every pair would difference to exactly 3. With DP
    // the difference of the totals is 3 plus noise of variance 2σ² (less where a count is clamped at 0).
    const dp = { epsilon: 1, delta: DELTA };
    const { count } = site({ privacyBudget: { maxEpsilon: 1000, delta: DELTA } });
    const narrower = cohort(condition([C.cerebrovascularAccident]), {
      inclusionRules: [{ name: "Atrial fibrillation", group: all(has(condition([C.atrialFibrillation]))) }],
    });
    const PAIRS = 60;
    let exact = 0;
    for (let i = 0; i < PAIRS; i++) {
      const project = randomUUID();
      const broad = resultOf((await count(project, dp)).outcome).total;
      const narrow = resultOf((await count(project, dp, 1, narrower)).outcome).total;
      const value = (cell: typeof broad) => (cell === SUPPRESSED ? 0 : cell);
      if (value(broad) - value(narrow) === EXACT_TOTAL - 6) exact++;
    }
    // P(noise difference = 0) for σ ≈ 7 and 9.9 is about 0.04; a site without noise would give 60 of 60.
    expect(exact).toBeLessThan(PAIRS / 4);
  });

  test("the ledger charges exactly the stated ε for the first count, and RDP composition for the next; the result reports it", async () => {
    const dp = { epsilon: 1, delta: DELTA };
    const { count, ledger } = site({ privacyBudget: { maxEpsilon: 10, delta: DELTA } });
    const project = randomUUID();
    const epsilonOf = (rdp: number[]) => epsilonFromRdp(DEFAULT_ORDERS, rdp, DELTA).epsilon;

    const first = resultOf((await count(project, dp)).outcome);
    expect(epsilonOf(ledger.privacySpent(project, DEFAULT_ORDERS))).toBeCloseTo(1, 9);
    expect(first.differentialPrivacy?.epsilonSpent).toBeCloseTo(1, 9);

    const second = resultOf((await count(project, dp)).outcome);
    const twice = countRdp(dp).map((r) => 2 * r);
    ledger.privacySpent(project, DEFAULT_ORDERS).forEach((r, k) => expect(r).toBeCloseTo(twice[k]!, 12));
    expect(second.differentialPrivacy?.epsilonSpent).toBeCloseTo(epsilonOf(twice), 9);
    // Composition is sublinear: two counts at ε = 1 spend less than 2.
    expect(second.differentialPrivacy!.epsilonSpent).toBeLessThan(2);
    // Another project's budget is untouched.
    expect(ledger.privacySpent(randomUUID(), DEFAULT_ORDERS).every((r) => r === 0)).toBe(true);
  });

  test("a count that would take the project over budget is refused before any query, and nothing is charged", async () => {
    const dp = { epsilon: 1, delta: DELTA };
    const { count, ledger } = site({ privacyBudget: { maxEpsilon: 1.2, delta: DELTA } });
    const project = randomUUID();
    resultOf((await count(project, dp)).outcome);
    const spent = ledger.privacySpent(project, DEFAULT_ORDERS);
    const before = queries;

    const { outcome } = await count(project, dp);
    expect(outcome).toMatchObject({ type: "fail", code: "refused_by_site_policy" });
    if (outcome.type !== "fail") return;
    expect(outcome.message).toContain("ε = 1.2");
    expect(outcome.message).toContain("this count would bring it to");
    expect(outcome.message).toContain("refuses before counting");
    expect(queries).toBe(before);
    expect(ledger.privacySpent(project, DEFAULT_ORDERS)).toEqual(spent);
    expect(ledger.list({ projectId: project })[0]).toMatchObject({ outcome: "refused" });
    expect(ledger.list({ projectId: project })[0]!.reason).toMatch(/^privacy_budget_spent/);
  });

  test("a site whose policy requires DP for counts refuses a plain count before any query, and runs a DP one", async () => {
    const { count, ledger } = site({ requireDifferentialPrivacyForCounts: true });
    const project = randomUUID();
    const before = queries;
    const { outcome } = await count(project);
    expect(outcome).toMatchObject({ type: "fail", code: "refused_by_site_policy" });
    expect(outcome.type === "fail" && outcome.message).toContain("requireDifferentialPrivacyForCounts");
    expect(queries).toBe(before);
    expect(ledger.list({ projectId: project })).toMatchObject([
      { outcome: "refused", reason: "differential_privacy_required" },
    ]);
    expect(resultOf((await count(project, { epsilon: 1, delta: DELTA })).outcome).differentialPrivacy).toBeDefined();
  });
});
