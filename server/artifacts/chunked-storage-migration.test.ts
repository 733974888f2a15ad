import { randomBytes } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import { sql } from "drizzle-orm";
import { expect, inject, test } from "vitest";
import { connectDatabase, migrateDatabase, type Database } from "@/db/client";
import { withDatabase } from "@/db/pg-connection";
import { backupHub } from "@/server/cli/backup-hub";
import { findPgTool, serverMajorOf } from "@/server/cli/backup-pg-tools";
import { restoreHub } from "@/server/cli/restore-hub";
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

/** A database migrated up to (not including) the chunks, with a file of several chunks stored whole as it was then. */
async function databaseBeforeChunks(adminUrl: string) {
  const name = `flip_test_${randomBytes(6).toString("hex")}`;
  await ensureDatabase(adminUrl, name);
  const url = withDatabase(adminUrl, name);
  const { db, pool } = connectDatabase(url, { poolMax: 2 });
  const before = migrationsBefore("0021_store_files_in_chunks");
  try {
    await migrate(db, { migrationsFolder: before });
  } finally {
    rmSync(before, { recursive: true, force: true });
  }
  const file = new Uint8Array(2 * 1024 * 1024 + 99).map((_, i) => (i * 31) % 256);
  await pool.query("INSERT INTO artifacts (sha256, byte_size, store, bytes) VALUES ($1, $2, 'postgres', $3)", [
    sha256Hex(file),
    file.byteLength,
    Buffer.from(file),
  ]);
  return { name, url, db, pool, file };
}

const chunksOf = async (db: Database, sha256: string) =>
  (
    await db.execute<{ chunks: number }>(
      sql`SELECT count(*)::int AS chunks FROM artifact_chunks WHERE sha256 = ${sha256}`,
    )
  ).rows[0]!.chunks;

test("a backup taken before the upgrade restores into this version: its files are moved into chunks and every one verified", async (ctx) => {
  const adminUrl = inject("pgAdminUrl");
  const dump = findPgTool("pg_dump");
  const restore = findPgTool("pg_restore");
  const major = await serverMajorOf(adminUrl);
  if (!dump || !restore || Math.min(dump.major, restore.major) < major)
    return ctx.skip(
      "pg_dump/pg_restore of the server's version are not installed (postgresql-client; .ci/run installs it)",
    );
  const old = await databaseBeforeChunks(adminUrl);
  const dir = mkdtempSync(path.join(tmpdir(), "flip-backup-"));
  const restoredName = `flip_test_${randomBytes(6).toString("hex")}`;
  let restored: ReturnType<typeof connectDatabase> | undefined;
  try {
    const backup = path.join(dir, "old.flip-backup");
    const artifactDir = path.join(dir, "artifacts");
    expect(await backupHub({ databaseUrl: old.url, file: backup, artifactDir })).toMatchObject({
      artifactsInDatabase: 1,
    });
    await ensureDatabase(adminUrl, restoredName);
    const url = withDatabase(adminUrl, restoredName);
    expect(await restoreHub({ databaseUrl: url, file: backup, artifactDir })).toMatchObject({ artifactsVerified: 1 });
    restored = connectDatabase(url, { poolMax: 2 });
    expect(await chunksOf(restored.db, sha256Hex(old.file))).toBe(3);
    const bytes = await createPostgresArtifactStore().get(restored.db, sha256Hex(old.file));
    expect(Buffer.from(bytes).equals(Buffer.from(old.file))).toBe(true);
  } finally {
    await restored?.pool.end();
    await old.pool.end();
    rmSync(dir, { recursive: true, force: true });
    await dropDatabase(adminUrl, old.name);
    await dropDatabase(adminUrl, restoredName);
  }
});

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
