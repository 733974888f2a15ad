import { getHubConfig } from "@/server/config";
import { AppError } from "@/server/errors";

/**
 * Reads a binary request body, refusing it as soon as it passes the limit rather than after buffering it all.
 * The default limit, FLIP_MAX_UPDATE_BYTES (256 MiB), is above any model the registry accepts (50 M float32
 * parameters is 200 MB).
 */
export async function readBody(request: Request, limit = getHubConfig().FLIP_MAX_UPDATE_BYTES): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > limit)
    throw new AppError("BAD_REQUEST", `The upload is ${declared} bytes; the limit is ${limit}. Nothing was changed.`);
  if (!request.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > limit)
      throw new AppError("BAD_REQUEST", `The upload passed the ${limit}-byte limit. Nothing was changed.`);
    chunks.push(chunk);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
