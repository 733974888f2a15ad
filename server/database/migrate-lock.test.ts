import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { expect, inject, test } from "vitest";
import { connectDatabase, migrateDatabase } from "@/db/client";
import { withDatabase } from "@/db/pg-connection";
import { dropDatabase, ensureDatabase } from "./embedded-server";

test("portal processes starting together against an empty database migrate it once, none failing", async () => {
  const adminUrl = inject("pgAdminUrl");
  const name = `flip_test_${randomBytes(6).toString("hex")}`;
  await ensureDatabase(adminUrl, name);
  const processes = Array.from({ length: 3 }, () => connectDatabase(withDatabase(adminUrl, name), { poolMax: 2 }));
  try {
    const starts = await Promise.allSettled(processes.map(({ db }) => migrateDatabase(db)));
    expect(starts.map((s) => (s.status === "rejected" ? String(s.reason) : "ok"))).toEqual(["ok", "ok", "ok"]);
    const journal = JSON.parse(readFileSync("db/migrations/meta/_journal.json", "utf8")) as { entries: unknown[] };
    const { rows } = await processes[0]!.pool.query(
      "SELECT count(*)::int AS applied FROM drizzle.__drizzle_migrations",
    );
    expect(rows[0]).toEqual({ applied: journal.entries.length });
  } finally {
    await Promise.all(processes.map(({ pool }) => pool.end()));
    await dropDatabase(adminUrl, name);
  }
});
