import type { Database } from "@/db/client";
import { AppError } from "@/server/errors";
import { recordProtocolMismatch } from "@/server/site-network/site-health.service";
import { resolveSiteByToken } from "@/server/site-network/site-tokens.service";
import { ensureBackgroundWork } from "@/server/background-work";
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from "@/protocol/contract";

/**
 * Resolves the calling site from its bearer token (never from the request body) and checks it
 * speaks this hub's protocol. The one check behind the tRPC worker procedures and the binary
 * weight routes.
 */
export async function authenticateWorker(db: Database, headers: Headers) {
  const token = /^Bearer (\S+)$/.exec(headers.get("authorization") ?? "")?.[1];
  if (!token) throw new AppError("UNAUTHORIZED", "Send the site token as 'Authorization: Bearer <token>'.");
  const site = await resolveSiteByToken(db, token);
  if (!site)
    throw new AppError(
      "UNAUTHORIZED",
      "This site token is not valid (revoked, rotated out or mistyped). Ask a platform admin for a new one.",
    );
  const sent = headers.get(PROTOCOL_HEADER);
  if (Number(sent) !== PROTOCOL_VERSION) {
    const message = `This hub speaks worker protocol ${PROTOCOL_VERSION} but the worker sent ${sent ? `protocol ${sent}` : "no protocol version"}. Upgrade so both use protocol ${PROTOCOL_VERSION}.`;
    await recordProtocolMismatch(db, site, message);
    throw new AppError("PRECONDITION_FAILED", message);
  }
  ensureBackgroundWork(db);
  return site;
}
