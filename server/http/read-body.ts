import { getHubConfig } from "@/server/config";
import { AppError } from "@/server/errors";

/**
 * Reads a binary request body, refusing it as soon as it passes the limit rather than after buffering it all.
 * The default limit, FLIP_MAX_UPDATE_BYTES (256 MiB), is above any model the registry accepts (50 M float32
 * parameters is 200 MB); callers that know the size to expect pass a tighter one and say why in `reason`.
 * A body that declares its length is read straight into one buffer of that size (no chunk list, no
 * copy at the end), so an upload costs its own size in memory once.
 */
export async function readBody(
  request: Request,
  limit = getHubConfig().FLIP_MAX_UPDATE_BYTES,
  reason = "",
): Promise<Uint8Array> {
  const why = reason ? ` (${reason})` : "";
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > limit)
    throw new AppError(
      "BAD_REQUEST",
      `The upload is ${declared} bytes; the limit is ${limit}${why}. Nothing was changed.`,
    );
  if (!request.body) return new Uint8Array(0);
  // Past the declared length the body is refused like one past the limit: it is not what was announced.
  // Not zero-filled first (megabytes per upload): only the `total` bytes read are ever returned.
  const into = declared > 0 ? Buffer.allocUnsafeSlow(declared) : null;
  const cap = into ? declared : limit;
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (total + value.byteLength > cap)
        throw new AppError(
          "BAD_REQUEST",
          into
            ? `The upload is longer than the ${declared} bytes its content-length declared. Nothing was changed.`
            : `The upload passed the ${limit}-byte limit${why}. Nothing was changed.`,
        );
      if (into) into.set(value, total);
      else chunks.push(value);
      total += value.byteLength;
    }
  } catch (error) {
    // Stops the transfer of whatever the client still sends once the upload is refused.
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
  }
  return out;
}
