import http from "node:http";
import https from "node:https";

/**
 * One HTTP(S) request to the PACS with node's own client, so a client certificate (mutual TLS) and a
 * private CA work as the Trust configures them. The body is collected up to a limit.
 */
export type TlsOptions = { cert?: string; key?: string; ca?: string };
export type HttpResponse = { status: number; headers: http.IncomingHttpHeaders; body: Uint8Array };

export type HttpRequest = {
  url: URL;
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: Buffer;
  timeoutMs: number;
  maxBytes: number;
  signal: AbortSignal;
  agent: http.Agent | https.Agent;
};

export function createAgent(url: URL, tls: TlsOptions, maxSockets: number): http.Agent | https.Agent {
  return url.protocol === "https:"
    ? new https.Agent({ keepAlive: true, maxSockets, cert: tls.cert, key: tls.key, ca: tls.ca })
    : new http.Agent({ keepAlive: true, maxSockets });
}

export class ResponseTooLargeError extends Error {}

export function request(options: HttpRequest): Promise<HttpResponse> {
  const transport = options.url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(
      options.url,
      {
        method: options.method,
        headers: options.body ? { ...options.headers, "content-length": String(options.body.length) } : options.headers,
        agent: options.agent,
        timeout: options.timeoutMs,
        signal: options.signal,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxBytes) {
            res.destroy(new ResponseTooLargeError(`the response is larger than ${options.maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on("error", reject);
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: new Uint8Array(Buffer.concat(chunks)) }),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    req.on("error", reject);
    req.end(options.body);
  });
}
