import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { gunzipSync } from "node:zlib";
import { afterEach, describe, expect, test } from "vitest";
import { captureLogs } from "@/server/observability/logger";
import { serveApiRequest } from "./api-fast-path";
import { acceptsGzip, respond } from "./node-bridge";

type Handler = (request: Request) => Promise<Response>;

const servers: { close: () => void }[] = [];
afterEach(() => servers.splice(0).forEach((s) => s.close()));

/** A real HTTP server whose requests go to `serve`. */
async function serverWith(serve: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  const server = createServer(serve);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return (server.address() as AddressInfo).port;
}

/** One request over loopback, its answer as sent: status, raw headers and raw body bytes. */
async function call(port: number, path: string, headers: Record<string, string> = {}, method = "GET") {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>(
    (resolve, reject) => {
      const req = httpRequest({ host: "127.0.0.1", port, path, method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on("error", reject);
      req.end();
    },
  );
}

const json = (value: unknown, init?: ResponseInit) => Response.json(value, init);
const bigList = { items: Array.from({ length: 200 }, (_, i) => ({ id: i, title: `Project ${i}` })) };

describe("a Fetch-API handler served from Node", () => {
  test("an answer goes out whole, with its length, its own headers and the security headers every response carries", async () => {
    const handler: Handler = async (request) =>
      json({ path: new URL(request.url).pathname }, { headers: { "x-request-id": "abc" } });
    const port = await serverWith((req, res) => void respond(req, res, handler));
    const answer = await call(port, "/api/trpc/projects.list");
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body.toString())).toEqual({ path: "/api/trpc/projects.list" });
    expect(answer.headers).toMatchObject({
      "content-length": String(answer.body.byteLength),
      "x-request-id": "abc",
      "strict-transport-security": "max-age=63072000; includeSubDomains",
      "x-frame-options": "DENY",
      "x-content-type-options": "nosniff",
      "referrer-policy": "same-origin",
      "cross-origin-opener-policy": "same-origin",
      "cross-origin-resource-policy": "same-origin",
    });
    expect(answer.headers["transfer-encoding"]).toBeUndefined();
  });

  test("a JSON answer of 1 KB or more is gzipped for a client that accepts it, and only then", async () => {
    const handler: Handler = async (request) =>
      new URL(request.url).searchParams.has("small")
        ? json({ ok: true })
        : new URL(request.url).searchParams.has("keep")
          ? json(bigList, { headers: { "cache-control": "no-store, no-transform" } })
          : json(bigList);
    const port = await serverWith((req, res) => void respond(req, res, handler));
    const gzipped = await call(port, "/api/trpc/a", { "accept-encoding": "br, gzip" });
    expect(gzipped.headers["content-encoding"]).toBe("gzip");
    expect(gzipped.headers.vary).toBe("Accept-Encoding");
    expect(gzipped.headers["content-length"]).toBe(String(gzipped.body.byteLength));
    expect(JSON.parse(gunzipSync(gzipped.body).toString())).toEqual(bigList);

    const plain = await call(port, "/api/trpc/a");
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(plain.headers.vary).toBe("Accept-Encoding");
    expect(JSON.parse(plain.body.toString())).toEqual(bigList);

    for (const query of ["small", "keep"]) {
      const untouched = await call(port, `/api/trpc/a?${query}`, { "accept-encoding": "gzip" });
      expect(untouched.headers["content-encoding"]).toBeUndefined();
    }
  });

  test("a handler that fails answers 500 with a message naming nothing internal, and the failure is logged", async () => {
    const logs = captureLogs();
    try {
      const port = await serverWith(
        (req, res) => void respond(req, res, () => Promise.reject(new Error("relation secret_table does not exist"))),
      );
      const answer = await call(port, "/api/trpc/projects.list");
      expect(answer.status).toBe(500);
      expect(JSON.parse(answer.body.toString())).toEqual({
        error: { code: "INTERNAL_SERVER_ERROR", message: "Something went wrong on our side. Try again." },
      });
      expect(answer.headers["x-frame-options"]).toBe("DENY");
      expect(logs.lines).toContainEqual(expect.objectContaining({ level: "error", msg: "api request failed" }));
    } finally {
      logs.restore();
    }
  });

  test("a request whose Host makes no address is refused with 400, and the handler never runs", async () => {
    let ran = false;
    const port = await serverWith(
      (req, res) =>
        void respond(req, res, async () => {
          ran = true;
          return json({});
        }),
    );
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, "127.0.0.1", () =>
        socket.write("GET /api/trpc/projects.list HTTP/1.1\r\nHost: exa mple\r\nConnection: close\r\n\r\n"),
      );
      let text = "";
      socket.on("data", (chunk) => (text += chunk.toString()));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(raw).toContain("The request's address or Host header is not valid.");
    expect(ran).toBe(false);
  });

  test("a body the handler has not read yet stays with the client, held back by TCP", async () => {
    let release = () => undefined as void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let received = 0;
    const port = await serverWith(
      (req, res) =>
        void respond(req, res, async (request) => {
          await released; // an update waiting for a slot
          received = (await request.arrayBuffer()).byteLength;
          return json({ received });
        }),
    );
    const total = 64 * 1024 * 1024;
    const chunk = Buffer.alloc(1024 * 1024);
    let accepted = 0;
    const answer = new Promise<string>((resolve, reject) => {
      const req = httpRequest({ host: "127.0.0.1", port, path: "/upload", method: "POST" }, (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve(text));
      });
      req.on("error", reject);
      const write = () => {
        while (accepted < total) {
          accepted += chunk.byteLength;
          if (!req.write(chunk)) return void req.once("drain", write);
        }
        req.end();
      };
      write();
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Socket buffers hold a few megabytes; the rest waits in the client until the handler reads.
    expect(accepted).toBeLessThan(total / 4);
    release();
    expect(JSON.parse(await answer)).toEqual({ received: total });
  });
});

describe("the portal server's fast path", () => {
  test("takes tRPC calls, the binary worker routes and the probes, and leaves every other path to Next.js untouched", async () => {
    const port = await serverWith((req, res) => {
      if (serveApiRequest(req, res)) return;
      res.end(`next:${req.url}`);
    });
    for (const path of ["/api/healthz", "/api/trpcx", "/projects", "/api/worker/tasks/t/other", "/api/auth/session"])
      expect((await call(port, path)).body.toString()).toBe(`next:${path}`);
    // Liveness is answered here, whole, with the headers every answer carries.
    for (const path of ["/api/health", "/api/health?from=balancer"]) {
      const live = await call(port, path);
      expect(live.status).toBe(200);
      expect(JSON.parse(live.body.toString())).toEqual({ status: "ok" });
      expect(live.headers["cache-control"]).toBe("no-store");
      expect(live.headers["x-content-type-options"]).toBe("nosniff");
    }
    // Taken (and refused for its method, before any handler runs): Next would have answered "next:…".
    for (const path of [
      "/api/trpc/projects.list",
      "/api/worker/tasks/t/weights",
      "/api/worker/tasks/t/update?x=1",
      "/api/health",
      "/api/ready",
    ]) {
      const answer = await call(port, path, {}, "DELETE");
      expect(answer.status).toBe(405);
      expect(answer.headers["x-frame-options"]).toBe("DENY");
    }
  });

  test("a method a route does not take is refused with 405 and the methods it does", async () => {
    const port = await serverWith((req, res) => void serveApiRequest(req, res));
    const answer = await call(port, "/api/worker/tasks/1f0e2a4c-5b6d-4e7f-8a9b-0c1d2e3f4a5b/update");
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe("POST");
    expect(JSON.parse(answer.body.toString())).toEqual({
      error: { code: "METHOD_NOT_SUPPORTED", message: "Use POST here." },
    });
  });
});

describe("Accept-Encoding", () => {
  test.each([
    ["gzip", true],
    ["gzip, deflate, br", true],
    ["br;q=1.0, gzip;q=0.8", true],
    ["*", true],
    ["gzip;q=0", false],
    ["gzip;q=0, *", false],
    ["br, *;q=0", false],
    ["identity", false],
    ["", false],
  ])("%j takes gzip: %s", (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected);
  });
});
