import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import { errorFields, getLogger } from "@/server/observability/logger";
import { connectionSignal, requestWithSignal } from "./request-signal";
import { STATIC_SECURITY_HEADERS } from "./security-headers";
import { COMPRESS_FROM_BYTES } from "./sized-response";

/**
 * Fetch-API handlers (Request -> Response, as the Next.js routes are written) served from Node's
 * own http server: by the portal server's fast path (api-fast-path.ts) and the test hub.
 */

const INTERNAL = "Something went wrong on our side. Try again.";

export type Handler = (request: Request) => Promise<Response>;

class InvalidAddress extends Error {}

/**
 * Node's request as a Fetch-API Request. Its body is pulled chunk by chunk as the handler reads
 * it, so a body nobody reads yet (an update waiting for a slot) stays in the client's connection by
 * TCP back-pressure. A body the handler gives up on is not read further: the answer goes out, then
 * the connection closes. The request's signal aborts when the client goes away.
 */
function requestOf(req: IncomingMessage, res: ServerResponse): Request {
  let url: URL;
  try {
    url = new URL(req.url ?? "/", `http://${req.headers.host ?? "localhost"}`);
  } catch {
    throw new InvalidAddress();
  }
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const item of value) headers.append(key, item);
    else if (value !== undefined) headers.set(key, value);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return requestWithSignal(
    url,
    { method: req.method, headers, ...(hasBody ? { body: bodyOf(req, res), duplex: "half" } : {}) } as RequestInit,
    connectionSignal(res),
  );
}

function bodyOf(req: IncomingMessage, res: ServerResponse): ReadableStream<Uint8Array> {
  const chunks = req[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel() {
      if (res.writableFinished) req.destroy();
      else res.once("finish", () => req.destroy());
    },
  });
}

/** Runs a Fetch-API handler for a Node request and sends its answer. */
export async function respond(req: IncomingMessage, res: ServerResponse, handler: Handler): Promise<void> {
  let response: Response;
  try {
    response = await handler(requestOf(req, res));
  } catch (error) {
    const isBadAddress = error instanceof InvalidAddress;
    if (!isBadAddress) getLogger().error({ err: errorFields(error), method: req.method }, "api request failed");
    response = Response.json(
      {
        error: isBadAddress
          ? { code: "BAD_REQUEST", message: "The request's address or Host header is not valid." }
          : { code: "INTERNAL_SERVER_ERROR", message: INTERNAL },
      },
      { status: isBadAddress ? 400 : 500 },
    );
  }
  try {
    await send(req, res, response);
  } catch (error) {
    // The client went away mid-answer, or the body failed: nothing more can be sent on this socket.
    getLogger().warn({ err: errorFields(error), method: req.method }, "api answer not sent");
    res.destroy();
  }
}

const gzipAsync = promisify(gzip);

const mediaType = (headers: Headers) => headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();

/**
 * Sends an answer with the security headers every response carries. A JSON answer goes out whole
 * in one write with its length, gzipped (off the event loop) when it is COMPRESS_FROM_BYTES or more,
 * the client accepts gzip and it is not marked `no-transform`, as Next's compression does. Any other
 * body (a model file) is streamed as it comes, without a copy, at the pace the client reads it.
 */
async function send(req: IncomingMessage, res: ServerResponse, response: Response): Promise<void> {
  const headers = new Headers(response.headers);
  for (const { key, value } of STATIC_SECURITY_HEADERS) if (!headers.has(key)) headers.set(key, value);
  const isHead = req.method === "HEAD";
  if (response.body && mediaType(headers) !== "application/json") {
    res.writeHead(response.status, nodeHeaders(headers));
    if (isHead) {
      await response.body.cancel();
      res.end();
    } else await pipeline(Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>), res);
    return;
  }
  const body = response.body ? Buffer.from(await response.arrayBuffer()) : null;
  let payload = body;
  if (body && isCompressible(headers, body.byteLength)) {
    headers.append("vary", "Accept-Encoding");
    if (acceptsGzip(req.headers["accept-encoding"])) {
      payload = await gzipAsync(body);
      headers.set("content-encoding", "gzip");
    }
  }
  if (payload) headers.set("content-length", String(payload.byteLength));
  if (res.destroyed) return;
  res.writeHead(response.status, nodeHeaders(headers));
  res.end(isHead ? undefined : payload);
}

function nodeHeaders(headers: Headers): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  headers.forEach((value, key) => (out[key] = value));
  const cookies = headers.getSetCookie();
  if (cookies.length > 0) out["set-cookie"] = cookies;
  return out;
}

function isCompressible(headers: Headers, bytes: number): boolean {
  if (bytes < COMPRESS_FROM_BYTES || headers.has("content-encoding")) return false;
  return !/(?:^|,)\s*no-transform\s*(?:,|$)/i.test(headers.get("cache-control") ?? "");
}

/** Whether an Accept-Encoding header takes gzip: named, or else `*`, with a weight above zero. */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  const weights = new Map<string, number>();
  for (const entry of (Array.isArray(header) ? header.join(",") : (header ?? "")).split(",")) {
    const [coding, ...params] = entry.split(";").map((part) => part.trim().toLowerCase());
    const q = params.find((p) => p.startsWith("q="));
    if (coding) weights.set(coding, q ? Number(q.slice(2)) || 0 : 1);
  }
  return (weights.get("gzip") ?? weights.get("*") ?? 0) > 0;
}
