import { eq, sql } from "drizzle-orm";
import type { Tx } from "@/db/client";
import { models, modelVersions, type ModelVersion } from "@/db/schema";
import { getArtifactStore, rememberArtifact } from "@/server/artifacts/artifact-store";
import { encodeTensors, type NamedTensor } from "@/protocol/tensor-codec";
import type { Lineage, VersionMetrics } from "@/protocol/registry";

export type NewVersion = {
  modelId: string;
  source: ModelVersion["source"];
  weights: readonly NamedTensor[];
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
  await tx.select({ id: models.id }).from(models).where(eq(models.id, input.modelId)).for("update");
  const [{ next }] = (await tx
    .select({ next: sql<number>`coalesce(max(${modelVersions.number}), 0)::int + 1` })
    .from(modelVersions)
    .where(eq(modelVersions.modelId, input.modelId))) as [{ next: number }];
  const store = getArtifactStore();
  const weights = encodeTensors(input.weights);
  const weightsSha256 = await store.put(tx, weights);
  // Every site of the next round downloads these bytes at once.
  rememberArtifact(weightsSha256, weights);
  const optimizerStateSha256 = input.optimizerState ? await store.put(tx, encodeTensors(input.optimizerState)) : null;
  const [version] = await tx
    .insert(modelVersions)
    .values({
      modelId: input.modelId,
      number: next,
      source: input.source,
      weightsSha256,
      optimizerStateSha256,
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
