import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ssoIdentities } from "@/db/schema";
import { getDb } from "@/server/database/get-db";
import { auditFor, makeUser } from "@/server/lib/test-support/fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { startAuthRouteServer } from "./test-support/auth-route-server";
import { SsoBrowser } from "./test-support/sso-browser";
import { startTestOidcProvider, type TestOidcProvider } from "./test-support/test-oidc-provider";

// The whole flow against a real OpenID provider (oidc-provider) and the hub's own next-auth handler.
const testDb = useTestDatabase();
let hub: Awaited<ReturnType<typeof startAuthRouteServer>>;
let idp: TestOidcProvider;

beforeAll(async () => {
  hub = await startAuthRouteServer();
  idp = await startTestOidcProvider({
    clientId: "flip-test",
    clientSecret: "flip-test-secret",
    redirectUri: `${hub.url}/api/auth/callback/oidc`,
    accounts: [
      { login: "rosa", sub: "idp-rosa", email: "rosa@test.flip", name: "Rosa" },
      { login: "stranger", sub: "idp-stranger", email: "stranger@test.flip" },
      { login: "unverified", sub: "idp-unverified", email: "rosa@test.flip", emailVerified: false },
    ],
  });
  // Read once, by the hub's configuration, on first use (after this).
  Object.assign(process.env, {
    DATABASE_URL: testDb.url(),
    NEXTAUTH_URL: hub.url,
    NEXTAUTH_SECRET: "sso-callback-test-secret-of-forty-characters",
    FLIP_OIDC_ISSUER: idp.issuer,
    FLIP_OIDC_CLIENT_ID: "flip-test",
    FLIP_OIDC_CLIENT_SECRET: "flip-test-secret",
    FLIP_OIDC_ALLOWED_DOMAINS: "test.flip",
    FLIP_OIDC_DISPLAY_NAME: "Test IdP",
  });
});

afterAll(async () => {
  await idp.close();
  await hub.close();
  await (await getDb()).$client.end();
});

describe("single sign-on through next-auth against a real OpenID provider", () => {
  it("signs a person in with PKCE, state and nonce, into the account an admin created", async () => {
    const user = await makeUser(testDb.db(), [{ role: "researcher" }], { email: "rosa@test.flip" });
    const browser = new SsoBrowser(hub.url);
    const authorize = await browser.startSignIn("/projects");
    expect(authorize.origin).toBe(idp.issuer);
    expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorize.searchParams.get("state")).toBeTruthy();
    expect(authorize.searchParams.get("nonce")).toBeTruthy();
    expect(authorize.searchParams.get("scope")).toBe("openid email profile");

    const landed = await browser.follow(authorize, "rosa");
    expect(landed.href).toBe(`${hub.url}/projects`);
    expect(await browser.sessionUserId()).toBe(user.id);
    const links = await testDb.db().select().from(ssoIdentities).where(eq(ssoIdentities.userId, user.id));
    expect(links).toMatchObject([{ issuer: idp.issuer, subject: "idp-rosa" }]);
    expect((await auditFor(testDb.db(), "user:rosa@test.flip")).map((e) => e.action)).toEqual([
      "auth.sso_linked",
      "auth.sso_signed_in",
    ]);
  });

  it("sends an e-mail with no account to the refusal, without a session", async () => {
    const browser = new SsoBrowser(hub.url);
    const landed = await browser.follow(await browser.startSignIn(), "stranger");
    expect(`${landed.pathname}${landed.search}`).toBe("/signin?error=sso_no_account&email=stranger%40test.flip");
    expect(await browser.sessionUserId()).toBeNull();
  });

  it("refuses an identity whose e-mail the provider has not verified, though an account uses it", async () => {
    const browser = new SsoBrowser(hub.url);
    const landed = await browser.follow(await browser.startSignIn(), "unverified");
    expect(landed.searchParams.get("error")).toBe("sso_unverified_email");
    expect(await browser.sessionUserId()).toBeNull();
  });

  it("refuses a callback whose state is not the one this browser was given", async () => {
    const browser = new SsoBrowser(hub.url);
    const landed = await browser.follow(await browser.startSignIn(), "rosa", (callback) => {
      const forged = new URL(callback);
      forged.searchParams.set("state", "forged-state");
      return forged;
    });
    expect(landed.pathname).toBe("/signin");
    expect(landed.searchParams.get("error")).toBe("OAuthCallback");
    expect(await browser.sessionUserId()).toBeNull();
  });

  it("refuses a code replayed into another browser, which holds no PKCE verifier or state for it", async () => {
    const victim = new SsoBrowser(hub.url);
    let stolen: URL | undefined;
    await victim.follow(await victim.startSignIn(), "rosa", (callback) => {
      stolen = callback;
      return new URL("/signin", hub.url);
    });
    const attacker = new SsoBrowser(hub.url);
    await attacker.startSignIn();
    const landed = await attacker.follow(stolen!, "rosa");
    expect(landed.searchParams.get("error")).toBe("OAuthCallback");
    expect(await attacker.sessionUserId()).toBeNull();
  });
});
