import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { snapshotTables } from "@/server/lib/test-support/fixtures";
import { startHubServer } from "@/server/lib/test-support/hub-server";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { leaseNextTask } from "@/server/tasks/tasks.service";
import { makeSiteWithToken, queueInventory } from "@/workers/test-support/hub-fixture";
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from "@/protocol/contract";
import { LEASE_HEADER, updatePath, weightsPath } from "@/protocol/training";

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
    // A declared size over the limit is refused before a byte of the body is read.
    const before = await snapshotTables(testDb.db());
    const huge = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(
        `${hub.url}${updatePath(taskId)}`,
        { method: "POST", headers: headers({ [LEASE_HEADER]: taskId, "content-length": String(2 ** 40) }) },
        (response) => {
          let body = "";
          response
            .setEncoding("utf8")
            .on("data", (chunk: string) => (body += chunk))
            .on("end", () => resolve({ status: response.statusCode!, body }));
        },
      );
      request.on("error", reject);
      request.write(new Uint8Array(4));
    });
    expect(huge.status).toBe(400);
    expect(JSON.parse(huge.body).error.message).toMatch(
      /^The upload is 1099511627776 bytes; the limit is \d+\. Nothing was changed\.$/,
    );
    expect(await snapshotTables(testDb.db())).toEqual(before);

    await queueInventory(testDb.db(), site);
    const task = (await leaseNextTask(testDb.db(), site))!;
    expect(await refusal(weightsPath(task.taskId), { headers: headers({ [LEASE_HEADER]: task.leaseId }) })).toEqual({
      status: 400,
      body: { error: { code: "BAD_REQUEST", message: "A site_inventory task has no model weights." } },
    });
  });
});
