import { eq, sql } from "drizzle-orm";
import type { Tx } from "@/db/client";
import { models, modelVersions, type ModelVersion } from "@/db/schema";
import { getArtifactStore } from "@/server/artifacts/artifact-store";
import { encodeTensors, type NamedTensor } from "@/protocol/tensor-codec";

/** Where a version came from: enough to rebuild the model card and to trust (or distrust) it. */
export type Lineage =
  | { kind: "initial"; from: "template" | "architecture"; template?: string }
  | { kind: "import"; fileNames: string[] }
  | {
      kind: "training";
      jobId: string;
      round: number;
      sites: { code: string; examples: number }[];
      expectedSites: string[];
      revisionHash: string;
      hyperparameters: unknown;
      strategy: unknown;
      backends: Record<string, string>;
    };

export type NewVersion = {
  modelId: string;
  source: ModelVersion["source"];
  weights: readonly NamedTensor[];
  optimizerState?: readonly NamedTensor[] | null;
  parentVersionId?: string | null;
  jobId?: string | null;
  round?: number | null;
  lineage: Lineage;
  metrics?: unknown;
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
  const weightsSha256 = await store.put(tx, encodeTensors(input.weights));
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
