import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, open, readFile, rename } from "node:fs/promises";
import path from "node:path";
import { sql } from "drizzle-orm";
import { connectDatabase, migrateDatabase } from "@/db/client";
import { withPgClient } from "@/db/pg-connection";
import { createDiskArtifactStore } from "@/server/artifacts/artifact-store";
import {
  artifactEntry,
  DUMP_ENTRY,
  entryStream,
  listTarEntries,
  MANIFEST_ENTRY,
  sha256OfEntry,
  ZBackupManifest,
  type BackupManifest,
  type TarEntry,
} from "./backup-archive";
import { BackupRefusal, describeUrl, requirePgTool, runPgTool, serverMajorOf } from "./backup-pg-tools";

export type RestoreOptions = {
  databaseUrl: string;
  file: string;
  /** Where disk-store artifacts go: <FLIP_DATA_DIR>/artifacts. */
  artifactDir: string;
  log?: (line: string) => void;
};

export type RestoreSummary = { artifactsVerified: number; artifactFilesWritten: number; modelVersions: number };

/** Reads and checks the archive's table of contents and manifest; nothing is changed. */
async function readBackup(file: string) {
  if (!existsSync(file)) throw new BackupRefusal(`${file} does not exist.`);
  const handle = await open(file, "r");
  let entries: TarEntry[];
  try {
    entries = await listTarEntries(handle);
  } catch (error) {
    throw new BackupRefusal(`${file} is not a readable hub backup: ${(error as Error).message}`);
  } finally {
    await handle.close();
  }
  const byName = new Map(entries.map((e) => [e.name, e]));
  const manifestEntry = byName.get(MANIFEST_ENTRY);
  if (!manifestEntry || !byName.has(DUMP_ENTRY))
    throw new BackupRefusal(
      `${file} is not a hub backup (no ${MANIFEST_ENTRY} or ${DUMP_ENTRY}; make one with npm run backup).`,
    );
  const raw = await readEntry(file, manifestEntry);
  let json: unknown;
  try {
    json = JSON.parse(raw.toString("utf8"));
  } catch {
    throw new BackupRefusal(`${file} has a damaged ${MANIFEST_ENTRY}.`);
  }
  const parsed = ZBackupManifest.safeParse(json);
  if (!parsed.success)
    throw new BackupRefusal(`${file} has a manifest this version cannot read: ${parsed.error.message}`);
  return { manifest: parsed.data, byName };
}

async function readEntry(file: string, entry: TarEntry): Promise<Buffer> {
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(entry.size);
    await handle.read(buffer, 0, entry.size, entry.offset);
    return buffer;
  } finally {
    await handle.close();
  }
}

/** Every entry's bytes against the hash the manifest (or its name) gives, before anything is restored. */
async function verifyBackup(
  file: string,
  manifest: BackupManifest,
  byName: Map<string, TarEntry>,
  log: (l: string) => void,
) {
  log("Checking the backup's hashes…");
  const dump = byName.get(DUMP_ENTRY)!;
  if (dump.size !== manifest.dump.byteSize || (await sha256OfEntry(file, dump)) !== manifest.dump.sha256)
    throw new BackupRefusal(`${file} is damaged: the database dump does not match its recorded SHA-256.`);
  for (const { sha256, byteSize } of manifest.artifacts.onDisk) {
    const entry = byName.get(artifactEntry(sha256));
    if (!entry) throw new BackupRefusal(`${file} is incomplete: artifact ${sha256} is listed but not in the archive.`);
    if (entry.size !== byteSize || (await sha256OfEntry(file, entry)) !== sha256)
      throw new BackupRefusal(`${file} is damaged: artifact ${sha256} does not match its hash.`);
  }
}

async function assertEmpty(databaseUrl: string) {
  const relations = await withPgClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ name: string }>(
      `SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
         AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg_temp%'
         AND n.nspname NOT LIKE 'pg_toast_temp%' ORDER BY 1 LIMIT 5`,
    );
    return rows.map((r) => r.name);
  });
  if (relations.length)
    throw new BackupRefusal(
      `${describeUrl(databaseUrl)} is not empty (it has ${relations.join(", ")}${relations.length === 5 ? ", …" : ""}). Restore only into an empty database: create a new one (CREATE DATABASE …) and point DATABASE_URL at it; nothing was changed.`,
    );
}

/** Writes the artifact to its content-addressed place (write then rename), unless an intact copy is there. */
async function restoreArtifactFile(
  file: string,
  entry: TarEntry,
  sha256: string,
  artifactDir: string,
): Promise<boolean> {
  const target = path.join(artifactDir, sha256.slice(0, 2), sha256);
  if (
    existsSync(target) &&
    createHash("sha256")
      .update(await readFile(target))
      .digest("hex") === sha256
  )
    return false;
  await mkdir(path.dirname(target), { recursive: true });
  const partial = `${target}.${process.pid}.partial`;
  const out = await open(partial, "w");
  try {
    if (entry.size > 0) for await (const chunk of entryStream(file, entry)) await out.write(chunk);
    await out.sync();
  } finally {
    await out.close();
  }
  await rename(partial, target);
  return true;
}

/**
 * Restores a backup into an empty database: checks every hash in the archive first, puts the disk
 * artifacts back under `artifactDir`, pg_restores the dump in one transaction (a failure leaves the
 * database empty), then reads back every artifact the restored database names and checks its hash.
 */
export async function restoreHub({
  databaseUrl,
  file,
  artifactDir,
  log = () => {},
}: RestoreOptions): Promise<RestoreSummary> {
  const archive = path.resolve(file);
  const { manifest, byName } = await readBackup(archive);
  const major = await serverMajorOf(databaseUrl);
  const pgRestore = requirePgTool("pg_restore", major);
  await assertEmpty(databaseUrl);
  await verifyBackup(archive, manifest, byName, log);

  let written = 0;
  if (manifest.artifacts.onDisk.length)
    log(`Restoring ${manifest.artifacts.onDisk.length} artifact file(s) to ${artifactDir}…`);
  for (const { sha256 } of manifest.artifacts.onDisk)
    if (await restoreArtifactFile(archive, byName.get(artifactEntry(sha256))!, sha256, artifactDir)) written++;

  log(`Restoring the database (dump of ${manifest.database}, ${manifest.createdAt}) into ${describeUrl(databaseUrl)}…`);
  await runPgTool(
    pgRestore,
    ["--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges", "--no-password"],
    databaseUrl,
    entryStream(archive, byName.get(DUMP_ENTRY)!),
  );

  const { db, pool } = connectDatabase(databaseUrl, { poolMax: 2 });
  try {
    // A backup taken by an earlier version is brought to this version's schema (and storage) first.
    await migrateDatabase(db);
    log("Verifying every artifact's hash…");
    const store = createDiskArtifactStore(artifactDir);
    const { rows } = await db.execute<{ sha256: string }>(sql`SELECT sha256 FROM artifacts ORDER BY sha256`);
    const problems: string[] = [];
    for (const { sha256 } of rows) {
      // The store's read checks the hash of what it returns, from the row's bytes or the file.
      await store.get(db, sha256).catch((error: unknown) => problems.push((error as Error).message));
    }
    if (problems.length)
      throw new Error(
        `The restore finished but ${problems.length} artifact(s) failed verification:\n  ${problems.join("\n  ")}`,
      );
    const [{ count }] = (await db.execute<{ count: string }>(sql`SELECT count(*) AS count FROM model_versions`))
      .rows as [{ count: string }];
    return { artifactsVerified: rows.length, artifactFilesWritten: written, modelVersions: Number(count) };
  } finally {
    await pool.end();
  }
}

export function describeRestore(summary: RestoreSummary): string {
  return [
    "Restore complete.",
    `  ${summary.modelVersions} model version(s); ${summary.artifactsVerified} artifact(s) verified by SHA-256`,
    `  ${summary.artifactFilesWritten} artifact file(s) written to the disk store`,
  ].join("\n");
}
