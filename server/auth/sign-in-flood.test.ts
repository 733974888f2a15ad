import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { connectDatabase } from "@/db/client";
import { createWorkSlots } from "@/server/lib/work-slots";
import { makeUser } from "@/server/lib/test-support/fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { signInWithPassword } from "./sign-in.service";

const testDb = useTestDatabase();

describe("a flood of sign-in attempts", () => {
  it("holds no pooled connection while passwords are checked, so other requests are served in between", async () => {
    const user = await makeUser(testDb.db(), []);
    // A small pool makes starvation certain if a connection were held across the password hash.
    const { db, pool } = connectDatabase(testDb.url(), { poolMax: 2 });
    try {
      let settled = 0;
      const flood = Array.from({ length: 12 }, (_, i) =>
        signInWithPassword(
          db,
          { email: i % 2 ? user.email : `nobody${i}@test.flip`, password: "guess" },
          `198.51.100.${i}`,
        )
          .catch(() => undefined)
          .finally(() => settled++),
      );
      // A signed-in person's query, issued once the flood is under way.
      await new Promise((resolve) => setTimeout(resolve, 20));
      await db.execute(sql`SELECT 1`);
      const settledWhenServed = settled;
      await Promise.all(flood);
      expect(settledWhenServed).toBeLessThan(flood.length / 2);
    } finally {
      await pool.end();
    }
  });
});

describe("createWorkSlots", () => {
  it("runs at most `size` at once, in arrival order, and refuses callers beyond the waiting limit", async () => {
    const slots = createWorkSlots(1, 2, () => new Error("busy"));
    const started: number[] = [];
    const gates = [0, 1, 2].map(() => {
      let resolve = () => {};
      const promise = new Promise<void>((r) => (resolve = r));
      return { promise, resolve };
    });
    const runs = [0, 1, 2].map((i) =>
      slots.run(async () => {
        started.push(i);
        await gates[i]!.promise;
        return i;
      }),
    );
    await expect(slots.run(async () => 3)).rejects.toThrow("busy");
    expect(started).toEqual([0]);
    expect(slots.waiting).toBe(2);
    gates[0]!.resolve();
    await runs[0];
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1]);
    gates[1]!.resolve();
    gates[2]!.resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2]);
    expect(slots.waiting).toBe(0);
  });

  it("refuses a caller that waited maxWaitMs and takes it out of the line; the slot goes to the next one", async () => {
    const slots = createWorkSlots(1, 5, () => new Error("busy"));
    let free = () => {};
    const holder = slots.run(() => new Promise<void>((resolve) => (free = resolve)));
    const impatient = slots.run(async () => "impatient", { maxWaitMs: 10 });
    const patient = slots.run(async () => "patient");
    await expect(impatient).rejects.toThrow("busy");
    expect(slots.waiting).toBe(1);
    free();
    await holder;
    expect(await patient).toBe("patient");
    expect(slots.waiting).toBe(0);
  });
});
