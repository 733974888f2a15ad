export const UNKNOWN_IP = "unknown";

/**
 * The address of the peer that reached us. Only the last `x-forwarded-for` hop is trusted: it was
 * appended by our own server or proxy, while earlier hops are whatever the client chose to send.
 */
export function clientIp(headers: Headers | Record<string, string | string[] | undefined> | undefined): string {
  const raw = headers instanceof Headers ? headers.get("x-forwarded-for") : headers?.["x-forwarded-for"];
  const value = Array.isArray(raw) ? raw.join(",") : raw;
  const last = value
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .pop();
  return last ?? UNKNOWN_IP;
}
