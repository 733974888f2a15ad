import { describe, expect, it } from "vitest";
import { withoutCompressionWhenSmall } from "./sized-response";

const streamOf = (text: string) =>
  new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(text));
      controller.close();
    },
  });

const answer = (body: string, headers: Record<string, string> = {}) =>
  new Response(streamOf(body), {
    status: 207,
    headers: { "content-type": "application/json", "x-request-id": "r-1", "set-cookie": "a=b", ...headers },
  });

describe("compressing tRPC answers", () => {
  it("marks a small answer no-transform, keeping its status, headers, body and any cache-control", async () => {
    const body = JSON.stringify({ result: { data: { json: { siteCode: "Ü1" } } } });
    const small = await withoutCompressionWhenSmall(answer(body));
    expect(small.status).toBe(207);
    expect(small.headers.get("x-request-id")).toBe("r-1");
    expect(small.headers.get("set-cookie")).toBe("a=b");
    expect(small.headers.get("cache-control")).toBe("no-transform");
    expect(await small.text()).toBe(body);

    const noStore = await withoutCompressionWhenSmall(answer(body, { "cache-control": "no-store" }));
    expect(noStore.headers.get("cache-control")).toBe("no-store, no-transform");
  });

  it("leaves a large answer to be compressed", async () => {
    const body = JSON.stringify({ result: { data: { json: "x".repeat(2000) } } });
    const large = await withoutCompressionWhenSmall(answer(body));
    expect(large.headers.get("cache-control")).toBeNull();
    expect(await large.text()).toBe(body);
  });

  it("leaves alone what is not a JSON document", async () => {
    const stream = new Response(streamOf("{}\n{}\n"), { headers: { "content-type": "application/jsonl" } });
    expect(await withoutCompressionWhenSmall(stream)).toBe(stream);
  });
});
