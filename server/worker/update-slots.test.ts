import { afterAll, expect, test, vi } from "vitest";
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from "@/protocol/contract";
import { encodeTensors } from "@/protocol/tensor-codec";
import { encodeTrainResultHeader, LEASE_HEADER, OCTET_STREAM, TRAIN_RESULT_HEADER } from "@/protocol/training";
import { issueSiteToken } from "@/server/site-network/site-tokens.service";
import {
  leaseFor,
  type SiteLease,
  rounds,
  sites,
  startJob,
  trainResult,
  useRoundHarness,
  versionWeights,
  withValue,
} from "@/server/lib/test-support/round-harness";
import { bodyMemory } from "@/server/jobs/update-bodies";
import { receiveUpdate } from "./binary-routes";

/**
 * Many sites reporting at once: the hub reads and holds at most FLIP_UPDATE_CONCURRENCY update
 * bodies (2 here), the others wait with their bodies unread, and every update still lands, in a
 * round whose mean is the one of all of them, though later bodies are read into earlier ones' memory.
 */
vi.stubEnv("FLIP_UPDATE_CONCURRENCY", "2");
afterAll(() => void vi.unstubAllEnvs());
const testDb = useRoundHarness();
const SITES = 8;

test("at most FLIP_UPDATE_CONCURRENCY update bodies are read at once; the other sites wait and every update is accepted", async () => {
  const db = testDb.db();
  const { versionId, jobId } = await startJob(
    db,
    { participation: { minSites: SITES, roundDeadlineSeconds: 600 } },
    SITES,
  );
  const leases: SiteLease[] = [];
  for (const site of sites) leases.push(await leaseFor(db, site));
  let reading = 0;
  let peak = 0;
  // The first body read waits (up to 2 s) for a second to start, so two slots show as two bodies read
  // at once however the machine schedules the requests, and one slot as a wait that ends in a timeout.
  let secondStarted = () => undefined as void;
  const twoReading = new Promise<void>((resolve) => (secondStarted = resolve));
  const requests = await Promise.all(
    leases.map(async ({ site, task, global }, i) => {
      const { token } = await issueSiteToken(
        db,
        { type: "system", label: "test" },
        { siteId: site.id, graceSeconds: 0 },
      );
      const bytes = encodeTensors(withValue(global, () => 0.01 * (i + 1)));
      let offset = 0;
      // Pulled only when the hub reads: a body counts from its first byte read to its last.
      const body = new ReadableStream<Uint8Array>(
        {
          async pull(controller) {
            if (offset === 0) {
              peak = Math.max(peak, ++reading);
              if (reading >= 2) secondStarted();
              await Promise.race([twoReading, new Promise((resolve) => setTimeout(resolve, 2_000))]);
            }
            const chunk = bytes.subarray(offset, offset + 64);
            offset += chunk.byteLength;
            if (offset >= bytes.byteLength) reading--;
            controller.enqueue(chunk);
            if (offset >= bytes.byteLength) controller.close();
            // A turn of the event loop per chunk, so bodies read together interleave.
            await new Promise((resolve) => setImmediate(resolve));
          },
        },
        { highWaterMark: 0 },
      );
      return new Request(`http://hub/api/worker/tasks/${task.taskId}/update`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          [PROTOCOL_HEADER]: String(PROTOCOL_VERSION),
          [LEASE_HEADER]: task.leaseId,
          "content-type": OCTET_STREAM,
          "content-length": String(bytes.byteLength),
          [TRAIN_RESULT_HEADER]: encodeTrainResultHeader(trainResult(40)),
        },
        body,
        duplex: "half",
      } as RequestInit);
    }),
  );
  const responses = await Promise.all(requests.map((request, i) => receiveUpdate(db, request, leases[i]!.task.taskId)));
  expect(await Promise.all(responses.map((r) => r.json()))).toEqual(
    leases.map(() => ({ accepted: true, round: 1, norm: expect.any(Number) })),
  );
  expect(peak).toBe(2);
  // Read into at most 2 slots' and 3 waiting bodies' memory, the rest into memory given back (update-bodies.ts).
  const memory = bodyMemory();
  expect(memory.allocated + memory.reused).toBe(SITES);
  expect(memory.allocated).toBeLessThanOrEqual(5);

  // Equal weights: the new version is the global model plus the mean of 0.01, 0.02, ... 0.08.
  const [first] = await rounds(db, jobId);
  expect(first!.status).toBe("closed");
  const start = await versionWeights(db, versionId);
  const next = await versionWeights(db, first!.resultVersionId!);
  next.tensors.forEach((t, ti) =>
    t.data.forEach((x, i) => expect(x).toBeCloseTo(start.tensors[ti]!.data[i]! + 0.045, 6)),
  );
});

/** An update of `value` everywhere from the site of `lease`, as its worker sends it. */
async function updateRequest(lease: SiteLease, value: number): Promise<Request> {
  const db = testDb.db();
  const { token } = await issueSiteToken(
    db,
    { type: "system", label: "test" },
    { siteId: lease.site.id, graceSeconds: 0 },
  );
  const bytes = encodeTensors(withValue(lease.global, () => value));
  return new Request(`http://hub/api/worker/tasks/${lease.task.taskId}/update`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      [PROTOCOL_HEADER]: String(PROTOCOL_VERSION),
      [LEASE_HEADER]: lease.task.leaseId,
      "content-type": OCTET_STREAM,
      "content-length": String(bytes.byteLength),
      [TRAIN_RESULT_HEADER]: encodeTrainResultHeader(trainResult(40)),
    },
    body: new Blob([bytes as Uint8Array<ArrayBuffer>]),
  });
}

test("a body's memory is read into again only once its update is folded: updates one after another, over two rounds, aggregate to their own mean", async () => {
  const db = testDb.db();
  const { versionId, jobId } = await startJob(
    db,
    {
      participation: { minSites: 4, roundDeadlineSeconds: 600 },
      hyperparameters: { rounds: 2, localEpochs: 1, batchSize: 8, learningRate: 0.1, optimizer: "sgd" },
    },
    4,
  );
  const before = bodyMemory();
  for (const round of [1, 2]) {
    const leases: SiteLease[] = [];
    for (const site of sites) leases.push(await leaseFor(db, site));
    // The running sum folds four updates together: the first three wait in it, their bodies in use.
    for (const [i, lease] of leases.entries()) {
      const response = await receiveUpdate(db, await updateRequest(lease, 0.01 * round * (i + 1)), lease.task.taskId);
      expect(await response.json()).toEqual({ accepted: true, round, norm: expect.any(Number) });
    }
  }
  // Never more memory than four bodies (three waiting to be folded and the one read), the rest read into again.
  const after = bodyMemory();
  expect(after.allocated + after.reused).toBe(before.allocated + before.reused + 8);
  expect(after.allocated - before.allocated).toBeLessThanOrEqual(4);
  expect(after.reused - before.reused).toBeGreaterThanOrEqual(4);
  const [first, second] = await rounds(db, jobId);
  const start = await versionWeights(db, versionId);
  const afterFirst = await versionWeights(db, first!.resultVersionId!);
  const afterSecond = await versionWeights(db, second!.resultVersionId!);
  // The mean of 0.01..0.04, then of 0.02..0.08.
  afterFirst.tensors.forEach((t, ti) =>
    t.data.forEach((x, i) => expect(x).toBeCloseTo(start.tensors[ti]!.data[i]! + 0.025, 6)),
  );
  afterSecond.tensors.forEach((t, ti) =>
    t.data.forEach((x, i) => expect(x).toBeCloseTo(start.tensors[ti]!.data[i]! + 0.025 + 0.05, 6)),
  );
});
