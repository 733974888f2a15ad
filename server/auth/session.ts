import "server-only";
import { parse } from "cookie";
import { cookies } from "next/headers";
import { cache } from "react";
import { getHubConfig } from "@/server/config";
import { getDb } from "@/server/database/get-db";
import { sessionSigningSecret } from "@/server/lib/local-secrets";
import type { Viewer } from "./permissions";
import { decodedSessionClaims, decodeSessionToken, sessionCookieName, sessionTokenOf } from "./session-cookie";
import { loadSessionViewer } from "./viewer";

/**
 * The signed-in user as the database sees them right now (grants, disabled flag, password age,
 * the session itself); null when signed out or the session is no longer valid. Cached for one request.
 *
 * The cookie is decoded here rather than through next-auth's getServerSession, which would run its
 * whole session endpoint per request (a CSRF token, the jwt callback with its own viewer query,
 * re-encrypting a cookie that a server component cannot even set): the session row is what decides.
 */
export const getViewer = cache(async (): Promise<Viewer | null> => viewerOfCookies((await cookies()).getAll()));

/** getViewer for a request's own cookies, where Next.js's request scope (`cookies()`) is not available. */
export async function viewerOfCookies(list: Iterable<{ name: string; value: string }>): Promise<Viewer | null> {
  const token = sessionTokenOf(list, sessionCookieName(getHubConfig().NEXTAUTH_URL));
  if (!token) return null;
  const claims = await decodeSessionToken(token, sessionSigningSecret());
  if (!claims) return null;
  return loadSessionViewer(await getDb(), claims);
}

/** A request's cookies as next-auth reads them, from its Cookie header. */
export function cookiesOf(header: string | null | undefined): { name: string; value: string }[] {
  return Object.entries(parse(header ?? "")).map(([name, value]) => ({ name, value: value ?? "" }));
}

/**
 * The user whose session a request's cookie names, when this process has decoded that cookie
 * before (so the portal issued it); null otherwise. It decodes nothing, so it costs a lookup
 * whatever the cookie says, and can run on every request before the request waits its turn.
 */
export function knownSessionUser(cookieHeader: string | null | undefined): string | null {
  const token = sessionTokenOf(cookiesOf(cookieHeader), sessionCookieName(getHubConfig().NEXTAUTH_URL));
  return token ? (decodedSessionClaims(token, sessionSigningSecret())?.userId ?? null) : null;
}
