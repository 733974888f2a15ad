import { BlockList, isIP } from "node:net";
import { getHubConfig } from "@/server/config";

export const UNKNOWN_IP = "unknown";

/**
 * The header that carries the TCP peer's address into route handlers. Next.js exposes no socket to
 * them, so `installPeerAddressHeader` (server/http/peer-address.ts, run at start-up) writes it on
 * every request, replacing whatever a client sent under that name.
 */
export const PEER_ADDRESS_HEADER = "x-flip-peer-address";

type HeaderSource = Headers | Record<string, string | string[] | undefined> | undefined;

function header(headers: HeaderSource, name: string): string | undefined {
  const raw = headers instanceof Headers ? headers.get(name) : headers?.[name];
  return (Array.isArray(raw) ? raw.join(",") : raw) ?? undefined;
}

/** `::ffff:10.0.0.1` is 10.0.0.1; anything that is not an address is null. */
function normalise(address: string): string | null {
  const value = address.trim().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "");
  return isIP(value) ? value : null;
}

/** FLIP_TRUSTED_PROXIES as a BlockList: addresses and CIDR ranges, comma-separated (checked in server/config.ts). */
export function parseTrustedProxies(raw: string | undefined): BlockList {
  const list = new BlockList();
  for (const entry of (raw ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [address, bits] = entry.split("/") as [string, string | undefined];
    const ip = normalise(address);
    if (!ip) throw new Error(`"${entry}" is not an IP address or CIDR range`);
    const type = isIP(ip) === 6 ? "ipv6" : "ipv4";
    if (bits === undefined) list.addAddress(ip, type);
    else {
      const prefix = /^\d+$/.test(bits) ? Number(bits) : Number.NaN;
      if (!(prefix >= 0 && prefix <= (type === "ipv6" ? 128 : 32)))
        throw new Error(`"${entry}" has an invalid prefix length`);
      list.addSubnet(ip, prefix, type);
    }
  }
  return list;
}

let trusted: { raw: string | undefined; list: BlockList } | undefined;
function trustedProxies(): BlockList {
  const raw = getHubConfig().FLIP_TRUSTED_PROXIES;
  if (!trusted || trusted.raw !== raw) trusted = { raw, list: parseTrustedProxies(raw) };
  return trusted.list;
}
const isTrusted = (list: BlockList, ip: string) => list.check(ip, isIP(ip) === 6 ? "ipv6" : "ipv4");

/**
 * The address of the client, for rate limits and logs. `X-Forwarded-For` is believed only as far
 * as it was written by proxies we trust: starting from the TCP peer, each hop is taken as long as
 * the one who reported it is a configured trusted proxy (FLIP_TRUSTED_PROXIES). A client that
 * reaches the portal directly, or through an untrusted hop, cannot choose its address.
 */
export function clientIp(headers: HeaderSource, proxies: BlockList = trustedProxies()): string {
  const peer = normalise(header(headers, PEER_ADDRESS_HEADER) ?? "");
  if (!peer) return UNKNOWN_IP;
  const hops = (header(headers, "x-forwarded-for") ?? "").split(",").filter((h) => h.trim());
  let client = peer;
  while (isTrusted(proxies, client) && hops.length) {
    const next = normalise(hops.pop()!);
    if (!next) break;
    client = next;
  }
  return client;
}
