import "server-only";
import { parse } from "cookie";
import { getDb } from "@/server/database/get-db";
import { clientIp } from "./auth/client-ip";
import { isWorkerCall } from "./http/browser-call-slots";
import { viewerOfCookies } from "./auth/session";
import type { TRPCContext } from "./trpc";

/** A tRPC call's context, from its own headers alone: it runs outside Next.js's request scope in production. */
export async function createHttpContext(headers: Headers): Promise<TRPCContext> {
  // Worker calls carry a site token, not a session: skip the session lookup for them.
  const cookies = Object.entries(parse(headers.get("cookie") ?? "")).map(([name, value]) => ({
    name,
    value: value ?? "",
  }));
  return {
    db: await getDb(),
    viewer: isWorkerCall(headers.get("authorization")) ? null : await viewerOfCookies(cookies),
    ip: clientIp(headers),
    headers,
  };
}
