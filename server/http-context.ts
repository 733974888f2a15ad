import "server-only";
import { getDb } from "@/db/client";
import { clientIp } from "./auth/client-ip";
import { getViewer } from "./auth/session";
import type { TRPCContext } from "./trpc";

export async function createHttpContext(headers: Headers): Promise<TRPCContext> {
  return { db: await getDb(), viewer: await getViewer(), ip: clientIp(headers) };
}
