import { readFileSync } from "node:fs";
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { connectDatabase } from "@/db/client";
import { ensureBackgroundWork, stopBackgroundWork } from "@/server/background-work";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { GET as health } from "@/app/api/health/route";
import { READINESS_REUSE_MS, readinessResponse } from "./readiness";

const { db } = useTestDatabase();

afterEach(() => stopBackgroundWork(db()));

async function ready(getDatabase: Parameters<typeof readinessResponse>[0]) {
  const response = await readinessResponse(getDatabase);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("/api/health", () => {
  it("answers 200 with JSON while the process is alive", async () => {
    const response = health();
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });
});

describe("/api/ready", () => {
  it("is ready when the database answers, every migration is applied and background work runs", async () => {
    ensureBackgroundWork(db());
    const { status, body } = await ready(async () => db());
    expect(status).toBe(200);
    expect(body).toEqual({
      status: "ready",
      ready: true,
      checks: { database: { ok: true }, migrations: { ok: true }, backgroundWork: { ok: true } },
    });
  });

  it("answers 503 naming background work when the sweeper and coordinator are not running", async () => {
    const { status, body } = await ready(async () => db());
    expect(status).toBe(503);
    expect(body).toMatchObject({
      ready: false,
      checks: { database: { ok: true }, migrations: { ok: true }, backgroundWork: { ok: false } },
    });
  });

  it("answers 503 naming the database when it cannot be reached", async () => {
    const { db: unreachable, pool } = connectDatabase("postgres://postgres@127.0.0.1:1/nowhere");
    pool.on("error", () => undefined);
    try {
      ensureBackgroundWork(unreachable);
      const { status, body } = await ready(async () => unreachable);
      expect(status).toBe(503);
      expect(body).toMatchObject({
        ready: false,
        checks: { database: { ok: false, reason: "unreachable (ECONNREFUSED)" } },
      });
    } finally {
      stopBackgroundWork(unreachable);
      await pool.end();
    }
  });

  it("answers 503 naming the database when the handle cannot be made (getDb failing)", async () => {
    const { status, body } = await ready(() => Promise.reject(Object.assign(new Error("boom"), { code: "28P01" })));
    expect(status).toBe(503);
    expect(body).toMatchObject({ checks: { database: { ok: false, reason: "unreachable (28P01)" } } });
  });

  it("answers 503 naming the migration that is not applied", async () => {
    ensureBackgroundWork(db());
    const { rows } = await db().execute<{ id: number; hash: string; created_at: string }>(
      sql`DELETE FROM drizzle.__drizzle_migrations WHERE created_at = (SELECT max(created_at) FROM drizzle.__drizzle_migrations) RETURNING id, hash, created_at::text`,
    );
    try {
      const { status, body } = await ready(async () => db());
      expect(status).toBe(503);
      expect(body).toMatchObject({
        checks: {
          database: { ok: true },
          // The newest migration, whichever that is.
          migrations: { ok: false, reason: `not applied: ${newestMigration()}` },
          backgroundWork: { ok: true },
        },
      });
    } finally {
      const row = rows[0]!;
      await db().execute(
        sql`INSERT INTO drizzle.__drizzle_migrations (id, hash, created_at) VALUES (${row.id}, ${row.hash}, ${row.created_at}::bigint)`,
      );
    }
  });
});

describe("a flood of readiness probes", () => {
  it("costs the database one check per second, not one per probe, and a later probe sees a change", async () => {
    ensureBackgroundWork(db());
    let checks = 0;
    const getDatabase = async () => {
      checks++;
      return db();
    };
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const answers = await Promise.all(Array.from({ length: 50 }, () => ready(getDatabase)));
      expect(answers.every((a) => a.status === 200)).toBe(true);
      expect(checks).toBe(1);
      stopBackgroundWork(db());
      vi.advanceTimersByTime(READINESS_REUSE_MS - 1);
      expect((await ready(getDatabase)).status).toBe(200);
      expect(checks).toBe(1);
      vi.advanceTimersByTime(1);
      expect(await ready(getDatabase)).toMatchObject({
        status: 503,
        body: { checks: { backgroundWork: { ok: false } } },
      });
      expect(checks).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });
});

function newestMigration(): string {
  const journal = JSON.parse(readFileSync("db/migrations/meta/_journal.json", "utf8")) as {
    entries: { tag: string }[];
  };
  return journal.entries.at(-1)!.tag;
}
