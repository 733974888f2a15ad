import { describe, expect, test } from "vitest";
import { readStream, StreamTooLong } from "./read-stream";

/** A stream of the given chunks; `cancelled` tells whether the reader stopped it, `handedOver` holds the chunks it gave. */
function streamOf(...chunks: number[][]) {
  const state = { cancelled: false, handedOver: [] as Uint8Array[] };
  let i = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < chunks.length) {
        const chunk = new Uint8Array(chunks[i++]!);
        state.handedOver.push(chunk);
        controller.enqueue(chunk);
      } else controller.close();
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

describe("reading a byte stream whole", () => {
  test("a declared length is read into one buffer of that size, not chunks joined at the end", async () => {
    const { stream } = streamOf([1, 2], [3], [4, 5, 6]);
    const bytes = await readStream(stream, { declared: 6, limit: 100 });
    expect([...bytes]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(bytes.buffer.byteLength).toBe(6);
  });

  test("without a declared length the chunks are joined; a shorter body than declared gives what came", async () => {
    expect([...(await readStream(streamOf([1, 2], [3]).stream, { declared: Number.NaN, limit: 100 }))]).toEqual([
      1, 2, 3,
    ]);
    expect([...(await readStream(streamOf([1, 2]).stream, { declared: 5, limit: 100 }))]).toEqual([1, 2]);
    expect([...(await readStream(null, { declared: 0, limit: 100 }))]).toEqual([]);
  });

  test("the chunks handed over are freed once copied, but a lone chunk given back as the body is not", async () => {
    const declared = streamOf([1, 2], [3], [4, 5, 6]);
    expect([...(await readStream(declared.stream, { declared: 6, limit: 100 }))]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(declared.state.handedOver.map((chunk) => chunk.byteLength)).toEqual([0, 0, 0]);

    const joined = streamOf([1, 2], [3]);
    expect([...(await readStream(joined.stream, { declared: Number.NaN, limit: 100 }))]).toEqual([1, 2, 3]);
    expect(joined.state.handedOver.map((chunk) => chunk.byteLength)).toEqual([0, 0]);

    const lone = streamOf([7, 8, 9]);
    const body = await readStream(lone.stream, { declared: Number.NaN, limit: 100 });
    expect(body).toBe(lone.state.handedOver[0]);
    expect([...body]).toEqual([7, 8, 9]);
  });

  test.each([
    ["a declared length over the limit, before a byte is read", 50, [[1]], "declared-over-limit", 50],
    [
      "more bytes than declared",
      3,
      [
        [1, 2],
        [3, 4],
      ],
      "past-declared",
      3,
    ],
    ["past the limit without a declared length", 0, [[1, 2], [3, 4], [5]], "past-limit", 4],
  ] as const)("refuses %s, and stops the stream", async (_, declared, chunks, why, bytes) => {
    const { stream, state } = streamOf(...chunks.map((c) => [...c]));
    const refused = await readStream(stream, { declared, limit: 4 }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(StreamTooLong);
    expect(refused).toMatchObject({ why, bytes });
    expect(state.cancelled).toBe(true);
  });
});
