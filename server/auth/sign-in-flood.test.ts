import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { connectDatabase } from "@/db/client";
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
