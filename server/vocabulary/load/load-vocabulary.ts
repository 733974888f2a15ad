import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import pg from "pg";
import { AthenaFileError, ATHENA_FILES } from "./athena-files";
import { copyFileIntoStaging } from "./copy-file";
import type { LoadProgress } from "./progress-bar";
import { createStaging, dropStaging, finishStaging, hasStaging, STAGING, swapInStaging } from "./staging";

/** A load that cannot start or finish for a reason the person running it can fix. */
export class VocabularyLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VocabularyLoadError";
  }
}

export type LoadOptions = {
  folder: string;
  /** Reload even when this exact download is already the live vocabulary. */
  force?: boolean;
  /** Rows per committed COPY chunk: the resume granularity. */
  chunkRows?: number;
  onProgress?: (event: LoadProgress) => void;
};

export type LoadResult = {
  status: "loaded" | "unchanged";
  version: string | null;
  resumed: boolean;
  rows: Record<string, number>;
};

type Progress = Record<string, { rows: number; done: boolean }>;

const LOCK_KEY = "flip.vocabulary.load";

/**
 * Loads an Athena download into the hub's `vocab` schema: every file is checked and streamed by COPY
 * into a staging schema, which replaces the live one in a single transaction. A bad file throws
 * `AthenaFileError` (file, line, column) and the live vocabulary is untouched; an interrupted load of
 * the same download resumes from its last committed chunk; the live download again is a no-op.
 */
export async function loadVocabulary(databaseUrl: string, options: LoadOptions): Promise<LoadResult> {
  const folder = resolve(options.folder);
  const onProgress = options.onProgress ?? (() => undefined);
  const fingerprint = await fingerprintFolder(folder);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows: locked } = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock(hashtext($1)) AS ok", [
      LOCK_KEY,
    ]);
    if (!locked[0]!.ok)
      throw new VocabularyLoadError("Another vocabulary load is running against this database; wait for it to finish.");
    return await loadLocked(client, folder, fingerprint, options, onProgress);
  } finally {
    await client.end();
  }
}

async function loadLocked(
  client: pg.Client,
  folder: string,
  fingerprint: string,
  options: LoadOptions,
  onProgress: (event: LoadProgress) => void,
): Promise<LoadResult> {
  const step = (message: string) => onProgress({ phase: "step", message });
  const live = await client.query<{ version: string | null; progress: Progress }>(
    "SELECT version, progress FROM vocabulary_loads WHERE status = 'live' AND fingerprint = $1",
    [fingerprint],
  );
  if (live.rows[0] && !options.force)
    return { status: "unchanged", version: live.rows[0].version, resumed: false, rows: rowsOf(live.rows[0].progress) };

  const pending = await client.query<{ id: string; progress: Progress }>(
    "SELECT id, progress FROM vocabulary_loads WHERE status = 'loading' AND fingerprint = $1 ORDER BY created_at DESC LIMIT 1",
    [fingerprint],
  );
  const resumable = pending.rows[0] && (await hasStaging(client)) ? pending.rows[0] : undefined;
  let loadId: string;
  let progress: Progress = {};
  if (resumable) {
    loadId = resumable.id;
    progress = resumable.progress;
    step(`Resuming the interrupted load of ${folder}…`);
  } else {
    await client.query(
      "UPDATE vocabulary_loads SET status = 'abandoned', finished_at = now() WHERE status = 'loading'",
    );
    await createStaging(client);
    const inserted = await client.query<{ id: string }>(
      "INSERT INTO vocabulary_loads (status, source_folder, fingerprint) VALUES ('loading', $1, $2) RETURNING id",
      [folder, fingerprint],
    );
    loadId = inserted.rows[0]!.id;
  }

  try {
    const rows: Record<string, number> = {};
    for (const spec of ATHENA_FILES) {
      const done = progress[spec.file];
      if (done?.done) {
        rows[spec.file] = done.rows;
        continue;
      }
      rows[spec.file] = await copyFileIntoStaging(client, {
        folder,
        spec,
        loadId,
        skipRows: done?.rows ?? 0,
        chunkRows: options.chunkRows ?? 500_000,
        onProgress,
      });
    }
    await finishStaging(client, folder, step);
    const version = await releaseVersion(client);
    step("Swapping in the new vocabulary…");
    await swapInStaging(client, loadId, version);
    return { status: "loaded", version, resumed: !!resumable, rows };
  } catch (error) {
    // A bad download will not get better by resuming: drop what was staged. Anything else (a lost
    // connection, a stopped server) keeps the staged rows for the next run to resume.
    if (error instanceof AthenaFileError) {
      await dropStaging(client);
      await client.query("UPDATE vocabulary_loads SET status = 'abandoned', finished_at = now() WHERE id = $1", [
        loadId,
      ]);
    }
    throw error;
  }
}

/** The release, from VOCABULARY.csv's "None" row (Athena writes e.g. "v5.0 30-AUG-24" there). */
async function releaseVersion(client: pg.Client): Promise<string | null> {
  const { rows } = await client.query<{ version: string | null }>(
    `SELECT vocabulary_version AS version FROM ${STAGING}.vocabulary WHERE vocabulary_id = 'None'`,
  );
  return rows[0]?.version ?? null;
}

async function fingerprintFolder(folder: string): Promise<string> {
  const folderStat = await stat(folder).catch(() => undefined);
  if (!folderStat?.isDirectory())
    throw new VocabularyLoadError(`${folder} is not a folder; give the folder you unzipped the Athena download into.`);
  const hash = createHash("sha256");
  const missing: string[] = [];
  for (const spec of ATHENA_FILES) {
    const file = await stat(join(folder, spec.file)).catch(() => undefined);
    if (!file?.isFile()) missing.push(spec.file);
    else hash.update(`${spec.file}\0${file.size}\0${file.mtimeMs}\n`);
  }
  if (missing.length)
    throw new VocabularyLoadError(
      `${folder} lacks ${missing.join(", ")}; an Athena download holds all of ${ATHENA_FILES.map((f) => f.file).join(", ")}.`,
    );
  return hash.digest("hex");
}

function rowsOf(progress: Progress) {
  return Object.fromEntries(Object.entries(progress).map(([file, p]) => [file, p.rows]));
}
