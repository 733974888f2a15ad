import "server-only";
import { getDb } from "@/server/database/get-db";
import { clientIp } from "./auth/client-ip";
import { getViewer } from "./auth/session";
import type { TRPCContext } from "./trpc";

export async function createHttpContext(headers: Headers): Promise<TRPCContext> {
  // Worker calls carry a site token, not a session: skip the session lookup for them.
  const isWorkerCall = headers.get("authorization")?.startsWith("Bearer ") ?? false;
  return { db: await getDb(), viewer: isWorkerCall ? null : await getViewer(), ip: clientIp(headers), headers };
}
