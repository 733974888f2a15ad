import "server-only";
import { getServerSession } from "next-auth";
import { cache } from "react";
import { getDb } from "@/server/database/get-db";
import { authOptions } from "./auth-options";
import type { Viewer } from "./permissions";
import { loadSessionViewer } from "./viewer";

/**
 * The signed-in user as the database sees them right now (grants, disabled flag, password age,
 * the session itself); null when signed out or the session is no longer valid. Cached for one request.
 */
export const getViewer = cache(async (): Promise<Viewer | null> => {
  const session = await getServerSession(authOptions);
  if (!session?.user?.id || !session.sessionId) return null;
  return loadSessionViewer(await getDb(), { userId: session.user.id, sessionId: session.sessionId });
});
