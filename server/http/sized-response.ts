/**
 * A JSON response with its Content-Length set. Next's compression decides on that header whether a
 * body is worth compressing (1 KiB or more); without it, it gzips every body, and a new gzip stream
 * per answer costs far more than a heartbeat's or a small list's hundred bytes are worth sending.
 * tRPC's answers are whole JSON documents (no streaming link is used), so reading one costs a copy.
 */
export async function withContentLength(response: Response): Promise<Response> {
  if (response.headers.has("content-length") || !response.body) return response;
  const mediaType = response.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
  if (mediaType !== "application/json") return response;
  const body = await response.arrayBuffer();
  const headers = new Headers(response.headers);
  headers.set("content-length", String(body.byteLength));
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}
