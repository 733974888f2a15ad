import { createPrivateKey, createPublicKey } from "node:crypto";
import type { CDPSession, Page } from "@playwright/test";
import { formatFingerprint } from "@/protocol/webauthn/fingerprint";
import { fingerprintOf } from "@/protocol/webauthn/public-key";

/**
 * A platform passkey authenticator in Chromium through the DevTools protocol's WebAuthn domain:
 * CTAP2, built in, discoverable credentials, and a person who always passes user verification.
 */
export async function addVirtualAuthenticator(page: Page) {
  const cdp: CDPSession = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    /** Takes the authenticator away (a person puts their security key back in the drawer). */
    async remove() {
      await cdp.send("WebAuthn.removeVirtualAuthenticator", { authenticatorId });
    },
    /** The fingerprint of each credential's public key (groups of four hex digits), computed here from its private key. */
    async fingerprints(): Promise<string[]> {
      const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
      return credentials.map((credential) => {
        const privateKey = createPrivateKey({
          key: Buffer.from(credential.privateKey, "base64"),
          format: "der",
          type: "pkcs8",
        });
        return formatFingerprint(fingerprintOf(createPublicKey(privateKey)));
      });
    },
  };
}
