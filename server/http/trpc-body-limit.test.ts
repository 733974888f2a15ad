import { describe, expect, test } from "vitest";
import { limitTrpcBody } from "./trpc-body-limit";

const MiB = 1024 * 1024;

/** A request body that never ends, counting how much of it the hub pulled. */
function endless(url: string, headers: Record<string, string> = {}) {
  const pulled = { bytes: 0, cancelled: false };
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled.bytes += 64 * 1024;
      controller.enqueue(new Uint8Array(64 * 1024));
    },
    cancel() {
      pulled.cancelled = true;
    },
  });
  const request = new Request(url, { method: "POST", body, headers, duplex: "half" } as RequestInit);
  return { request, pulled };
}

async function refusal(result: Request | Response) {
  expect(result).toBeInstanceOf(Response);
  const response = result as Response;
  return { status: response.status, body: (await response.json()) as unknown };
}

describe("tRPC request bodies", () => {
  test("a body that never ends is read up to the limit and refused with 413, and the transfer is stopped", async () => {
    const { request, pulled } = endless("http://hub/api/trpc/projects.create");
    expect(await refusal(await limitTrpcBody(request))).toEqual({
      status: 413,
      body: {
        error: {
          code: "PAYLOAD_TOO_LARGE",
          message: `The upload passed the ${MiB}-byte limit (FLIP_MAX_TRPC_BODY_BYTES). Nothing was changed.`,
        },
      },
    });
    expect(pulled.bytes).toBeLessThanOrEqual(MiB + 3 * 64 * 1024);
    expect(pulled.cancelled).toBe(true);
  });

  test("a declared length over the limit is refused before a byte is read, also inside a batch", async () => {
    const { request, pulled } = endless("http://hub/api/trpc/projects.list,jobs.byId?batch=1", {
      "content-length": String(2 * MiB),
    });
    expect(await refusal(await limitTrpcBody(request))).toMatchObject({
      status: 413,
      body: {
        error: {
          message: `The upload is ${2 * MiB} bytes; the limit is ${MiB} (FLIP_MAX_TRPC_BODY_BYTES). Nothing was changed.`,
        },
      },
    });
    expect(pulled.bytes).toBeLessThanOrEqual(64 * 1024);
  });

  test("a model upload may carry its weight files; the body reaches tRPC unchanged", async () => {
    const bytes = new Uint8Array(5 * MiB).map((_, i) => i % 251);
    const request = new Request("http://hub/api/trpc/models.importVersion", {
      method: "POST",
      body: bytes,
      headers: { "content-type": "application/json" },
    });
    const passed = await limitTrpcBody(request);
    expect(passed).toBeInstanceOf(Request);
    expect((passed as Request).headers.get("content-type")).toBe("application/json");
    expect(new Uint8Array(await (passed as Request).arrayBuffer())).toEqual(bytes);
  });
});
