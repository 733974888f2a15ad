import { eq, sql } from "drizzle-orm";
import type { Database, DbOrTx, Tx } from "@/db/client";
import { models, modelVersions, type ModelVersion } from "@/db/schema";
import { getArtifactStore, rememberArtifact, sha256Hex } from "@/server/artifacts/artifact-store";
import { encodeTensors, type NamedTensor } from "@/protocol/tensor-codec";
import type { Lineage, VersionMetrics } from "@/protocol/registry";

export type NewVersion = {
  modelId: string;
  source: ModelVersion["source"];
  weights: readonly NamedTensor[];
  /** `weights` already encoded as a tensor file (a round's close computes them into it), not encoded again. */
  weightsFile?: Uint8Array;
  optimizerState?: readonly NamedTensor[] | null;
  parentVersionId?: string | null;
  jobId?: string | null;
  round?: number | null;
  lineage: Lineage;
  metrics?: VersionMetrics | null;
  createdBy?: string | null;
};

/** Writes an immutable version with the next number of its model; the model row lock orders concurrent writers. */
export async function insertVersion(tx: Tx, input: NewVersion): Promise<ModelVersion> {
  const files = versionFiles(input);
  await storeFiles(tx, files);
  return insertVersionRow(tx, input, files);
}

/**
 * As insertVersion, for a round's close, where every site of the next round waits for the commit:
 * the model files (megabytes, which PostgreSQL takes tens of milliseconds to store) are written on
 * a connection of their own from `db`'s pool, each committed by itself, while the transaction goes
 * on with the rest of the close. The version row's references to its files are checked when the
 * transaction commits (deferred, migration 0020), so the caller awaits `written` before it
 * commits. A transaction that then rolls back leaves the files stored, unnamed: content-addressed,
 * they are the same bytes a retried close writes. With no pooled connection free at once (others
 * may be waiting for this transaction's locks), the files are written in the transaction instead.
 */
export async function insertVersionWritingAside(
  db: Database,
  tx: Tx,
  input: NewVersion,
): Promise<{ version: ModelVersion; written: Promise<void> }> {
  const files = versionFiles(input);
  const pool = db.$client;
  const isConnectionFree =
    pool.waitingCount === 0 && (pool.idleCount > 0 || pool.totalCount < (pool.options.max ?? 10));
  if (!isConnectionFree) {
    await storeFiles(tx, files);
    return { version: await insertVersionRow(tx, input, files), written: Promise.resolve() };
  }
  const written = storeFiles(db, files);
  // Handled here as well: a close that fails before it awaits `written` must not leave a rejection unhandled.
  written.catch(() => undefined);
  return { version: await insertVersionRow(tx, input, files), written };
}

type VersionFiles = {
  weightsSha256: string;
  optimizerStateSha256: string | null;
  list: { bytes: Uint8Array; sha256: string }[];
};

function versionFiles(input: NewVersion): VersionFiles {
  const weights = input.weightsFile ?? encodeTensors(input.weights);
  const weightsSha256 = sha256Hex(weights);
  // Every site of the next round downloads these bytes at once.
  rememberArtifact(weightsSha256, weights);
  const list = [{ bytes: weights, sha256: weightsSha256 }];
  if (!input.optimizerState) return { weightsSha256, optimizerStateSha256: null, list };
  const state = encodeTensors(input.optimizerState);
  const optimizerStateSha256 = sha256Hex(state);
  return { weightsSha256, optimizerStateSha256, list: [...list, { bytes: state, sha256: optimizerStateSha256 }] };
}

async function storeFiles(target: DbOrTx, files: VersionFiles): Promise<void> {
  const store = getArtifactStore();
  // One after the other: each is a transaction (or, in `target`'s, a savepoint) of its own, and a
  // connection runs one at a time.
  for (const file of files.list) await store.put(target, file.bytes, file.sha256);
}

async function insertVersionRow(tx: Tx, input: NewVersion, files: VersionFiles): Promise<ModelVersion> {
  await tx.select({ id: models.id }).from(models).where(eq(models.id, input.modelId)).for("update");
  const [{ next }] = (await tx
    .select({ next: sql<number>`coalesce(max(${modelVersions.number}), 0)::int + 1` })
    .from(modelVersions)
    .where(eq(modelVersions.modelId, input.modelId))) as [{ next: number }];
  const [version] = await tx
    .insert(modelVersions)
    .values({
      modelId: input.modelId,
      number: next,
      source: input.source,
      weightsSha256: files.weightsSha256,
      optimizerStateSha256: files.optimizerStateSha256,
      parentVersionId: input.parentVersionId ?? null,
      jobId: input.jobId ?? null,
      round: input.round ?? null,
      lineage: input.lineage,
      metrics: input.metrics ?? null,
      createdBy: input.createdBy ?? null,
    })
    .returning();
  return version!;
}
