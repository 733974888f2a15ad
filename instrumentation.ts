/**
 * Runs once when a portal server process starts. Round deadlines, expired leases and dropouts
 * must be handled even while no site worker is calling in (all Trusts offline is exactly when a
 * deadline matters), so the sweeper and job coordinator start here rather than on first traffic.
 * The configuration is checked first: a bad setting prints what is wrong and exits with code 2.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs" || process.env.NEXT_PHASE === "phase-production-build") return;
  const { getHubConfigOrExit } = await import("@/server/config");
  getHubConfigOrExit();
  // Before the first request: rate limits need the real peer address (server/auth/client-ip.ts).
  (await import("@/server/http/peer-address")).installPeerAddressHeader();
  // For the portal server (server/cli/portal-server.mjs), which answers tRPC before Next routes it.
  (await import("@/server/http/api-fast-path")).registerApiFastPath();
  const [{ getDb }, { ensureBackgroundWork }, { errorFields, getLogger }] = await Promise.all([
    import("@/server/database/get-db"),
    import("@/server/background-work"),
    import("@/server/observability/logger"),
  ]);
  try {
    ensureBackgroundWork(await getDb());
  } catch (error) {
    // The first worker call starts it instead; a portal must still come up to show the outage.
    getLogger().error({ err: errorFields(error) }, "startup: background jobs not started yet");
  }
}
