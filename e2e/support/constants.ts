import path from "node:path";
import { embeddedAdminUrl } from "@/server/database/embedded-server";
export const E2E_PORT = Number(process.env.E2E_PORT ?? 3100);
export const E2E_BASE_URL = `http://localhost:${E2E_PORT}`;
export const E2E_DATABASE = "flip_e2e";
export const E2E_PASSWORD = "e2e-demo-password";
/** The demo admins' and approvers' authenticator app (base32): the journeys compute its codes. */
export const E2E_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
export const E2E_SITE_NAMESPACE = "flip_e2e_site";
export const E2E_EMBEDDED_PG = { port: 54349, dataDir: path.resolve(".data", "e2e-postgres") };

/** The PostgreSQL server the journeys run on: the one the environment names, else start-portal's embedded server. */
export function e2eAdminUrl(): string {
  return process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? embeddedAdminUrl(E2E_EMBEDDED_PG);
}

/** The OpenID provider start-portal runs on loopback before the portal, and the people it knows. */
export const E2E_IDP = {
  port: E2E_PORT + 1000,
  displayName: "FLIP Test IdP",
  clientId: "flip-portal-e2e",
  clientSecret: "flip-portal-e2e-client-secret",
  accounts: [
    { login: "researcher@demo.flip", sub: "idp-researcher", email: "researcher@demo.flip", name: "Rosa Researcher" },
    { login: "nobody@demo.flip", sub: "idp-nobody", email: "nobody@demo.flip", name: "No Body" },
  ],
};
