import http from "node:http";
import { PEER_ADDRESS_HEADER } from "@/server/auth/client-ip";

const INSTALLED = Symbol.for("flip.peerAddressHeader");

/**
 * Writes the TCP peer's address into every incoming request's headers (PEER_ADDRESS_HEADER),
 * replacing any value the client sent, before Next.js sees the request. Route handlers get only a
 * `Request`, without the socket; this is how `clientIp` learns who actually connected. Installed
 * once per process, from instrumentation.ts; it wraps `emit` on http.Server's prototype because
 * `next dev` creates its server internally (the portal server's requests pass through it as well).
 */
export function installPeerAddressHeader(): void {
  const proto = http.Server.prototype as http.Server & { [INSTALLED]?: true };
  if (proto[INSTALLED]) return;
  proto[INSTALLED] = true;
  const emit = proto.emit;
  proto.emit = function (this: http.Server, event: string | symbol, ...args: [unknown, ...unknown[]]) {
    if (event === "request") {
      const request = args[0] as http.IncomingMessage;
      const peer = request.socket?.remoteAddress;
      if (peer) request.headers[PEER_ADDRESS_HEADER] = peer;
      else delete request.headers[PEER_ADDRESS_HEADER];
    }
    return (emit as (event: string | symbol, ...args: unknown[]) => boolean).call(this, event, ...args);
  } as typeof proto.emit;
}
