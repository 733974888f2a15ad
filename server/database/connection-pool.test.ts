import { spawn } from "node:child_process";
import { once } from "node:events";
import type pg from "pg";
import { describe, expect, inject, it } from "vitest";
import { connectDatabase } from "@/db/client";

// The server process behind a pooled connection: the same one while the connection stays open.
async function backendOf(pool: pg.Pool): Promise<number> {
  return (await pool.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
}

describe("the portal's PostgreSQL connections", () => {
  const url = inject("pgAdminUrl");

  it("are kept open for 10 minutes between uses, past node-postgres's 10 s, with TCP keepalives", async () => {
    const { pool } = connectDatabase(url);
    try {
      expect(pool.options).toMatchObject({ idleTimeoutMillis: 600_000, keepAlive: true, allowExitOnIdle: true });
    } finally {
      await pool.end();
    }
  });

  it("close once idle for FLIP_DB_POOL_IDLE_S, and the next use opens another", async () => {
    const brief = connectDatabase(url, { idleSeconds: 1 });
    const kept = connectDatabase(url, { idleSeconds: 60 });
    try {
      const before = await Promise.all([backendOf(brief.pool), backendOf(kept.pool)]);
      await new Promise((resolve) => setTimeout(resolve, 1_600));
      const after = await Promise.all([backendOf(brief.pool), backendOf(kept.pool)]);
      expect(after[0]).not.toBe(before[0]);
      expect(after[1]).toBe(before[1]);
    } finally {
      await Promise.all([brief.pool.end(), kept.pool.end()]);
    }
  });

  it("do not keep a finished command-line run from exiting while they sit idle", async () => {
    // A script that queries and never ends its pool: it must exit on its own, not 10 minutes later.
    const script = `
      import { connectDatabase } from "./db/client.ts";
      const { pool } = connectDatabase(process.env.TEST_URL, { idleSeconds: 600 });
      const { rows } = await pool.query("SELECT 1 AS one");
      console.log("queried", rows[0].one);
    `;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      env: { ...process.env, TEST_URL: url },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const stillRunning = setTimeout(() => child.kill("SIGKILL"), 30_000);
    const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
    clearTimeout(stillRunning);
    expect({ code, signal, output: output.trim() }).toEqual({ code: 0, signal: null, output: "queried 1" });
  }, 40_000);
});
