import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { open, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { databaseName } from "@/db/pg-connection";
import {
  artifactEntry,
  BACKUP_FORMAT,
  DUMP_ENTRY,
  MANIFEST_ENTRY,
  TarWriter,
  type BackupManifest,
} from "./backup-archive";
import { BackupRefusal, describeUrl, requirePgTool, runPgTool, serverMajorOf } from "./backup-pg-tools";

export type BackupOptions = {
  databaseUrl: string;
  /** The backup file to write. */
  file: string;
  /** Where disk-store artifacts live: <FLIP_DATA_DIR>/artifacts. */
  artifactDir: string;
  force?: boolean;
  log?: (line: string) => void;
};

export type BackupSummary = {
  file: string;
  byteSize: number;
  dumpBytes: number;
  artifactsInDatabase: number;
  artifactsOnDisk: number;
  modelVersions: number;
};

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest("hex");
}

/**
 * Writes one backup file of the hub: a pg_dump of the database and every disk-store artifact file
 * the dump's artifacts table names. Both come from one snapshot: the list of artifacts is read in
 * the transaction whose snapshot pg_dump uses, and an artifact's file is always written before its
 * row commits, so every listed file exists (and being content-addressed, never changes).
 */
export async function backupHub({ databaseUrl, file, artifactDir, force = false, log = () => {} }: BackupOptions) {
  const target = path.resolve(file);
  if (existsSync(target) && !force)
    throw new BackupRefusal(`${target} already exists; choose another file or pass --force to overwrite it.`);
  if (!existsSync(path.dirname(target))) throw new BackupRefusal(`The folder ${path.dirname(target)} does not exist.`);
  const major = await serverMajorOf(databaseUrl);
  const pgDump = requirePgTool("pg_dump", major);

  const partial = `${target}.partial`;
  const dumpFile = `${target}.dump.partial`;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const { rows: snapshot } = await client.query<{ id: string }>("SELECT pg_export_snapshot() AS id");
    const { rows: hub } = await client.query<{ artifacts: string | null; versions: string | null; server: string }>(
      "SELECT to_regclass('public.artifacts') AS artifacts, to_regclass('public.model_versions') AS versions, current_setting('server_version') AS server",
    );
    if (!hub[0]!.artifacts || !hub[0]!.versions)
      throw new Error(
        `${describeUrl(databaseUrl)} has no artifacts or model_versions table: it is not a FLIP hub database (or not migrated: npm run db:migrate).`,
      );
    const { rows: onDisk } = await client.query<{ sha256: string; byte_size: string }>(
      "SELECT sha256, byte_size FROM artifacts WHERE store = 'disk' ORDER BY sha256",
    );
    const {
      rows: [counts],
    } = await client.query<{ in_db: string; versions: string }>(
      "SELECT (SELECT count(*) FROM artifacts WHERE store <> 'disk') AS in_db, (SELECT count(*) FROM model_versions) AS versions",
    );

    log(`Dumping ${describeUrl(databaseUrl)} with ${pgDump.path} (PostgreSQL ${hub[0]!.server})…`);
    await runPgTool(
      pgDump,
      ["--format=custom", `--snapshot=${snapshot[0]!.id}`, "--no-password", `--file=${dumpFile}`],
      databaseUrl,
    );
    const dumpBytes = (await stat(dumpFile)).size;
    log(`Database dumped: ${mb(dumpBytes)}.`);

    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      createdAt: new Date().toISOString(),
      database: databaseName(databaseUrl),
      serverVersion: hub[0]!.server,
      dump: { sha256: await sha256OfFile(dumpFile), byteSize: dumpBytes },
      artifacts: {
        inDatabase: Number(counts!.in_db),
        onDisk: onDisk.map((row) => ({ sha256: row.sha256, byteSize: Number(row.byte_size) })),
      },
      modelVersions: Number(counts!.versions),
    };

    const out = await open(partial, "w");
    try {
      const tar = new TarWriter(out);
      await tar.addBytes(MANIFEST_ENTRY, Buffer.from(JSON.stringify(manifest, null, 2)));
      const dumpHash = await tar.addFile(DUMP_ENTRY, dumpFile, dumpBytes);
      if (dumpHash !== manifest.dump.sha256) throw new Error("The dump changed while it was being archived.");
      if (onDisk.length) log(`Archiving ${onDisk.length} artifact file(s) from ${artifactDir}…`);
      for (const [index, { sha256, byteSize }] of manifest.artifacts.onDisk.entries()) {
        const source = path.join(artifactDir, sha256.slice(0, 2), sha256);
        if (!existsSync(source))
          throw new Error(`Artifact ${sha256} is in the database but its file is missing from ${artifactDir}.`);
        const actual = await tar.addFile(artifactEntry(sha256), source, byteSize);
        if (actual !== sha256)
          throw new Error(`Artifact file ${source} is corrupt: its content no longer matches its hash.`);
        if ((index + 1) % 100 === 0) log(`  ${index + 1}/${onDisk.length} artifact files`);
      }
      await tar.finish();
      await out.sync();
    } finally {
      await out.close();
    }
    await rename(partial, target);
    await client.query("COMMIT");
    const summary: BackupSummary = {
      file: target,
      byteSize: (await stat(target)).size,
      dumpBytes,
      artifactsInDatabase: manifest.artifacts.inDatabase,
      artifactsOnDisk: onDisk.length,
      modelVersions: manifest.modelVersions,
    };
    return summary;
  } finally {
    await client.end().catch(() => undefined);
    await rm(dumpFile, { force: true });
    await rm(partial, { force: true });
  }
}

export function describeBackup(summary: BackupSummary): string {
  return [
    `Backup written: ${summary.file} (${mb(summary.byteSize)})`,
    `  database dump: ${mb(summary.dumpBytes)}, ${summary.modelVersions} model version(s)`,
    `  artifacts: ${summary.artifactsInDatabase} in the database, ${summary.artifactsOnDisk} file(s) from the disk store`,
  ].join("\n");
}
