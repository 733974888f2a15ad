import { describe, expect, it } from "vitest";
import { withContentLength } from "./sized-response";

const streamOf = (text: string) =>
  new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(text));
      controller.close();
    },
  });

describe("a tRPC answer with its length", () => {
  it("keeps the status, headers and body, and says how long the body is", async () => {
    const body = JSON.stringify({ result: { data: { json: { siteCode: "Ü1" } } } });
    const sized = await withContentLength(
      new Response(streamOf(body), {
        status: 207,
        headers: { "content-type": "application/json", "x-request-id": "r-1", "set-cookie": "a=b" },
      }),
    );
    expect(sized.status).toBe(207);
    expect(sized.headers.get("x-request-id")).toBe("r-1");
    expect(sized.headers.get("set-cookie")).toBe("a=b");
    expect(sized.headers.get("content-length")).toBe(String(new TextEncoder().encode(body).byteLength));
    expect(await sized.text()).toBe(body);
  });

  it("leaves alone what is not a JSON document or already has a length", async () => {
    const stream = new Response(streamOf("{}\n{}\n"), { headers: { "content-type": "application/jsonl" } });
    expect(await withContentLength(stream)).toBe(stream);
    const sized = new Response("{}", { headers: { "content-type": "application/json", "content-length": "2" } });
    expect(await withContentLength(sized)).toBe(sized);
  });
});
