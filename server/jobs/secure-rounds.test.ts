import { describe, expect, test, vi } from "vitest";
import { connectDatabase, type Database } from "@/db/client";
import { roundPartials, secaggSites } from "@/db/schema";
import { createSecAggClient } from "@/protocol/secagg/client";
import { quantisationBound } from "@/protocol/secagg/quantise";
import { encodeTrainResultHeader, ZTrainPayload } from "@/protocol/training";
import { unmaskAnswer } from "@/workers/training/secagg-session";
import { maskedUpload } from "@/workers/training/secagg-update";
import {
  leaseFor,
  rounds,
  sites,
  startJob,
  trainResult,
  upload,
  useRoundHarness,
  versionWeights,
  withValue,
  type SiteLease,
} from "@/server/lib/test-support/round-harness";
import { advertiseKeys, answerUnmask, secAggState, shareKeys } from "./secagg-rounds";
import { snapshotTables } from "@/server/lib/test-support/fixtures";
import { closeChangeFeed } from "@/server/database/change-feed";
import { closeRoundExchange } from "./round-exchange";
import { acceptUpdate } from "./update-intake";

/**
 * A secure-aggregation round whose masked uploads land in two portal processes (two database
 * handles, i.e. two processes' memories): the close gathers the other process's masked partial
 * sum, as a plain round gathers its running sum, and the unmasked mean is the FedAvg mean.
 */
const testDb = useRoundHarness();
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
const bytes = (value: string) => new Uint8Array(Buffer.from(value, "base64"));
const leaseOf = (l: SiteLease) => ({ taskId: l.task.taskId, leaseId: l.task.leaseId });
const copyAt = (offset: number, from: Uint8Array) => {
  const into = new Uint8Array(offset + from.byteLength);
  into.set(from, offset);
  return into.subarray(offset);
};

describe("secure-aggregation rounds at the hub", () => {
  test("masked uploads split between two processes are gathered once, unmasked, and give the FedAvg mean", async () => {
    const db = testDb.db();
    const { jobId } = await startJob(db, {
      hyperparameters: { rounds: 1, localEpochs: 1, batchSize: 8, learningRate: 0.1, optimizer: "sgd" },
      participation: { minSites: 3, roundDeadlineSeconds: 600 },
      secureAggregation: true,
    });
    const leases = await Promise.all(sites.map((s) => leaseFor(db, s)));
    const secure = ZTrainPayload.parse(leases[0]!.task.payload).secureAggregation!;
    const clients = leases.map((l) =>
      createSecAggClient({ siteId: l.site.id, roundId: secure.roundId, params: secure.params }),
    );
    for (const [k, l] of leases.entries()) {
      const ad = clients[k]!.advertise();
      await advertiseKeys(db, l.site, {
        ...leaseOf(l),
        encryptionKey: b64(ad.encryptionKey),
        maskingKey: b64(ad.maskingKey),
      });
    }
    const sharing = await secAggState(db, leases[0]!.site, leaseOf(leases[0]!));
    expect(sharing.phase).toBe("sharing");
    const roster = sharing.roster!.map((a) => ({
      siteId: a.siteId,
      encryptionKey: bytes(a.encryptionKey),
      maskingKey: bytes(a.maskingKey),
    }));
    for (const [k, l] of leases.entries()) {
      const boxes = clients[k]!.shareKeys(roster).map((b) => ({ to: b.to, sealed: b64(b.sealed) }));
      await shareKeys(db, l.site, { ...leaseOf(l), boxes });
    }
    const masking = await Promise.all(leases.map((l) => secAggState(db, l.site, leaseOf(l))));
    masking.forEach((state, k) =>
      clients[k]!.receiveShares(
        state.boxes!.map((b) => ({ from: b.from, to: leases[k]!.site.id, sealed: bytes(b.sealed) })),
      ),
    );

    const values = [0.5, -0.5, 0.25];
    const examples = [50, 25, 25];
    const send = (hub: Database, k: number) => {
      const l = leases[k]!;
      const update = withValue(l.global, () => values[k]!);
      const weight = examples[k]! / secure.weightDivisor;
      const sharedKeys = masking[k]!.sharedKeys!;
      const masked = maskedUpload({ update, weight, params: secure.params, client: clients[k]!, sharedKeys });
      const aligned = new Uint8Array(masked.buffer, masked.byteOffset, masked.byteLength);
      // The third body starts at an odd byte, as a slice of a larger read may: read as uint32s from a copy.
      const body = k === 2 ? copyAt(1, aligned) : aligned;
      const resultHeader = encodeTrainResultHeader(trainResult(examples[k]!));
      return acceptUpdate(hub, l.site, { ...leaseOf(l), body, resultHeader, isMasked: true });
    };
    await send(db, 0);
    // A second portal process: its own pool and its own memory; the two share only the database.
    const other = connectDatabase(testDb.url());
    try {
      const hub = other.db;
      await send(hub, 1);
      await send(hub, 2);
      // The uploads are in: the closer gathered both processes' masked sums and asks the survivors to unmask.
      const unmasking = await vi.waitFor(
        async () => {
          const states = await Promise.all(leases.map((l) => secAggState(hub, l.site, leaseOf(l))));
          expect(states.map((s) => s.phase)).toEqual(["unmasking", "unmasking", "unmasking"]);
          return states;
        },
        { timeout: 10_000 },
      );
      expect(unmasking[0]!.request).toEqual({ survivors: [...leases.map((l) => l.site.id)].sort(), dropped: [] });
      for (const [k, l] of leases.entries())
        await answerUnmask(k === 0 ? db : hub, l.site, {
          ...leaseOf(l),
          ...unmaskAnswer(clients[k]!, unmasking[k]!.request!),
        });
      await vi.waitFor(async () => expect((await rounds(hub, jobId))[0]).toMatchObject({ status: "closed" }), {
        timeout: 10_000,
      });
      const [round] = await rounds(hub, jobId);
      const start = await versionWeights(hub, round!.globalVersionId);
      const next = await versionWeights(hub, round!.resultVersionId!);
      const expected = (0.5 * 50 - 0.5 * 25 + 0.25 * 25) / 100;
      const bound = quantisationBound(secure.params, 3, 100 / secure.weightDivisor) + 1e-6;
      next.tensors.forEach((t, ti) =>
        t.data.forEach((x, i) =>
          expect(Math.abs(x - start.tensors[ti]!.data[i]! - expected)).toBeLessThanOrEqual(bound),
        ),
      );
      // Nothing of the round stays: partial sums, boxes and shares go when it closes.
      expect(await hub.select().from(roundPartials)).toEqual([]);
      expect(await hub.select().from(secaggSites)).toEqual([]);
    } finally {
      await closeRoundExchange(other.db);
      await closeChangeFeed(other.db);
      await other.pool.end();
    }
  });

  test("out-of-turn and malformed secure-aggregation calls are refused with a message and change nothing", async () => {
    const db = testDb.db();
    await startJob(db, {
      hyperparameters: { rounds: 1, localEpochs: 1, batchSize: 8, learningRate: 0.1, optimizer: "sgd" },
      participation: { minSites: 3, roundDeadlineSeconds: 600 },
      secureAggregation: true,
    });
    const [a, b] = await Promise.all(sites.slice(0, 2).map((s) => leaseFor(db, s)));
    const refused = async (call: () => Promise<unknown>, code: string, message: string) => {
      const before = await snapshotTables(db);
      await expect(call()).rejects.toMatchObject({ code, message });
      expect(await snapshotTables(db)).toEqual(before);
    };
    const key = b64(new Uint8Array(32).fill(9));
    // A plain tensor file for a secure job: the hub takes only the masked update.
    await refused(
      () =>
        upload(
          db,
          a!,
          withValue(a!.global, () => 0.1),
          50,
        ),
      "BAD_REQUEST",
      "Update refused: this job uses secure aggregation, so the hub accepts only the masked update. Nothing was changed.",
    );
    await refused(
      () => advertiseKeys(db, a!.site, { ...leaseOf(a!), encryptionKey: b64(new Uint8Array(31)), maskingKey: key }),
      "BAD_REQUEST",
      "The encryption key must be 32 bytes. Nothing was changed.",
    );
    await advertiseKeys(db, a!.site, { ...leaseOf(a!), encryptionKey: key, maskingKey: key });
    await refused(
      () => advertiseKeys(db, a!.site, { ...leaseOf(a!), encryptionKey: key, maskingKey: key }),
      "CONFLICT",
      "This site already advertised keys for the round. Nothing was changed.",
    );
    // Shares before the roster closed (site c has not advertised yet).
    await refused(
      () => shareKeys(db, a!.site, { ...leaseOf(a!), boxes: [] }),
      "CONFLICT",
      "This round is not collecting key shares now. Nothing was changed.",
    );
    // Another site's lease, or none, names no task of this site.
    await refused(
      () => secAggState(db, b!.site, leaseOf(a!)),
      "NOT_FOUND",
      `No secure-aggregation task ${a!.task.taskId} belongs to site ${b!.site.code} under this lease.`,
    );
    // Unmasking answers before any request.
    await refused(
      () => answerUnmask(db, a!.site, { ...leaseOf(a!), selfMaskShares: [], maskingKeyShares: [] }),
      "CONFLICT",
      "This round is not unmasking now. Nothing was changed.",
    );
  });
});
