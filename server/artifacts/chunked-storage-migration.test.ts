import { randomBytes } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import { expect, inject, test } from "vitest";
import { connectDatabase, migrateDatabase } from "@/db/client";
import { withDatabase } from "@/db/pg-connection";
import { dropDatabase, ensureDatabase } from "@/server/database/embedded-server";
import { createPostgresArtifactStore, sha256Hex } from "./artifact-store";

/** The migrations folder as it was before `tag`: its SQL files and a journal that ends before it. */
function migrationsBefore(tag: string): string {
  const folder = mkdtempSync(path.join(tmpdir(), "flip-migrations-"));
  cpSync("db/migrations", folder, { recursive: true });
  const journalFile = path.join(folder, "meta/_journal.json");
  const journal = JSON.parse(readFileSync(journalFile, "utf8")) as { entries: { tag: string }[] };
  const at = journal.entries.findIndex((e) => e.tag === tag);
  expect(at).toBeGreaterThan(0);
  writeFileSync(journalFile, JSON.stringify({ ...journal, entries: journal.entries.slice(0, at) }));
  return folder;
}

test("files stored whole before the upgrade are moved into chunks by it, and read back the same", async () => {
  const adminUrl = inject("pgAdminUrl");
  const name = `flip_test_${randomBytes(6).toString("hex")}`;
  await ensureDatabase(adminUrl, name);
  const { db, pool } = connectDatabase(withDatabase(adminUrl, name), { poolMax: 2 });
  const before = migrationsBefore("0021_store_files_in_chunks");
  try {
    await migrate(db, { migrationsFolder: before });
    const files = [new Uint8Array(2 * 1024 * 1024 + 99).map((_, i) => (i * 31) % 256), new Uint8Array(0)];
    for (const bytes of files)
      await pool.query("INSERT INTO artifacts (sha256, byte_size, store, bytes) VALUES ($1, $2, 'postgres', $3)", [
        sha256Hex(bytes),
        bytes.byteLength,
        Buffer.from(bytes),
      ]);
    // A disk-store file: its row has no bytes, and gets no chunks.
    await pool.query("INSERT INTO artifacts (sha256, byte_size, store, bytes) VALUES ($1, 10, 'disk', NULL)", [
      "d".repeat(64),
    ]);

    await migrateDatabase(db);

    const { rows } = await pool.query<{ sha256: string; chunks: number }>(
      "SELECT a.sha256, count(c.seq)::int AS chunks FROM artifacts a LEFT JOIN artifact_chunks c USING (sha256) GROUP BY a.sha256",
    );
    expect(new Map(rows.map((r) => [r.sha256, r.chunks]))).toEqual(
      new Map([
        [sha256Hex(files[0]!), 3],
        [sha256Hex(files[1]!), 0],
        ["d".repeat(64), 0],
      ]),
    );
    const store = createPostgresArtifactStore();
    for (const bytes of files)
      expect(Buffer.from(await store.get(db, sha256Hex(bytes))).equals(Buffer.from(bytes))).toBe(true);
  } finally {
    rmSync(before, { recursive: true, force: true });
    await pool.end();
    await dropDatabase(adminUrl, name);
  }
});
