import path from "node:path";
import { connectDatabase, migrateDatabase } from "@/db/client";
import { DEMO_SITES, seedDemo } from "@/server/cli/demo-seed";
import { dropDatabase, ensureDatabase, startEmbeddedServer } from "@/server/database/embedded-server";
import { withDatabase } from "@/db/pg-connection";
import { sessionSigningSecret } from "@/server/lib/local-secrets";
import { startPortal } from "@/server/cli/portal-process";
import { prepareSites, startSiteWorkers } from "@/server/cli/site-fleet";
import { onShutdown, shutdown } from "@/server/lib/shutdown";
import { seedDemoProjects } from "@/server/cli/demo-projects";
import { loadDemoVocabulary } from "@/server/vocabulary/demo-vocabulary";
import { startTestOidcProvider } from "@/server/auth/test-support/test-oidc-provider";
import {
  E2E_BASE_URL,
  E2E_DATABASE,
  E2E_EMBEDDED_PG,
  E2E_IDP,
  E2E_PASSWORD,
  E2E_PORT,
  E2E_SITE_NAMESPACE,
  E2E_TOTP_SECRET,
} from "./constants";

/**
 * Playwright's web server: a fresh, migrated and seeded database for the journeys, and the
 * production build served against it. The database is dropped when Playwright stops us.
 */
async function main() {
  // One JSON line per request would bury the journeys' own output; warnings and errors still show.
  process.env.FLIP_LOG_LEVEL ??= "warn";
  const adminUrl =
    process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? (await startEmbeddedServer(E2E_EMBEDDED_PG)).adminUrl;
  await dropDatabase(adminUrl, E2E_DATABASE);
  await ensureDatabase(adminUrl, E2E_DATABASE);
  const databaseUrl = withDatabase(adminUrl, E2E_DATABASE);
  const { db, pool } = connectDatabase(databaseUrl);
  await migrateDatabase(db);
  await seedDemo(db, E2E_PASSWORD, { totpSecret: E2E_TOTP_SECRET });
  await seedDemoProjects(db);
  await loadDemoVocabulary(databaseUrl, path.resolve(".data", "e2e", "vocabulary"));
  onShutdown(() => dropDatabase(adminUrl, E2E_DATABASE));
  onShutdown(() => pool.end());
  // Small synthetic Trusts in their own namespace, so the journeys never touch the demo's site data.
  const prepared = await prepareSites({
    adminUrl,
    dataRoot: path.resolve(".data", "e2e"),
    persons: 400,
    namespace: E2E_SITE_NAMESPACE,
    fleet: DEMO_SITES.map((s, i) => ({ code: s.code, seed: 100 + i })),
    log: () => undefined,
  });
  // The OpenID provider is up before the portal, which reads its discovery document on each SSO sign-in.
  const idp = await startTestOidcProvider({
    port: E2E_IDP.port,
    clientId: E2E_IDP.clientId,
    clientSecret: E2E_IDP.clientSecret,
    redirectUri: `${E2E_BASE_URL}/api/auth/callback/oidc`,
    accounts: E2E_IDP.accounts,
  });
  onShutdown(() => idp.close());
  const { url } = await startPortal({
    databaseUrl,
    port: E2E_PORT,
    authSecret: sessionSigningSecret(),
    extraEnv: {
      FLIP_OIDC_ISSUER: idp.issuer,
      FLIP_OIDC_CLIENT_ID: E2E_IDP.clientId,
      FLIP_OIDC_CLIENT_SECRET: E2E_IDP.clientSecret,
      FLIP_OIDC_ALLOWED_DOMAINS: "demo.flip",
      FLIP_OIDC_DISPLAY_NAME: E2E_IDP.displayName,
    },
  });
  await startSiteWorkers(db, url, prepared, { env: { FLIP_HEARTBEAT_MS: "2000" }, resetLedgers: true });
  console.log(`[e2e] portal ready at ${url}`);
}

main().catch(async (error: unknown) => {
  console.error("[e2e] could not start the portal:", error);
  await shutdown(1);
});
