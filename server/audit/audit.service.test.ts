import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { recordAudit, verifyAuditChain } from "./audit.service";

const testDb = useTestDatabase();
const actor = { type: "system", label: "test" } as const;

describe("audit chain", () => {
  it("verifies an intact chain written by concurrent transactions", async () => {
    const db = testDb.db();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        db.transaction((tx) => recordAudit(tx, { actor, action: "test.event", subject: `n:${i}`, details: { i } })),
      ),
    );
    const verdict = await verifyAuditChain(db, 7);
    expect(verdict).toEqual({ ok: true, checked: 20 });
  });

  it("refuses UPDATE, DELETE and TRUNCATE", async () => {
    const db = testDb.db();
    await expect(db.execute(sql`UPDATE audit_events SET action = 'x' WHERE seq = 1`)).rejects.toThrow();
    await expect(db.execute(sql`DELETE FROM audit_events WHERE seq = 1`)).rejects.toThrow();
    await expect(db.execute(sql`TRUNCATE audit_events`)).rejects.toThrow();
    const [row] = (await db.execute(sql`SELECT count(*)::int AS n FROM audit_events`)).rows as { n: number }[];
    expect(row!.n).toBe(20);
  });

  it("reports the first tampered event", async () => {
    const db = testDb.db();
    // Only a superuser bypassing the trigger can tamper; verification must still catch it.
    await db.execute(sql`ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete`);
    await db.execute(sql`UPDATE audit_events SET details = '{"i": 999}' WHERE seq = 12`);
    await db.execute(sql`ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_delete`);
    expect(await verifyAuditChain(db)).toEqual({ ok: false, checked: 11, brokenSeq: 12 });
  });

  it("rolls the event back with the change it records", async () => {
    const db = testDb.db();
    await expect(
      db.transaction(async (tx) => {
        await recordAudit(tx, { actor, action: "test.rolled_back", subject: "n:x" });
        throw new Error("change failed");
      }),
    ).rejects.toThrow("change failed");
    const [row] = (await db.execute(sql`SELECT count(*)::int AS n FROM audit_events WHERE action = 'test.rolled_back'`))
      .rows as { n: number }[];
    expect(row!.n).toBe(0);
  });
});
