import { getHubConfig } from "@/server/config";
import { AppError } from "@/server/errors";

/**
 * Reads a binary request body, refusing it as soon as it passes the limit rather than after buffering it all.
 * The default limit, FLIP_MAX_UPDATE_BYTES (256 MiB), is above any model the registry accepts (50 M float32
 * parameters is 200 MB); callers that know the size to expect pass a tighter one and say why in `reason`.
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
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit)
        throw new AppError("BAD_REQUEST", `The upload passed the ${limit}-byte limit${why}. Nothing was changed.`);
      chunks.push(value);
    }
  } finally {
    // Stops the transfer of whatever the client still sends once the upload is refused.
    if (total > limit) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
