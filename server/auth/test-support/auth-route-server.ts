import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import NextAuth from "next-auth";
import type { NextApiRequest, NextApiResponse } from "next";
import { authOptions } from "@/server/auth/auth-options";

async function readForm(req: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
}

function cookiesOf(header: string | undefined): Record<string, string> {
  return Object.fromEntries(
    (header ?? "")
      .split(";")
      .map((part) => part.trim())
      .filter(Boolean)
      .map((part) => [part.slice(0, part.indexOf("=")), decodeURIComponent(part.slice(part.indexOf("=") + 1))]),
  );
}

/**
 * The hub's /api/auth endpoints over real HTTP on loopback, without a Next.js build: next-auth's own
 * request handler with the portal's `authOptions` (providers, signIn and jwt callbacks), so a test
 * drives the same sign-in and callback code as the portal. Set NEXTAUTH_URL to the returned url.
 */
export async function startAuthRouteServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const address = new URL(req.url ?? "/", "http://portal");
    if (!address.pathname.startsWith("/api/auth/")) {
      res.writeHead(404).end();
      return;
    }
    void (async () => {
      const apiReq = {
        method: req.method,
        headers: req.headers,
        cookies: cookiesOf(req.headers.cookie),
        body: req.method === "POST" ? await readForm(req) : {},
        query: {
          ...Object.fromEntries(address.searchParams),
          nextauth: address.pathname.slice("/api/auth/".length).split("/"),
        },
      };
      const apiRes = Object.assign(res, {
        status(code: number) {
          res.statusCode = code;
          return apiRes;
        },
        json(value: unknown) {
          res.setHeader("content-type", "application/json");
          res.end(JSON.stringify(value));
        },
        send(value: unknown) {
          if (typeof value === "string") res.end(value);
          else apiRes.json(value);
        },
      });
      await NextAuth(apiReq as unknown as NextApiRequest, apiRes as unknown as NextApiResponse, authOptions);
    })().catch((error: unknown) => res.writeHead(500).end(String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
