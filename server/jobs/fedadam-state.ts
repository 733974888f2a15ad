import type { Tx } from "@/db/client";
import type { ModelVersion } from "@/db/schema";
import type { FedAdamState } from "@/server/aggregation/strategies";
import type { NamedTensor } from "@/protocol/tensor-codec";
import { loadWeights, type JobContext } from "./job-context";

/** FedAdam's moments as they travel between rounds: one optimizer-state artifact on the version, m/ and v/ tensors. */
export function stateTensors(state: FedAdamState | null): NamedTensor[] | null {
  if (!state) return null;
  return [
    ...state.m.map((t) => ({ ...t, name: `m/${t.name}` })),
    ...state.v.map((t) => ({ ...t, name: `v/${t.name}` })),
  ];
}

export async function previousState(
  tx: Tx,
  ctx: JobContext,
  globalVersion: ModelVersion,
): Promise<FedAdamState | null> {
  // FedAdam's moments belong to one job's trajectory; another job starts them afresh.
  if (globalVersion.jobId !== ctx.job.id || !globalVersion.optimizerStateSha256) return null;
  const tensors = await loadWeights(tx, globalVersion.optimizerStateSha256);
  const strip = (prefix: string) =>
    tensors.filter((t) => t.name.startsWith(prefix)).map((t) => ({ ...t, name: t.name.slice(prefix.length) }));
  return { m: strip("m/"), v: strip("v/") };
}
