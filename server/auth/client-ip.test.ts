import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { installPeerAddressHeader } from "@/server/http/peer-address";
import { PEER_ADDRESS_HEADER, UNKNOWN_IP, clientIp, parseTrustedProxies } from "./client-ip";

const NONE = parseTrustedProxies(undefined);
const PROXIES = parseTrustedProxies("10.0.0.0/8, 192.0.2.10, 2001:db8::/32");
const from = (peer: string, forwardedFor?: string) =>
  new Headers({ [PEER_ADDRESS_HEADER]: peer, ...(forwardedFor ? { "x-forwarded-for": forwardedFor } : {}) });

describe("clientIp", () => {
  it("ignores X-Forwarded-For from a client that connects directly: a rotating value is still one address", () => {
    const seen = new Set(Array.from({ length: 35 }, (_, i) => clientIp(from("203.0.113.9", `198.51.100.${i}`), NONE)));
    expect([...seen]).toEqual(["203.0.113.9"]);
    // Also when the direct client's value names a hop that happens to be a trusted proxy.
    expect(clientIp(from("203.0.113.9", "198.51.100.1, 10.0.0.5"), PROXIES)).toBe("203.0.113.9");
  });

  it("believes a trusted proxy's hop, and only as far back as the proxies are trusted", () => {
    expect(clientIp(from("10.1.2.3", "198.51.100.7"), PROXIES)).toBe("198.51.100.7");
    // The client wrote the first two hops itself; our proxies added the last two.
    expect(clientIp(from("::ffff:10.1.2.3", "1.1.1.1, 198.51.100.7, 192.0.2.10"), PROXIES)).toBe("198.51.100.7");
    expect(clientIp(from("2001:db8::1", "2001:db8:ffff::2, 2a00:1450::1"), PROXIES)).toBe("2a00:1450::1");
    // A proxy with nothing to report, or a malformed hop: the last address we can vouch for.
    expect(clientIp(from("10.1.2.3"), PROXIES)).toBe("10.1.2.3");
    expect(clientIp(from("10.1.2.3", "not-an-ip"), PROXIES)).toBe("10.1.2.3");
  });

  it("is unknown without a peer address", () => {
    expect(clientIp(new Headers({ "x-forwarded-for": "198.51.100.7" }), PROXIES)).toBe(UNKNOWN_IP);
  });

  it("refuses a malformed proxy list", () => {
    expect(() => parseTrustedProxies("10.0.0.0/33")).toThrow('"10.0.0.0/33" has an invalid prefix length');
    expect(() => parseTrustedProxies("proxy.internal")).toThrow('"proxy.internal" is not an IP address or CIDR range');
  });
});

describe("installPeerAddressHeader", () => {
  it("replaces a client's own peer-address header with the socket's address", async () => {
    installPeerAddressHeader();
    const server = http.createServer((req, res) => res.end(String(req.headers[PEER_ADDRESS_HEADER])));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/`, {
        headers: { [PEER_ADDRESS_HEADER]: "198.51.100.66", "x-forwarded-for": "198.51.100.66" },
      });
      expect(await response.text()).toBe("127.0.0.1");
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
