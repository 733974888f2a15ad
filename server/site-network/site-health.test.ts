import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { connectDatabase } from "@/db/client";
import { siteHealth, siteHeartbeats, siteTasks } from "@/db/schema";
import { auditFor, makeSite } from "@/server/lib/test-support/fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { leaseNextTask } from "@/server/tasks/leasing";
import { cancelTask } from "@/server/tasks/task-interventions";
import { enqueueTask } from "@/server/tasks/tasks.service";
import { recordHeartbeat } from "./site-health.service";

const testDb = useTestDatabase();

const beat = (cpuPercent: number) => ({
  workerVersion: "1.2.3",
  capabilities: { tfjsBackend: "wasm", gpu: null, cpuCount: 2, memoryMb: 4096 },
  utilisation: { cpuPercent, memoryPercent: 40 },
  tasksInFlight: [],
  selfChecks: [],
});

describe("a site's heartbeats", () => {
  it("keep two hours of samples, announce the first connection once and queue one inventory", async () => {
    const db = testDb.db();
    const site = await makeSite(db);
    await recordHeartbeat(db, site, beat(10));
    // A sample from three hours ago and one from an hour ago, as if the worker had been up all along.
    await db.insert(siteHeartbeats).values([
      { siteId: site.id, at: new Date(Date.now() - 3 * 3_600_000), cpuPercent: 90, memoryPercent: 40 },
      { siteId: site.id, at: new Date(Date.now() - 3_600_000), cpuPercent: 50, memoryPercent: 40 },
    ]);
    await recordHeartbeat(db, site, beat(20));

    const samples = await db.select().from(siteHeartbeats).where(eq(siteHeartbeats.siteId, site.id));
    expect(samples.map((s) => s.cpuPercent).sort((a, b) => a - b)).toEqual([10, 20, 50]);
    const actions = (await auditFor(db, `site:${site.code}`)).map((e) => e.action);
    expect(actions.filter((a) => a === "site.first_connected")).toHaveLength(1);
    const tasks = await db.select().from(siteTasks).where(eq(siteTasks.siteId, site.id));
    expect(tasks.map((t) => t.kind)).toEqual(["site_inventory"]);
  });

  it("update what the site shows with every beat, not just the first", async () => {
    const db = testDb.db();
    const site = await makeSite(db);
    await recordHeartbeat(db, site, beat(10));
    const failing = [{ name: "data", ok: false, message: "The data folder is not readable." }];
    await recordHeartbeat(db, site, { ...beat(30), workerVersion: "1.2.4", selfChecks: failing });

    const [health] = await db.select().from(siteHealth).where(eq(siteHealth.siteId, site.id));
    expect(health).toMatchObject({ workerVersion: "1.2.4", cpuPercent: 30, selfChecks: failing, protocolError: null });
    expect(health!.capabilities).toEqual(beat(30).capabilities);
  });

  it("are one statement that PostgreSQL parses once per connection and, after its first few, stops planning", async () => {
    // A handle of one connection, so that its prepared statements are the ones asked about.
    const { db, pool } = connectDatabase(testDb.url(), { poolMax: 1 });
    try {
      const site = await makeSite(db);
      for (let i = 0; i < 12; i++) await recordHeartbeat(db, site, beat(i));
      const { rows } = await pool.query<{ generic: string; custom: string }>(
        "SELECT generic_plans AS generic, custom_plans AS custom FROM pg_prepared_statements WHERE name = 'flip_site_heartbeat'",
      );
      expect(rows).toHaveLength(1);
      const [{ generic, custom }] = rows as [{ generic: string; custom: string }];
      expect(Number(generic) + Number(custom)).toBe(12);
      // PostgreSQL plans a prepared statement's first five runs for their values, then keeps one plan
      // for all when it is as cheap: a heartbeat planned afresh every time cost it more than running.
      expect(Number(generic)).toBeGreaterThanOrEqual(6);
      const [health] = await db.select().from(siteHealth).where(eq(siteHealth.siteId, site.id));
      expect(health).toMatchObject({ cpuPercent: 11, tasksInFlight: 0 });
    } finally {
      await pool.end();
    }
  });

  it("answer which of the tasks a worker lists the hub has cancelled, and never another site's", async () => {
    const db = testDb.db();
    const hub = { type: "system", label: "test" } as const;
    const [site, other] = [await makeSite(db), await makeSite(db)];
    const leased = [];
    for (const s of [site, site, other]) {
      await db.transaction((tx) =>
        enqueueTask(tx, { siteId: s.id, siteCode: s.code, kind: "site_inventory", payload: {}, actor: hub }),
      );
      leased.push((await leaseNextTask(db, s))!.taskId);
    }
    const [kept, cancelled, othersCancelled] = leased as [string, string, string];
    await cancelTask(db, hub, { taskId: cancelled });
    await cancelTask(db, hub, { taskId: othersCancelled });

    // The first heartbeat (no health row yet) and a later one answer alike.
    for (let i = 0; i < 2; i++) {
      const answer = await recordHeartbeat(db, site, {
        ...beat(10),
        tasksInFlight: [kept, cancelled, othersCancelled],
      });
      expect(answer.cancelledTaskIds).toEqual([cancelled]);
    }
  });
});
