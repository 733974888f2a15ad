import { releaseBuffer } from "./release-buffer";

/**
 * Reading a byte stream whole, for both ends of the binary routes: the hub reading an update, a
 * site worker reading a model's weights. It stops as soon as the stream passes what it may be,
 * rather than after buffering it all, and a stream that declares its length (content-length) is
 * read straight into one buffer of that size: no chunk list and no copy at the end, so it costs
 * its own size in memory once (`Response.arrayBuffer()` holds the chunks and their copy at once:
 * for 200 MB of weights, 650 MB above the process's start against 270 MB). A chunk the stream
 * handed over is released once copied (release-buffer.ts): the stream's reader is its only holder.
 */

/** Thrown when a stream is longer than it may be: `why` says which bound it broke. */
export class StreamTooLong extends Error {
  override name = "StreamTooLong";
  constructor(
    readonly why: "declared-over-limit" | "past-declared" | "past-limit",
    readonly bytes: number,
  ) {
    super(
      why === "declared-over-limit"
        ? `the body declares ${bytes} bytes, over the limit`
        : why === "past-declared"
          ? `the body is longer than the ${bytes} bytes its content-length declared`
          : `the body passed the ${bytes}-byte limit`,
    );
  }
}

/**
 * The stream's bytes, at most `limit` of them. `declared` (a content-length; 0 or NaN when none)
 * above `limit` is refused before a byte is read; otherwise the body is read into one buffer of
 * that size (from `allocate`, when given) and may not pass it. A refused stream is cancelled, so
 * the sender's transfer stops.
 */
export async function readStream(
  body: ReadableStream<Uint8Array> | null,
  {
    declared,
    limit,
    allocate = (size) => Buffer.allocUnsafeSlow(size),
  }: { declared: number; limit: number; allocate?: (size: number) => Uint8Array },
): Promise<Uint8Array> {
  const hasDeclared = Number.isSafeInteger(declared) && declared > 0;
  if (hasDeclared && declared > limit) {
    // Not read at all, and stopped: the sender's transfer ends here too.
    await body?.cancel().catch(() => undefined);
    throw new StreamTooLong("declared-over-limit", declared);
  }
  if (!body) return new Uint8Array(0);
  // Not zero-filled first (megabytes per body): only the `total` bytes read are ever returned.
  const into = hasDeclared ? allocate(declared) : null;
  const cap = into ? declared : limit;
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (total + value.byteLength > cap) throw new StreamTooLong(into ? "past-declared" : "past-limit", cap);
      const at = total;
      total += value.byteLength;
      if (!into) chunks.push(value);
      else {
        into.set(value, at);
        // Read no more once copied (and empty from here on).
        releaseBuffer(value);
      }
    }
  } catch (error) {
    // Stops the transfer of whatever the sender still sends once the body is refused.
    await reader.cancel().catch(() => undefined);
    throw error;
  } finally {
    reader.releaseLock();
  }
  if (into) return total === declared ? into : into.subarray(0, total);
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
    releaseBuffer(chunk);
  }
  return out;
}
