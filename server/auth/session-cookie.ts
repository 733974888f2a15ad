import { decode } from "next-auth/jwt";

/** What a session cookie says: whose it is and which user_sessions row it stands for. */
export type SessionClaims = { userId: string; sessionId: string };

type Cookie = { name: string; value: string };
type Decoded = { claims: SessionClaims | null; validUntilMs: number };

// jose's exp check in next-auth's decode allows this much clock skew; a cached answer does the same.
const CLOCK_TOLERANCE_MS = 15_000;
// Decoded cookies kept per process: far more than the browsers one portal serves at once.
const MAX_CACHED = 10_000;

/**
 * Whether session cookies are `__Secure-` prefixed and marked secure: when the portal's own URL
 * (NEXTAUTH_URL) is https. next-auth is told the same (authOptions.useSecureCookies), so the
 * cookie it sets and the name read here always agree.
 */
export function usesSecureCookies(portalUrl: string | undefined): boolean {
  return portalUrl?.startsWith("https://") ?? false;
}

/** The session cookie's name, as next-auth names it. */
export function sessionCookieName(portalUrl: string | undefined): string {
  return `${usesSecureCookies(portalUrl) ? "__Secure-" : ""}next-auth.session-token`;
}

/**
 * The session token from the request's cookies: a large token is split by next-auth into
 * `<name>.0`, `<name>.1`…, joined here in that order (as next-auth's own SessionStore reads them).
 */
export function sessionTokenOf(cookies: Iterable<Cookie>, name: string): string | null {
  const chunks = [...cookies].filter((c) => c.name.startsWith(name));
  if (!chunks.length) return null;
  const suffix = (cookieName: string) => parseInt(cookieName.split(".").pop() ?? "0");
  return chunks
    .sort((a, b) => suffix(a.name) - suffix(b.name))
    .map((c) => c.value)
    .join("");
}

/**
 * Decoded tokens by token and secret. Decoding derives the key with HKDF and decrypts the JWE on
 * every call; a browser sends the same cookie on every request, so the answer for a token is kept
 * until the token expires. Only tokens that decoded are kept (an invalid one costs a full decode
 * each time, like before), so an entry can only be made by someone holding a cookie this portal issued.
 */
const decoded = new Map<string, Decoded>();
const cacheKey = (token: string, secret: string) => `${secret.length}:${secret}:${token}`;

/**
 * What `decodeSessionToken` found for this token earlier in this process, if it is still valid;
 * null for a token it has not decoded (this decodes nothing, so it costs a lookup whatever the token).
 */
export function decodedSessionClaims(token: string, secret: string): SessionClaims | null {
  const hit = decoded.get(cacheKey(token, secret));
  return hit && Date.now() < hit.validUntilMs ? hit.claims : null;
}

/**
 * The user and session a session token names, or null when it is missing, does not decrypt with
 * `secret`, has expired (the same 15 s clock tolerance as next-auth) or names no session.
 */
export async function decodeSessionToken(token: string, secret: string): Promise<SessionClaims | null> {
  const key = cacheKey(token, secret);
  const now = Date.now();
  const hit = decoded.get(key);
  if (hit && now < hit.validUntilMs) return hit.claims;
  if (hit) decoded.delete(key);
  let payload: Awaited<ReturnType<typeof decode>>;
  try {
    payload = await decode({ token, secret });
  } catch {
    return null;
  }
  if (!payload || typeof payload.exp !== "number") return null;
  const claims = payload.sub && payload.sid ? { userId: payload.sub, sessionId: payload.sid } : null;
  // Oldest first: when full, the entry decoded longest ago goes.
  if (decoded.size >= MAX_CACHED) decoded.delete(decoded.keys().next().value!);
  decoded.set(key, { claims, validUntilMs: payload.exp * 1000 + CLOCK_TOLERANCE_MS });
  return claims;
}
