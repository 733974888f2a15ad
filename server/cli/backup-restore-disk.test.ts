import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, expect, inject, test, vi } from "vitest";
import { connectDatabase, type Database } from "@/db/client";
import { withDatabase } from "@/db/pg-connection";
import type { Viewer } from "@/server/auth/permissions";
import { getArtifactStore } from "@/server/artifacts/artifact-store";
import { dropDatabase, ensureDatabase } from "@/server/database/embedded-server";
import { makeSite, makeUser, viewerOf } from "@/server/lib/test-support/fixtures";
import { makeTrainingProject } from "@/server/lib/test-support/training-fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { downloadModelVersion } from "@/server/models/model-download";
import { artifactEntry, listTarEntries } from "./backup-archive";
import { backupHub } from "./backup-hub";
import { findPgTool, serverMajorOf } from "./backup-pg-tools";
import { restoreHub } from "./restore-hub";

// The disk artifact store: the weights are files under FLIP_DATA_DIR/artifacts, so they travel in the backup file.
const dataDir = vi.hoisted(() => {
  const dir = `${process.env.TMPDIR ?? "/tmp"}/flip-backup-disk-${process.pid}-${Date.now()}`;
  process.env.FLIP_ARTIFACT_STORE = "disk";
  process.env.FLIP_DATA_DIR = dir;
  return dir;
});

const testDb = useTestDatabase();
const adminUrl = inject("pgAdminUrl");
const artifactDir = path.join(dataDir, "artifacts");
const restoredName = `flip_test_restored_${randomBytes(6).toString("hex")}`;
let skipReason: string | undefined;
let researcher: Viewer;
let project: { projectId: string; versionId: string };
let restored: { db: Database; pool: { end(): Promise<void> } } | undefined;

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

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
  const dump = findPgTool("pg_dump");
  const restore = findPgTool("pg_restore");
  if (!dump || !restore)
    skipReason = "pg_dump/pg_restore are not installed (Debian/Ubuntu package postgresql-client; .ci/run installs it)";
  else if (Math.min(dump.major, restore.major) < major)
    skipReason = `pg_dump ${dump.major} cannot dump the test server (PostgreSQL ${major}); install postgresql-client-${major}`;
  if (skipReason) return;
  expect(getArtifactStore().kind).toBe("disk");
  const db = testDb.db();
  researcher = await viewerOf(db, (await makeUser(db, [{ role: "researcher" }])).id);
  const site = await makeSite(db);
  const approver = await viewerOf(db, (await makeUser(db, [{ role: "approver", siteId: site.id }])).id);
  project = await makeTrainingProject(db, researcher, [{ approver, siteId: site.id }]);
});

afterAll(async () => {
  await restored?.pool.end();
  await dropDatabase(adminUrl, restoredName);
  rmSync(dataDir, { recursive: true, force: true });
});

test("refused: a backup whose artifact file is missing, and a restore of a backup whose artifact is damaged", async (ctx) => {
  if (skipReason) return ctx.skip(skipReason);
  const [row] = (await testDb.db().execute<{ sha256: string }>("SELECT sha256 FROM artifacts LIMIT 1")).rows;
  const file = path.join(artifactDir, row!.sha256.slice(0, 2), row!.sha256);
  renameSync(file, `${file}.away`);
  try {
    await expect(
      backupHub({ databaseUrl: testDb.url(), file: path.join(dataDir, "x.tar"), artifactDir }),
    ).rejects.toThrow(`is in the database but its file is missing from ${artifactDir}`);
    expect(existsSync(path.join(dataDir, "x.tar"))).toBe(false);
  } finally {
    renameSync(`${file}.away`, file);
  }

  const backup = path.join(dataDir, "damaged.tar");
  await backupHub({ databaseUrl: testDb.url(), file: backup, artifactDir });
  const handle = await open(backup, "r");
  const entry = (await listTarEntries(handle)).find((e) => e.name === artifactEntry(row!.sha256))!;
  await handle.close();
  const bytes = readFileSync(backup);
  bytes[entry.offset]! ^= 0x01;
  writeFileSync(backup, bytes);
  const empty = `${restoredName}_2`;
  await ensureDatabase(adminUrl, empty);
  try {
    await expect(restoreHub({ databaseUrl: withDatabase(adminUrl, empty), file: backup, artifactDir })).rejects.toThrow(
      `is damaged: artifact ${row!.sha256} does not match its hash`,
    );
  } finally {
    await dropDatabase(adminUrl, empty);
  }
});

test("the artifact files travel in the backup: restored on a machine without them, the same model bytes download", async (ctx) => {
  if (skipReason) return ctx.skip(skipReason);
  const before = sha256(await download(testDb.db()));
  const file = path.join(dataDir, "hub.flip-backup");
  const summary = await backupHub({ databaseUrl: testDb.url(), file, artifactDir });
  expect(summary.artifactsOnDisk).toBeGreaterThanOrEqual(1);
  expect(summary.artifactsInDatabase).toBe(0);

  // A new machine: no artifact files, an empty database.
  rmSync(artifactDir, { recursive: true, force: true });
  await ensureDatabase(adminUrl, restoredName);
  const url = withDatabase(adminUrl, restoredName);
  const result = await restoreHub({ databaseUrl: url, file, artifactDir });
  expect(result).toEqual({
    artifactsVerified: summary.artifactsOnDisk,
    artifactFilesWritten: summary.artifactsOnDisk,
    modelVersions: 1,
  });

  restored = connectDatabase(url);
  expect(sha256(await download(restored.db))).toBe(before);
});
