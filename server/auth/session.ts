import "server-only";
import { getServerSession } from "next-auth";
import { cache } from "react";
import { getDb } from "@/server/database/get-db";
import { authOptions } from "./auth-options";
import type { Viewer } from "./permissions";
import { loadViewer } from "./viewer";

/**
 * The signed-in user as the database sees them right now (grants, disabled flag, password age);
 * null when signed out or the session is no longer valid. Cached for one request.
 */
export const getViewer = cache(async (): Promise<Viewer | null> => {
  const session = await getServerSession(authOptions);
  if (!session?.user?.id) return null;
  return loadViewer(await getDb(), session.user.id, session.signedInAt);
});
