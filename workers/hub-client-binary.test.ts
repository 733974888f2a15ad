import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createHubClient, HubError, MAX_WEIGHTS_BYTES } from "./hub-client";
import { createLogger } from "./log";
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from "@/protocol/contract";
import { decodeTensors, encodeTensors } from "@/protocol/tensor-codec";
import {
  decodeTrainResultHeader,
  LEASE_HEADER,
  SHA256_HEADER,
  TRAIN_RESULT_HEADER,
  type TrainResult,
} from "@/protocol/training";
import { asReleased } from "./test-support/released";

/** The binary weight and update calls against a stand-in hub: headers, bodies and how HTTP errors map to HubError kinds. */
const TASK = "00000000-0000-4000-8000-000000000001";
const LEASE = { taskId: TASK, leaseId: "00000000-0000-4000-8000-000000000002" };
const WEIGHTS = [{ name: "dense/kernel", shape: [2, 1], data: new Float32Array([0.5, -1]) }];
let answer: (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;
let seen: { method?: string; url?: string; headers: IncomingMessage["headers"]; body: Buffer } | undefined;
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    seen = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) };
    answer(req, seen.body, res);
  });
});
const hubError = (status: number, code: string) => (_: IncomingMessage, __: Buffer, res: ServerResponse) =>
  res
    .writeHead(status, { "content-type": "application/json" })
    .end(JSON.stringify({ error: { code, message: `hub says ${code}` } }));
let client: ReturnType<typeof createHubClient>;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  client = createHubClient({
    trpcUrl: `http://127.0.0.1:${port}/api/trpc`,
    token: "flip_st_test",
    log: createLogger({}, { write: () => undefined }),
  });
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const result = asReleased<TrainResult>({
  exampleCount: 40,
  globalValidation: {
    examples: "suppressed",
    loss: null,
    accuracy: null,
    auc: null,
    sensitivity: null,
    specificity: null,
  },
  localValidation: { loss: null, accuracy: null, auc: null, sensitivity: null, specificity: null },
  trainLoss: 0.6,
  epochs: 1,
  backend: "wasm",
  trainingMs: 12,
});

describe("binary hub calls", () => {
  test("download sends the token, protocol and lease headers and returns the decoded weights with their hash", async () => {
    const file = encodeTensors(WEIGHTS);
    answer = (_, __, res) => res.writeHead(200, { "content-type": "application/octet-stream" }).end(file);
    const downloaded = await client.downloadWeights(LEASE);
    expect(seen).toMatchObject({ method: "GET", url: `/api/worker/tasks/${TASK}/weights` });
    expect(seen?.headers).toMatchObject({
      authorization: "Bearer flip_st_test",
      [PROTOCOL_HEADER]: String(PROTOCOL_VERSION),
      [LEASE_HEADER]: LEASE.leaseId,
    });
    expect(downloaded.tensors).toEqual(WEIGHTS);
    expect(downloaded.sha256).toBe(createHash("sha256").update(file).digest("hex"));
  });

  test("upload posts the update as a tensor file with the result in its header", async () => {
    answer = (_, __, res) =>
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ accepted: true, round: 2, norm: 1.1 }));
    expect(await client.uploadUpdate({ ...LEASE, result, update: WEIGHTS })).toEqual({
      accepted: true,
      round: 2,
      norm: 1.1,
    });
    expect(seen).toMatchObject({ method: "POST", url: `/api/worker/tasks/${TASK}/update` });
    expect(seen?.headers["content-type"]).toBe("application/octet-stream");
    // Declared, so the hub can refuse an oversized body before reading it and read this one into one buffer.
    expect(seen?.headers["content-length"]).toBe(String(seen!.body.byteLength));
    expect(decodeTrainResultHeader(String(seen?.headers[TRAIN_RESULT_HEADER]))).toEqual(result);
    expect(decodeTensors(new Uint8Array(seen!.body)).tensors).toEqual(WEIGHTS);
  });

  test.each([
    [409, "CONFLICT", "conflict"],
    [404, "NOT_FOUND", "not_found"],
    [401, "UNAUTHORIZED", "unauthorized"],
    [400, "BAD_REQUEST", "rejected"],
    [412, "PRECONDITION_FAILED", "protocol_mismatch"],
    [429, "TOO_MANY_REQUESTS", "busy"],
    [503, "INTERNAL_SERVER_ERROR", "unreachable"],
  ])("HTTP %i %s is a HubError of kind %s", async (status, code, kind) => {
    answer = hubError(status, code);
    await expect(client.uploadUpdate({ ...LEASE, result, update: WEIGHTS })).rejects.toMatchObject({ kind });
    await expect(client.downloadWeights(LEASE)).rejects.toBeInstanceOf(HubError);
  });

  test("a weights file that does not hash to the content address the hub names is refused; one that does is decoded", async () => {
    const file = encodeTensors(WEIGHTS);
    const address = createHash("sha256").update(file).digest("hex");
    answer = (_, __, res) =>
      res.writeHead(200, { "content-type": "application/octet-stream", [SHA256_HEADER]: address }).end(file);
    expect(await client.downloadWeights(LEASE)).toEqual({ tensors: WEIGHTS, sha256: address });
    const corrupted = file.slice();
    corrupted[corrupted.length - 1] = (corrupted.at(-1) ?? 0) ^ 0xff;
    answer = (_, __, res) =>
      res.writeHead(200, { "content-type": "application/octet-stream", [SHA256_HEADER]: address }).end(corrupted);
    await expect(client.downloadWeights(LEASE)).rejects.toMatchObject({
      kind: "rejected",
      message: expect.stringContaining("content hash mismatch"),
    });
  });

  test("a corrupted weights file is refused", async () => {
    const file = encodeTensors(WEIGHTS);
    file[file.length - 1] = (file.at(-1) ?? 0) ^ 0xff;
    answer = (_, __, res) => res.writeHead(200, { "content-type": "application/octet-stream" }).end(file);
    await expect(client.downloadWeights(LEASE)).rejects.toMatchObject({
      kind: "rejected",
      message: expect.stringContaining("content hash mismatch"),
    });
  });

  test("a hub that declares weights larger than any model the registry accepts is refused before a byte is read", async () => {
    let sent = 0;
    answer = (_, __, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(8 * 2 ** 30) });
      // It would go on sending its 8 GiB; the worker stops it.
      const more = () => {
        while (res.write(Buffer.alloc(2 ** 20))) sent += 2 ** 20;
      };
      res.on("drain", more);
      more();
    };
    await expect(client.downloadWeights(LEASE)).rejects.toMatchObject({
      kind: "rejected",
      message: `the hub's weights were refused: the body declares ${8 * 2 ** 30} bytes, over the limit (a model of the registry's 50,000,000-parameter limit is at most ${MAX_WEIGHTS_BYTES} bytes)`,
    });
    expect(sent).toBeLessThan(64 * 2 ** 20);
  });

  test("a hub that streams weights without a length is refused once they pass the largest model, as they arrive", async () => {
    let sent = 0;
    let closed = false;
    answer = (_, __, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" }); // chunked: no length declared
      const chunk = Buffer.alloc(4 * 2 ** 20);
      const more = () => {
        while (!closed && sent < 2 * MAX_WEIGHTS_BYTES && res.write(chunk)) sent += chunk.byteLength;
      };
      res.on("drain", more);
      res.on("close", () => (closed = true));
      more();
    };
    await expect(client.downloadWeights(LEASE)).rejects.toMatchObject({
      kind: "rejected",
      message: expect.stringContaining(`the body passed the ${MAX_WEIGHTS_BYTES}-byte limit`),
    });
    // Refused part-way: the hub's transfer was stopped, not read to its end.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(closed).toBe(true);
    expect(sent).toBeLessThan(2 * MAX_WEIGHTS_BYTES);
  });
});
