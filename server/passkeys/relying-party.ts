import { getHubConfig } from "@/server/config";

export type RelyingParty = { id: string; name: string; origin: string };

/**
 * Who passkeys are registered for: the portal's public origin (NEXTAUTH_URL, else the local demo
 * address) and its relying party id (FLIP_WEBAUTHN_RP_ID, else that origin's host). A browser signs
 * only for the origin it is on, so an assertion made on any other site is refused here.
 */
export function relyingParty(): RelyingParty {
  const config = getHubConfig();
  const origin = new URL(config.NEXTAUTH_URL ?? `http://localhost:${config.PORT}`).origin;
  return {
    id: config.FLIP_WEBAUTHN_RP_ID?.toLowerCase() ?? new URL(origin).hostname,
    name: "FLIP Portal",
    origin,
  };
}
