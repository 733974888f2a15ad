import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, inject, test, vi } from "vitest";
import { connectDatabase, type Database } from "@/db/client";
import { withDatabase } from "@/db/pg-connection";
import type { Viewer } from "@/server/auth/permissions";
import { dropDatabase, ensureDatabase } from "@/server/database/embedded-server";
import { makeSite, makeUser, viewerOf } from "@/server/lib/test-support/fixtures";
import { makeTrainingProject } from "@/server/lib/test-support/training-fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { downloadModelVersion } from "@/server/models/model-download";
import { BACKUP_FORMAT, listTarEntries, MANIFEST_ENTRY } from "./backup-archive";
import { backupHub } from "./backup-hub";
import { findPgTool, serverMajorOf } from "./backup-pg-tools";
import { restoreHub } from "./restore-hub";

// The default artifact store (postgres): the weights are rows of the dump. backup-restore-disk.test.ts covers the disk store.

const testDb = useTestDatabase();
const adminUrl = inject("pgAdminUrl");
const dir = mkdtempSync(path.join(tmpdir(), "flip-backup-"));
const artifactDir = path.join(dir, "artifacts");
const restoredName = `flip_test_restored_${randomBytes(6).toString("hex")}`;
let skipReason: string | undefined;
let researcher: Viewer;
let project: { projectId: string; versionId: string };
let restored: { db: Database; pool: { end(): Promise<void> } } | undefined;

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** The download route's bytes, at a fixed clock so the zip's timestamps match between downloads. */
async function download(db: Database) {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(new Date("2026-01-02T03:04:05Z"));
  try {
    return (await downloadModelVersion(db, researcher, project)).bytes;
  } finally {
    vi.useRealTimers();
  }
}

beforeAll(async () => {
  const major = await serverMajorOf(adminUrl);
  expect(major).toBeGreaterThanOrEqual(13);
  const dump = findPgTool("pg_dump");
  const restore = findPgTool("pg_restore");
  if (!dump || !restore)
    skipReason = "pg_dump/pg_restore are not installed (Debian/Ubuntu package postgresql-client; .ci/run installs it)";
  else if (Math.min(dump.major, restore.major) < major)
    skipReason = `pg_dump ${dump.major} cannot dump the test server (PostgreSQL ${major}); install postgresql-client-${major}`;
  if (skipReason) return;
  const db = testDb.db();
  researcher = await viewerOf(db, (await makeUser(db, [{ role: "researcher" }])).id);
  const site = await makeSite(db);
  const approver = await viewerOf(db, (await makeUser(db, [{ role: "approver", siteId: site.id }])).id);
  project = await makeTrainingProject(db, researcher, [{ approver, siteId: site.id }]);
});

afterAll(async () => {
  await restored?.pool.end();
  await dropDatabase(adminUrl, restoredName);
  rmSync(dir, { recursive: true, force: true });
});

test("a backup restored into a fresh database serves the same model bytes, every artifact verified", async (ctx) => {
  if (skipReason) return ctx.skip(skipReason);
  const before = sha256(await download(testDb.db()));
  const file = path.join(dir, "hub.flip-backup");
  const lines: string[] = [];
  const summary = await backupHub({ databaseUrl: testDb.url(), file, artifactDir, log: (l) => lines.push(l) });
  expect(summary).toMatchObject({ artifactsOnDisk: 0, modelVersions: 1 });
  expect(summary.artifactsInDatabase).toBeGreaterThanOrEqual(1);
  expect(lines[0]).toMatch(/^Dumping /);

  await ensureDatabase(adminUrl, restoredName);
  const url = withDatabase(adminUrl, restoredName);
  const result = await restoreHub({ databaseUrl: url, file, artifactDir });
  expect(result).toEqual({ artifactsVerified: summary.artifactsInDatabase, artifactFilesWritten: 0, modelVersions: 1 });

  restored = connectDatabase(url);
  expect(sha256(await download(restored.db))).toBe(before);
});

test("refusals change nothing: an existing file without --force, a non-empty database, a damaged backup", async (ctx) => {
  if (skipReason) return ctx.skip(skipReason);
  const file = path.join(dir, "second.flip-backup");
  writeFileSync(file, "keep me");
  await expect(backupHub({ databaseUrl: testDb.url(), file, artifactDir })).rejects.toThrow(
    `${file} already exists; choose another file or pass --force to overwrite it.`,
  );
  expect(readFileSync(file, "utf8")).toBe("keep me");
  await backupHub({ databaseUrl: testDb.url(), file, artifactDir, force: true });

  const handle = await import("node:fs/promises").then((fs) => fs.open(file, "r"));
  const entries = await listTarEntries(handle);
  await handle.close();
  expect(entries.map((e) => e.name)).toEqual([MANIFEST_ENTRY, "database.dump"]);
  const bytes = readFileSync(file);
  const manifest = JSON.parse(bytes.subarray(entries[0]!.offset, entries[0]!.offset + entries[0]!.size).toString());
  expect(manifest.format).toBe(BACKUP_FORMAT);

  await expect(restoreHub({ databaseUrl: testDb.url(), file, artifactDir })).rejects.toThrow(/is not empty \(it has /);

  const damaged = path.join(dir, "damaged.flip-backup");
  const dump = entries[1]!;
  bytes[dump.offset + Math.floor(dump.size / 2)]! ^= 0xff;
  writeFileSync(damaged, bytes);
  const empty = `${restoredName}_2`;
  await ensureDatabase(adminUrl, empty);
  try {
    await expect(
      restoreHub({ databaseUrl: withDatabase(adminUrl, empty), file: damaged, artifactDir }),
    ).rejects.toThrow("the database dump does not match its recorded SHA-256");
  } finally {
    await dropDatabase(adminUrl, empty);
  }
});
