import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { checkResultPolicy } from "@/server/tasks/result-policy";
import type { CohortDefinitionInput } from "@/protocol/cohort-definition";
import { createLogger } from "../log";
import { ZSitePolicy, type SitePolicy } from "../policy";
import { CONCEPT as C } from "@/protocol/omop/concepts";
import { createSiteDb, type SiteDb } from "../site-db";
import { executeTask, type ExecuteDeps } from "../tasks/base";
import { createTestGate } from "../test-support/gate-fixture";
import { cohortCountTask } from "../tasks/cohort-count";
import { all, cohort, condition, has, hasNo, drug } from "../test-support/cohort-definitions";
import { COHORT_FIXTURE_SCHEMA, createCohortFixture, type CohortFixture } from "../test-support/cohort-fixture";

/** The cohort_count handler on its task base: policy, suppression, errors and hostile input. */
const adminUrl = inject("pgAdminUrl");
const log = createLogger({}, { write: () => undefined });
let fixture: CohortFixture;
let siteDb: SiteDb;

beforeAll(async () => {
  fixture = await createCohortFixture(adminUrl);
  siteDb = createSiteDb({ url: fixture.url, schema: COHORT_FIXTURE_SCHEMA, maxConnections: 2, log });
});
afterAll(async () => {
  await siteDb?.close();
  await fixture?.drop();
});

const STROKE = cohort(condition([C.cerebrovascularAccident]));
const PROJECT = randomUUID();
const RESEARCHER = randomUUID();
const S = "suppressed";

/** Exact rounding (base 1) unless a test asks for more, so the figures below read as counts. */
function deps(policy: Partial<SitePolicy>, extra: Partial<ExecuteDeps> = {}, progress: number[] = []): ExecuteDeps {
  const sitePolicy = ZSitePolicy.parse({ site: "KCH", allowedTaskKinds: ["cohort_count"], roundingBase: 1, ...policy });
  return {
    signal: new AbortController().signal,
    log,
    policy: sitePolicy,
    gate: createTestGate(sitePolicy).gate,
    siteDb,
    dataDir: "/tmp",
    progress: async (percent) => void progress.push(percent),
    downloadWeights: () => Promise.reject(new Error("these tasks have no model weights")),
    ...extra,
  };
}

function countTask(
  payload: { definition: CohortDefinitionInput; purpose: string; minCellCount?: number } | Record<string, unknown>,
  taskDeps: ExecuteDeps,
) {
  const task = {
    taskId: randomUUID(),
    leaseId: randomUUID(),
    kind: "cohort_count" as const,
    payload: { projectId: PROJECT, requesterId: RESEARCHER, ...payload },
    attempt: 1,
    maxAttempts: 3,
    leaseExpiresAt: new Date(),
  };
  return executeTask(task, cohortCountTask, taskDeps);
}

describe("concepts the site's vocabulary does not hold", () => {
  test("are named by id, and only by id, beside unchanged counts", async () => {
    const UNKNOWN = [2_100_000_002, 2_100_000_001];
    const known = await countTask({ definition: STROKE, purpose: "approved" }, deps({ minCellCount: 2 }));
    const withUnknown = await countTask(
      {
        definition: cohort(condition([C.cerebrovascularAccident, ...UNKNOWN]), {
          inclusionRules: [{ name: "Aspirin", group: all(has(drug([C.aspirin, UNKNOWN[0]!]))) }],
        }),
        purpose: "approved",
        projectId: randomUUID(),
      },
      deps({ minCellCount: 2 }),
    );
    expect(known).toMatchObject({ type: "complete" });
    expect(known.type === "complete" && "unknownConcepts" in known.result).toBe(false);
    expect(withUnknown).toMatchObject({
      type: "complete",
      result: { unknownConcepts: [2_100_000_001, 2_100_000_002], total: expect.anything() },
    });
    if (withUnknown.type === "complete")
      expect(() =>
        checkResultPolicy(
          "cohort_count",
          { definition: STROKE, purpose: "approved", projectId: PROJECT, requesterId: RESEARCHER },
          withUnknown.result,
        ),
      ).not.toThrow();
  });
});

describe("small-number suppression at the site", () => {
  test("a cell at the threshold is shown; threshold-1 and zero are suppressed, and so is a cell that would give one away; the hub accepts the result", async () => {
    const progress: number[] = [];
    const payload = { definition: STROKE, purpose: "approved", projectId: PROJECT, requesterId: RESEARCHER };
    const outcome = await countTask(payload, deps({ minCellCount: 2 }, {}, progress));
    // Stroke cohort ages by band: 1,1,0,0,1,1,2,2,0,1; sex 4 male, 4 female, 1 other. With the total
    // and both other sex cells shown, "other" would be 9 - 4 - 4 = 1: one more sex cell is suppressed.
    const result = {
      threshold: 2,
      rounding: 1,
      total: 9,
      attrition: [{ rule: "Entry event", remaining: 9 }],
      ageBands: [
        { band: "0-9", persons: S },
        { band: "10-19", persons: S },
        { band: "20-29", persons: S },
        { band: "30-39", persons: S },
        { band: "40-49", persons: S },
        { band: "50-59", persons: S },
        { band: "60-69", persons: 2 },
        { band: "70-79", persons: 2 },
        { band: "80-89", persons: S },
        { band: "90+", persons: S },
      ],
      sex: [
        { sex: "male", persons: S },
        { sex: "female", persons: 4 },
        { sex: "other", persons: S },
      ],
    };
    expect(outcome).toEqual({ type: "complete", result });
    expect(() => checkResultPolicy("cohort_count", payload, result)).not.toThrow();
    expect(progress).toEqual([10, 90]);
  });

  test("the hub may raise the threshold, never lower it; rule names are the attrition labels", async () => {
    const definition = cohort(condition([C.cerebrovascularAccident]), {
      inclusionRules: [
        { name: "No warfarin", group: all(hasNo(drug([C.warfarin]))) },
        { name: "Aspirin ever", group: all(has(drug([C.aspirin]))) },
      ],
    });
    // Stroke cohort: 9 -> 6 without warfarin -> 3 with aspirin (persons 1, 3, 8). At threshold 5
    // the 3 is suppressed, and so is the 6: 9 - 6 would say that warfarin excluded exactly 3 persons.
    const raised = await countTask({ definition, purpose: "approved", minCellCount: 5 }, deps({ minCellCount: 2 }));
    expect(raised).toMatchObject({
      type: "complete",
      result: {
        threshold: 5,
        total: S,
        attrition: [
          { rule: "Entry event", remaining: 9 },
          { rule: "No warfarin", remaining: S },
          { rule: "Aspirin ever", remaining: S },
        ],
      },
    });
    const lowered = await countTask({ definition, purpose: "approved", minCellCount: 1 }, deps({ minCellCount: 3 }));
    expect(lowered).toMatchObject({
      type: "complete",
      result: {
        threshold: 3,
        total: 3,
        sex: [
          { sex: "male", persons: 3 },
          { sex: "female", persons: S },
          { sex: "other", persons: S },
        ],
      },
    });
  });
});

describe("site policy and failures", () => {
  test("a feasibility count is refused, not retried, where the site's policy forbids feasibility; an approved count still runs", async () => {
    const refused = await countTask({ definition: STROKE, purpose: "feasibility" }, deps({ allowFeasibility: false }));
    expect(refused).toEqual({
      type: "fail",
      code: "refused_by_site_policy",
      message:
        "This site does not answer feasibility counts (allowFeasibility in its site policy); it counts only cohorts of a revision it approved.",
      isRetryable: false,
    });
    expect(
      await countTask({ definition: STROKE, purpose: "approved" }, deps({ allowFeasibility: false })),
    ).toMatchObject({ type: "complete" });
    expect(await countTask({ definition: STROKE, purpose: "feasibility" }, deps({}))).toMatchObject({
      type: "complete",
    });
  });

  test("an invalid definition fails as invalid_payload and is not retried", async () => {
    const outcome = await countTask({ definition: { ...STROKE, sql: "SELECT 1" }, purpose: "approved" }, deps({}));
    expect(outcome).toEqual({
      type: "fail",
      code: "invalid_payload",
      message: "The task does not match this site worker's protocol; the worker's log says which field.",
      isRetryable: false,
    });
  });

  test("a missing table is named and permanent, an unreachable database retryable", async () => {
    const wrongSchema = createSiteDb({ url: fixture.url, schema: "no such schema", maxConnections: 1, log });
    const missing = await countTask({ definition: STROKE, purpose: "approved" }, deps({}, { siteDb: wrongSchema }));
    await wrongSchema.close();
    expect(missing).toEqual({
      type: "fail",
      code: "handler_error",
      message:
        "This site's OMOP database has no person table, which this definition needs; the site's self-check lists what is missing.",
      isRetryable: false,
    });
    const downDb = createSiteDb({
      url: "postgres://nobody:secret@127.0.0.1:1/omop",
      schema: "public",
      maxConnections: 1,
      log,
    });
    const down = await countTask({ definition: STROKE, purpose: "approved" }, deps({}, { siteDb: downDb }));
    await downDb.close();
    expect(down).toMatchObject({ type: "fail", code: "handler_error", isRetryable: true });
    expect(JSON.stringify(down)).not.toContain("secret");
  });
});

test("SQL in labels and concept names is inert: the count runs and the tables survive", async () => {
  const hostile = `'); DROP TABLE person; --`;
  const definition = cohort(
    {
      type: "condition",
      concepts: [
        {
          conceptId: C.cerebrovascularAccident,
          includeDescendants: true,
          isExcluded: false,
          includeMapped: false,
          name: hostile,
        },
      ],
    },
    {
      inclusionRules: [
        {
          name: hostile,
          group: all(
            has({
              type: "drug",
              concepts: [
                {
                  conceptId: C.aspirin,
                  includeDescendants: true,
                  isExcluded: false,
                  includeMapped: false,
                  name: `${hostile}"`,
                },
              ],
            }),
          ),
        },
      ],
    },
  );
  const outcome = await countTask({ definition, purpose: "approved" }, deps({ minCellCount: 1 }));
  expect(outcome).toMatchObject({
    type: "complete",
    result: {
      attrition: [
        { rule: "Entry event", remaining: 9 },
        { rule: hostile, remaining: 4 },
      ],
    },
  });
  const client = new pg.Client({ connectionString: fixture.url });
  await client.connect();
  const { rows } = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${pg.escapeIdentifier(COHORT_FIXTURE_SCHEMA)}.person`,
  );
  await client.end();
  expect(rows[0]?.n).toBe(23);
});
