import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { startHubServer } from "@/server/lib/test-support/hub-server";
import { enqueueTask } from "@/server/tasks/tasks.service";
import { ZCohortDefinition } from "@/protocol/cohort-definition";
import { CONCEPT as C } from "@/protocol/omop/concepts";
import { all, cohort, condition, has } from "../test-support/cohort-definitions";
import { COHORT_FIXTURE_SCHEMA, createCohortFixture, type CohortFixture } from "../test-support/cohort-fixture";
import { ADMIN, makeSiteWithToken, waitForTask } from "../test-support/hub-fixture";
import { openLedger } from "../ledger/ledger";
import { runLedgerCommand } from "../ledger/ledger-cli";
import { killWorker, spawnWorker, type WorkerProcess } from "../test-support/worker-process";

/** A cohort_count task from the hub's queue through a real worker process and back. */
const testDb = useTestDatabase();
const adminUrl = inject("pgAdminUrl");
let hub: { url: string; close: () => Promise<void> };
let fixture: CohortFixture;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  [hub, fixture] = await Promise.all([startHubServer(testDb.db()), createCohortFixture(adminUrl)]);
});
afterAll(async () => {
  await Promise.all(workers.splice(0).map(killWorker));
  await hub?.close();
  await fixture?.drop();
});

const DEFINITION = cohort(condition([C.cerebrovascularAccident]), {
  inclusionRules: [{ name: "Atrial fibrillation", group: all(has(condition([C.atrialFibrillation]))) }],
});
/** Four of the six above: atrial fibrillation in the year up to the stroke. */
const NARROWER = cohort(condition([C.cerebrovascularAccident]), {
  inclusionRules: [
    {
      name: "Recent atrial fibrillation",
      group: all(has(condition([C.atrialFibrillation]), { startDays: -366, endDays: 0 })),
    },
  ],
});
const PROJECT = randomUUID();
const RESEARCHER = randomUUID();

function queueCount(site: { id: string }, code: string, definition: typeof DEFINITION) {
  return testDb.db().transaction((tx) =>
    enqueueTask(tx, {
      siteId: site.id,
      siteCode: code,
      kind: "cohort_count",
      payload: {
        definition: ZCohortDefinition.parse(definition),
        purpose: "feasibility",
        minCellCount: 3,
        projectId: PROJECT,
        requesterId: RESEARCHER,
      },
      actor: ADMIN,
    }),
  );
}

async function startSite(code: string, policy: Record<string, unknown>) {
  const db = testDb.db();
  const { site, token } = await makeSiteWithToken(db, code, { skipFirstInventory: true });
  const worker = spawnWorker({
    hubUrl: hub.url,
    token,
    siteDatabaseUrl: fixture.url,
    policy: { site: code, allowedTaskKinds: ["site_inventory", "cohort_count"], roundingBase: 1, ...policy },
    env: { FLIP_SITE_DB_SCHEMA: COHORT_FIXTURE_SCHEMA },
  });
  workers.push(worker);
  const task = await queueCount(site, code, DEFINITION);
  return { site, task, worker };
}

describe("cohort_count through a real worker", () => {
  test(
    "the worker counts, suppresses at the higher of site and hub thresholds, and the hub accepts; a site that forbids feasibility refuses",
    { timeout: 60_000 },
    async () => {
      const db = testDb.db();
      const [open, closed] = await Promise.all([
        startSite("KCH", { minCellCount: 2 }),
        startSite("GSTT", { minCellCount: 2, allowFeasibility: false }),
      ]);

      const done = await waitForTask(
        db,
        open.site.id,
        (t) => t.id === open.task.id && t.status === "done",
        "the cohort count to complete",
      );
      const S = "suppressed";
      expect(done.result).toEqual({
        threshold: 3,
        rounding: 1,
        total: 6,
        attrition: [
          { rule: "Entry event", remaining: 9 },
          { rule: "Atrial fibrillation", remaining: 6 },
        ],
        ageBands: ["0-9", "10-19", "20-29", "30-39", "40-49", "50-59", "60-69", "70-79", "80-89", "90+"].map(
          (band) => ({ band, persons: S }),
        ),
        // Persons 1, 6, 8 (male) and 2, 4, 7 (female): 3 is the threshold, so shown.
        sex: [
          { sex: "male", persons: 3 },
          { sex: "female", persons: 3 },
          { sex: "other", persons: S },
        ],
      });
      const completed = await open.worker.waitForLog((l) => l.msg === "Task completed" && l.taskId === open.task.id);
      expect(completed).toMatchObject({ kind: "cohort_count", site: "KCH" });

      const refused = await waitForTask(
        db,
        closed.site.id,
        (t) => t.id === closed.task.id && t.status === "failed",
        "the feasibility count to be refused",
      );
      expect(refused).toMatchObject({ failureCode: "refused_by_site_policy", attempt: 1, result: null });
      expect(refused.failureMessage).toContain("allowFeasibility");

      // A narrower count for the same project and requester differs by 2 persons (< 3): refused.
      const narrower = await queueCount(open.site, "KCH", NARROWER);
      const differenced = await waitForTask(
        db,
        open.site.id,
        (t) => t.id === narrower.id && t.status === "failed",
        "the differencing count to be refused",
      );
      expect(differenced).toMatchObject({ failureCode: "refused_by_site_policy", result: null });
      expect(differenced.failureMessage).toContain("differs from one this site released earlier");
      expect(differenced.failureMessage).not.toMatch(/\d/);

      // Each site's own ledger holds what it released and refused; the hub has no copy of it.
      const kch = openLedger(open.worker.stateDir);
      const entries = kch.list();
      kch.close();
      expect(entries.map((e) => [e.taskId, e.outcome, e.purpose, e.projectId, e.requesterId])).toEqual([
        [narrower.id, "refused", "feasibility", PROJECT, RESEARCHER],
        [open.task.id, "released", "feasibility", PROJECT, RESEARCHER],
      ]);
      expect(JSON.parse(entries[1]!.figures!)).toEqual(done.result);
      expect(entries[0]!.reason).toMatch(/^differencing: the total differs by 2 persons/);
      const gstt = openLedger(closed.worker.stateDir);
      expect(gstt.list()).toMatchObject([
        { taskId: closed.task.id, outcome: "refused", reason: "feasibility_not_allowed" },
      ]);
      gstt.close();

      // Trust staff export it as CSV from the worker's command line.
      let csv = "";
      expect(
        runLedgerCommand(["export"], { FLIP_WORKER_STATE_DIR: open.worker.stateDir }, (t) => void (csv += t)),
      ).toBe(0);
      const [header, ...rows] = csv.trim().split("\n");
      expect(header).toBe("id,at,outcome,kind,purpose,projectId,requesterId,taskId,reason,figures,payloadSha256");
      expect(rows).toHaveLength(2);
      expect(rows[0]).toContain(
        `,released,cohort_count,feasibility,${PROJECT},${RESEARCHER},${open.task.id},,"{""threshold"":3`,
      );
    },
  );
});
