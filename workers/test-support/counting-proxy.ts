import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A loopback HTTP proxy in front of the hub that counts responses by status, so a test can tell
 * whether a worker backs off or hammers the hub.
 */
export async function startCountingProxy(targetUrl: string) {
  const target = new URL(targetUrl);
  const statuses: number[] = [];
  const server = createServer((req, res) => {
    const upstream = request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (response) => {
        statuses.push(response.statusCode ?? 0);
        res.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(res);
      },
    );
    upstream.on("error", () => {
      statuses.push(502);
      res.writeHead(502).end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    count: (status: number) => statuses.filter((s) => s === status).length,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
