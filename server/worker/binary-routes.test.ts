import { request as httpRequest } from "node:http";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { siteTasks } from "@/db/schema";
import { createTrainJob } from "@/server/jobs/jobs.service";
import { makeUser, snapshotTables, viewerOf } from "@/server/lib/test-support/fixtures";
import { startHubServer } from "@/server/lib/test-support/hub-server";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import {
  makeTrainingProject,
  RELEASE_STATEMENT,
  RELEASED_METRICS,
  RELEASED_SPLIT,
  releaseApprovedCount,
  trainJobInput,
} from "@/server/lib/test-support/training-fixtures";
import { createCaller } from "@/server/root";
import { leaseNextTask } from "@/server/tasks/leasing";
import { makeSiteWithToken, queueInventory } from "@/workers/test-support/hub-fixture";
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from "@/protocol/contract";
import { decodeTensors, encodeTensors } from "@/protocol/tensor-codec";
import {
  encodeTrainResultHeader,
  LEASE_HEADER,
  TRAIN_RESULT_HEADER,
  updatePath,
  weightsPath,
  type TrainResult,
} from "@/protocol/training";

/** The binary worker routes refuse what they must before reading a body or touching a row. */
const testDb = useTestDatabase();
let hub: { url: string; close: () => Promise<void> };
let token: string;
let site: { id: string; code: string };

beforeAll(async () => {
  hub = await startHubServer(testDb.db());
  ({ site, token } = await makeSiteWithToken(testDb.db(), "BIN", { skipFirstInventory: true }));
  // A token's first use is recorded (then at most once a minute): bookkeeping, not what is under test.
  await fetch(`${hub.url}${weightsPath("00000000-0000-4000-8000-000000000000")}`, { headers: headers() });
});
afterAll(async () => hub?.close());

const headers = (extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${token}`,
  [PROTOCOL_HEADER]: String(PROTOCOL_VERSION),
  ...extra,
});

async function refusal(path: string, init: RequestInit) {
  const before = await snapshotTables(testDb.db());
  const response = await fetch(`${hub.url}${path}`, init);
  expect(await snapshotTables(testDb.db())).toEqual(before);
  return { status: response.status, body: (await response.json()) as { error: { code: string; message: string } } };
}

/**
 * Declares a body of `declared` bytes, sends 4 of them and waits for the hub's answer: a hub that
 * reads the body before checking the call never answers, which this reports after 10 s.
 */
async function postWithoutFinishing(path: string, headers: Record<string, string>, declared?: number) {
  return new Promise<{ status: number; body: unknown } | "no answer before the body was complete">(
    (resolve, reject) => {
      const request = httpRequest(
        `${hub.url}${path}`,
        {
          method: "POST",
          headers: declared === undefined ? headers : { ...headers, "content-length": String(declared) },
        },
        (response) => {
          let body = "";
          response
            .setEncoding("utf8")
            .on("data", (chunk: string) => (body += chunk))
            .on("end", () => {
              clearTimeout(timer);
              request.destroy();
              resolve({ status: response.statusCode!, body: JSON.parse(body) });
            });
        },
      );
      const timer = setTimeout(() => {
        request.destroy();
        resolve("no answer before the body was complete");
      }, 10_000);
      request.on("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      request.write(new Uint8Array(4));
      // Without a declared length the body is chunked: 1 MiB more than any model of the test, in pieces.
      if (declared === undefined) for (let i = 0; i < 16; i++) request.write(new Uint8Array(64 * 1024));
    },
  );
}

describe("binary worker routes", () => {
  test("refuse a missing token, a malformed lease, an oversized upload and a task without weights, changing nothing", async () => {
    const taskId = "00000000-0000-4000-8000-000000000001";
    expect(await refusal(weightsPath(taskId), { headers: { [PROTOCOL_HEADER]: String(PROTOCOL_VERSION) } })).toEqual({
      status: 401,
      body: { error: { code: "UNAUTHORIZED", message: "Send the site token as 'Authorization: Bearer <token>'." } },
    });
    expect(await refusal(weightsPath(taskId), { headers: headers({ [LEASE_HEADER]: "not-a-uuid" }) })).toMatchObject({
      status: 400,
      body: {
        error: {
          code: "BAD_REQUEST",
          message: `Send the task id in the path and your lease id in the ${LEASE_HEADER} header, both as UUIDs.`,
        },
      },
    });
    // A site token and a made-up task: refused before a byte of the declared 32 MiB body is read.
    const before = await snapshotTables(testDb.db());
    const stranger = await postWithoutFinishing(updatePath(taskId), headers({ [LEASE_HEADER]: taskId }), 32 * 2 ** 20);
    expect(stranger).toEqual({
      status: 404,
      body: { error: { code: "NOT_FOUND", message: `No task ${taskId} belongs to site BIN.` } },
    });
    expect(await snapshotTables(testDb.db())).toEqual(before);

    await queueInventory(testDb.db(), site);
    const task = (await leaseNextTask(testDb.db(), site))!;
    expect(await refusal(weightsPath(task.taskId), { headers: headers({ [LEASE_HEADER]: task.leaseId }) })).toEqual({
      status: 400,
      body: { error: { code: "BAD_REQUEST", message: "A site_inventory task has no model weights." } },
    });
  });
});

/**
 * What a site sends in a round is re-checked by the hub at the real routes: a site's weight is
 * bounded by the approved count it released, and a train task completes only with its update.
 */
describe("a train task at the worker routes", () => {
  let training: { projectId: string; versionId: string };
  const fleet: { site: { id: string; code: string }; token: string }[] = [];

  beforeAll(async () => {
    const db = testDb.db();
    const researcher = await viewerOf(db, (await makeUser(db, [{ role: "researcher" }])).id);
    for (const code of ["BW1", "BW2"]) {
      const { site, token: siteToken } = await makeSiteWithToken(db, code, { skipFirstInventory: true });
      fleet.push({ site, token: siteToken });
      await fetch(`${hub.url}${weightsPath("00000000-0000-4000-8000-000000000000")}`, {
        headers: { ...headers(), authorization: `Bearer ${siteToken}` },
      });
    }
    const approvers = [];
    for (const { site } of fleet)
      approvers.push({
        approver: await viewerOf(db, (await makeUser(db, [{ role: "approver", siteId: site.id }])).id),
        siteId: site.id,
      });
    training = await makeTrainingProject(db, researcher, approvers, { releasedCount: null });
    // Each site released its own figure; BW1's bound must not depend on BW2's.
    await releaseApprovedCount(db, researcher, {
      projectId: training.projectId,
      siteIds: [fleet[0]!.site.id],
      total: 120,
    });
    await releaseApprovedCount(db, researcher, {
      projectId: training.projectId,
      siteIds: [fleet[1]!.site.id],
      total: 4560,
    });
    await createTrainJob(
      db,
      researcher,
      trainJobInput(
        training,
        fleet.map((f) => f.site.id),
      ),
    );
  });

  const asSite = (i: number, extra: Record<string, string> = {}) => ({
    ...headers(extra),
    authorization: `Bearer ${fleet[i]!.token}`,
  });

  const leased = new Map<number, Awaited<ReturnType<typeof leaseNextTask>>>();
  /** Site i's train task, leased on first use: several tests send to the same task. */
  async function leasedTrainTask(i: number) {
    if (!leased.has(i)) leased.set(i, await leaseNextTask(testDb.db(), fleet[i]!.site));
    const task = leased.get(i)!;
    expect(task.kind).toBe("train");
    const response = await fetch(`${hub.url}${weightsPath(task.taskId)}`, {
      headers: asSite(i, { [LEASE_HEADER]: task.leaseId }),
    });
    const global = decodeTensors(new Uint8Array(await response.arrayBuffer())).tensors;
    // A zero update, as the tensor file a site would upload.
    const zero = encodeTensors(global.map((t) => ({ ...t, data: new Float32Array(t.data.length) })));
    return { task, zero: zero as Uint8Array<ArrayBuffer> };
  }

  const trainResult = (exampleCount: number): TrainResult => ({
    exampleCount,
    ...RELEASE_STATEMENT,
    globalValidation: { ...RELEASED_METRICS, ...RELEASED_SPLIT },
    localValidation: { loss: 0.5, accuracy: 0.72, auc: 0.77, sensitivity: 0.55, specificity: 0.8 },
    trainLoss: 0.5,
    epochs: 1,
    backend: "cpu",
    trainingMs: 5,
  });

  test("an update weighted above the approved count the site released is refused with 400, naming that count, and changes nothing", async () => {
    const { task, zero } = await leasedTrainTask(0);
    const post = (exampleCount: number) =>
      refusal(updatePath(task.taskId), {
        method: "POST",
        headers: asSite(0, {
          [LEASE_HEADER]: task.leaseId,
          [TRAIN_RESULT_HEADER]: encodeTrainResultHeader(trainResult(exampleCount)),
          "content-type": "application/octet-stream",
        }),
        body: zero,
      });
    const today = new Date().toISOString().slice(0, 10);
    // Counts leave a site rounded (to 5 here), so the claims above the bound are rounded figures too.
    for (const exampleCount of [2147483645, 125]) {
      const { status, body } = await post(exampleCount);
      expect(status).toBe(400);
      expect(body.error).toEqual({
        code: "BAD_REQUEST",
        message: `Update refused: the site reported ${exampleCount} training examples, more than the 120 people in the approved cohort count BW1 released on ${today}; a site's weight in training is bounded by the count it released. Nothing was changed.`,
      });
      expect(body.error.message).not.toContain("4560");
    }
    // At the bound the same update is accepted.
    const accepted = await fetch(`${hub.url}${updatePath(task.taskId)}`, {
      method: "POST",
      headers: asSite(0, {
        [LEASE_HEADER]: task.leaseId,
        [TRAIN_RESULT_HEADER]: encodeTrainResultHeader(trainResult(120)),
      }),
      body: zero,
    });
    expect(accepted.status).toBe(200);
  });

  test("an update larger than the round's model is refused as soon as it passes that size, declared or chunked, changing nothing", async () => {
    const { task, zero } = await leasedTrainTask(1);
    const post = { [LEASE_HEADER]: task.leaseId, [TRAIN_RESULT_HEADER]: encodeTrainResultHeader(trainResult(100)) };
    // The chunked upload below sends 1 MiB; the test model is far smaller.
    expect(zero.byteLength).toBeLessThan(512 * 1024);
    const limit = zero.byteLength + 64 * 1024;
    const reason = `the round's global model is ${zero.byteLength} bytes as a tensor file, and an update has its tensors`;
    const before = await snapshotTables(testDb.db());
    expect(await postWithoutFinishing(updatePath(task.taskId), asSite(1, post), 32 * 2 ** 20)).toEqual({
      status: 400,
      body: {
        error: {
          code: "BAD_REQUEST",
          message: `The upload is ${32 * 2 ** 20} bytes; the limit is ${limit} (${reason}). Nothing was changed.`,
        },
      },
    });
    expect(await postWithoutFinishing(updatePath(task.taskId), asSite(1, post))).toEqual({
      status: 400,
      body: {
        error: {
          code: "BAD_REQUEST",
          message: `The upload passed the ${limit}-byte limit (${reason}). Nothing was changed.`,
        },
      },
    });
    expect(await snapshotTables(testDb.db())).toEqual(before);
  });

  test("worker.complete is refused for a train task, which completes only with its update; the task stays leased", async () => {
    const db = testDb.db();
    const { task } = await leasedTrainTask(1);
    const caller = createCaller({ db, viewer: null, ip: "203.0.113.9", headers: new Headers(asSite(1)) });
    const before = await snapshotTables(db);
    await expect(
      caller.worker.complete({ taskId: task.taskId, leaseId: task.leaseId, result: trainResult(100) }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: `A train task completes only with its model update: POST it to ${updatePath(task.taskId)} with your lease. Nothing was changed.`,
    });
    expect(await snapshotTables(db)).toEqual(before);
    const [row] = await db.select().from(siteTasks).where(eq(siteTasks.id, task.taskId));
    expect(row).toMatchObject({ status: "leased", leaseId: task.leaseId, result: null });
  });
});
