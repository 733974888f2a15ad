import { getHubConfig } from "@/server/config";
import { AppError } from "@/server/errors";
import { readStream, StreamTooLong } from "@/protocol/read-stream";

/**
 * Reads a binary request body, refusing it as soon as it passes the limit rather than after buffering it all.
 * The default limit, FLIP_MAX_UPDATE_BYTES (256 MiB), is above any model the registry accepts (50 M float32
 * parameters is 200 MB); callers that know the size to expect pass a tighter one and say why in `reason`.
 * A body that declares its length is read straight into one buffer of that size (protocol/read-stream.ts).
 */
export async function readBody(
  request: Request,
  limit = getHubConfig().FLIP_MAX_UPDATE_BYTES,
  reason = "",
  allocate?: (size: number) => Uint8Array,
): Promise<Uint8Array> {
  const why = reason ? ` (${reason})` : "";
  const declared = Number(request.headers.get("content-length") ?? 0);
  try {
    return await readStream(request.body, { declared, limit, allocate });
  } catch (error) {
    if (!(error instanceof StreamTooLong)) throw error;
    throw new AppError(
      "BAD_REQUEST",
      error.why === "past-declared"
        ? `The upload is longer than the ${declared} bytes its content-length declared. Nothing was changed.`
        : error.why === "declared-over-limit"
          ? `The upload is ${declared} bytes; the limit is ${limit}${why}. Nothing was changed.`
          : `The upload passed the ${limit}-byte limit${why}. Nothing was changed.`,
    );
  }
}
