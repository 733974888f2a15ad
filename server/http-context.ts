import "server-only";
import { getDb } from "@/server/database/get-db";
import { clientIp } from "./auth/client-ip";
import { isWorkerCall } from "./http/browser-call-slots";
import { cookiesOf, viewerOfCookies } from "./auth/session";
import type { TRPCContext } from "./trpc";

/** A tRPC call's context, from its own headers alone: it runs outside Next.js's request scope in production. */
export async function createHttpContext(headers: Headers): Promise<TRPCContext> {
  return {
    db: await getDb(),
    // Worker calls carry a site token, not a session: skip the session lookup for them.
    viewer: isWorkerCall(headers.get("authorization")) ? null : await viewerOfCookies(cookiesOf(headers.get("cookie"))),
    ip: clientIp(headers),
    headers,
  };
}
