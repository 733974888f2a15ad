import { describe, expect, test } from "vitest";
import { accumulatorMemory } from "@/server/aggregation/fold-kernel";
import { releaseBuffer } from "@/protocol/release-buffer";
import { encodeTensors } from "@/protocol/tensor-codec";
import { encodeTrainResultHeader } from "@/protocol/training";
import {
  leaseFor,
  rounds,
  type SiteLease,
  sites,
  startJob,
  trainResult,
  upload,
  useRoundHarness,
  versionWeights,
  withValue,
} from "@/server/lib/test-support/round-harness";
import { getRoundExchange } from "./round-exchange";
import { acceptUpdate } from "./update-intake";

/**
 * A round's model-sized memory at the hub: each update's copy goes as soon as nothing reads it, and
 * the round's sum goes to the next round's once the round has closed (update-bodies.ts,
 * fold-kernel.ts); neither changes what the rounds average.
 */
const testDb = useRoundHarness();

describe("a round's memory", () => {
  test("the route's copy of each update is freed once nothing reads it: folded into the sum, or refused", async () => {
    const db = testDb.db();
    const { jobId, versionId } = await startJob(db);
    const leases = await Promise.all(sites.map((s) => leaseFor(db, s)));
    const freed: string[] = [];
    const send = (lease: SiteLease, body: Uint8Array) =>
      acceptUpdate(db, lease.site, {
        taskId: lease.task.taskId,
        leaseId: lease.task.leaseId,
        body,
        resultHeader: encodeTrainResultHeader(trainResult(10)),
        // As the update route passes it: the body's memory goes, and every view of it reads as empty.
        release: () => {
          releaseBuffer(body);
          freed.push(lease.site.code);
        },
      });
    const refused = new Uint8Array([1, 2, 3]);
    await expect(send(leases[0]!, refused)).rejects.toThrow(/payload is 3 bytes/);
    expect(freed).toEqual([sites[0]!.code]);
    expect(refused.byteLength).toBe(0);
    // Accepted ones are read by the round's sum until it folds them: four together, or the rest at the close.
    await send(leases[0]!, encodeTensors(withValue(leases[0]!.global, () => 0.1)));
    await send(leases[1]!, encodeTensors(withValue(leases[1]!.global, () => -0.2)));
    expect(freed).toHaveLength(1);
    await send(leases[2]!, encodeTensors(withValue(leases[2]!.global, () => 0.4)));
    expect(freed.slice(1).sort()).toEqual(sites.map((s) => s.code).sort());
    const [first] = await rounds(db, jobId);
    expect(first).toMatchObject({ status: "closed" });
    const start = await versionWeights(db, versionId);
    const next = await versionWeights(db, first!.resultVersionId!);
    const delta = (0.1 - 0.2 + 0.4) / 3;
    next.tensors.forEach((t, ti) =>
      t.data.forEach((x, i) => expect(x).toBeCloseTo(start.tensors[ti]!.data[i]! + delta, 6)),
    );
  });

  test("a closed round's sum gives its memory to the next round's, which averages only its own updates", async () => {
    const db = testDb.db();
    const { jobId } = await startJob(db);
    const exchange = getRoundExchange(db);
    const [firstRound] = await rounds(db, jobId);
    const round1 = await Promise.all(sites.map((s) => leaseFor(db, s)));
    for (const lease of round1.slice(0, 2))
      await upload(
        db,
        lease,
        withValue(lease.global, () => 0.5),
        10,
      );
    const sum1 = await exchange.heldSum(
      firstRound!.id,
      sites.slice(0, 2).map((s) => s.id),
    );
    expect(sum1?.contributors).toHaveLength(2);
    await upload(
      db,
      round1[2]!,
      withValue(round1[2]!.global, () => 0.5),
      10,
    );
    // The round's closed notice heard (after the close committed): its sum is released, not left to the collector.
    await exchange.earlyPublished();
    expect(() => sum1!.sums).toThrow(/released/);

    const before = accumulatorMemory();
    const round2 = await Promise.all(sites.map((s) => leaseFor(db, s)));
    const deltas = [0.1, -0.2, 0.4];
    for (const [i, lease] of round2.entries()) {
      await upload(
        db,
        lease,
        withValue(lease.global, () => deltas[i]!),
        10,
      );
      if (i === 0) expect(accumulatorMemory().reused).toBe(before.reused + 1);
    }
    const [first, second] = await rounds(db, jobId);
    expect(second).toMatchObject({ status: "closed" });
    const after1 = await versionWeights(db, first!.resultVersionId!);
    const after2 = await versionWeights(db, second!.resultVersionId!);
    // Round 2's mean is its own updates', nothing of round 1's 0.5 left in the memory it reused.
    after2.tensors.forEach((t, ti) =>
      t.data.forEach((x, i) => expect(x).toBeCloseTo(after1.tensors[ti]!.data[i]! + (0.1 - 0.2 + 0.4) / 3, 6)),
    );
  });
});
