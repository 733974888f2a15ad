// The size below which compressing an answer costs more than sending it (the compression package's own default).
export const COMPRESS_FROM_BYTES = 1024;

/**
 * A small JSON answer marked `Cache-Control: no-transform`, so Next's compression leaves it alone.
 * Next drops a route handler's Content-Length, and its compression then gzips every body however
 * small: a new gzip stream per heartbeat's hundred bytes was a sixth of the portal's CPU under
 * load. Larger answers (a job's detail) are still compressed for browsers that ask. tRPC's answers
 * are whole JSON documents (no streaming link is used), so reading one costs a copy.
 */
export async function withoutCompressionWhenSmall(response: Response): Promise<Response> {
  const mediaType = response.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
  if (!response.body || mediaType !== "application/json") return response;
  const body = await response.arrayBuffer();
  const headers = new Headers(response.headers);
  if (body.byteLength < COMPRESS_FROM_BYTES)
    headers.set("cache-control", [headers.get("cache-control"), "no-transform"].filter(Boolean).join(", "));
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}
