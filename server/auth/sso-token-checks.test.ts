import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ssoIdentities } from "@/db/schema";
import { getDb } from "@/server/database/get-db";
import { FIXTURE_PASSWORD, makeUser } from "@/server/lib/test-support/fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { startAuthRouteServer } from "./test-support/auth-route-server";
import { startRogueOidcProvider, type RogueFault, type RogueOidcProvider } from "./test-support/rogue-oidc-provider";
import { SsoBrowser } from "./test-support/sso-browser";

// ID tokens a certified provider never issues, each driven through the hub's real next-auth callback.
const testDb = useTestDatabase();
const EMAIL = "rosa@test.flip";
let hub: Awaited<ReturnType<typeof startAuthRouteServer>>;
let idp: RogueOidcProvider;
let user: Awaited<ReturnType<typeof makeUser>>;

beforeAll(async () => {
  hub = await startAuthRouteServer();
  idp = await startRogueOidcProvider({ clientId: "flip-test", email: EMAIL });
  Object.assign(process.env, {
    DATABASE_URL: testDb.url(),
    NEXTAUTH_URL: hub.url,
    NEXTAUTH_SECRET: "sso-token-checks-test-secret-of-40-chars",
    FLIP_OIDC_ISSUER: idp.issuer,
    FLIP_OIDC_CLIENT_ID: "flip-test",
    FLIP_OIDC_CLIENT_SECRET: "flip-test-secret",
    FLIP_OIDC_ALLOWED_DOMAINS: "test.flip",
    // This deployment signs in with SSO only.
    FLIP_PASSWORD_SIGNIN: "false",
  });
  // The account the provider's e-mail names exists, so a refusal can only be the token's fault.
  user = await makeUser(testDb.db(), [{ role: "researcher" }], { email: EMAIL });
});

afterAll(async () => {
  await idp.close();
  await hub.close();
  await (await getDb()).$client.end();
});

async function signInWith(fault: RogueFault) {
  idp.misbehave(fault);
  const browser = new SsoBrowser(hub.url);
  const landed = await browser.follow(await browser.startSignIn(), "unused");
  return { landed, userId: await browser.sessionUserId() };
}

describe("ID token checks on the hub's next-auth callback", () => {
  it.each([
    ["for another client (wrong audience)", "wrong-audience"],
    ["from another issuer", "wrong-issuer"],
    ["that has expired", "expired"],
    ["with a nonce this browser never sent", "wrong-nonce"],
    ["without the nonce", "no-nonce"],
    ["signed with a key the provider does not publish", "foreign-key"],
  ] as const)("refuses an ID token %s: no session, no link", async (_case, fault) => {
    const { landed, userId } = await signInWith(fault);
    expect(landed.pathname).toBe("/signin");
    expect(landed.searchParams.get("error")).toBe("OAuthCallback");
    expect(userId).toBeNull();
    expect(await testDb.db().$count(ssoIdentities)).toBe(0);
  });

  it("accepts the same provider's token when nothing is wrong with it", async () => {
    const { landed, userId } = await signInWith("none");
    expect(landed.href).toBe(`${hub.url}/`);
    expect(userId).toBe(user.id);
  });

  it("refuses password sign-in where the deployment switched it off, and says how to sign in", async () => {
    const csrf = await fetch(`${hub.url}/api/auth/csrf`);
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const response = await fetch(`${hub.url}/api/auth/callback/credentials`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        cookie: csrf.headers
          .getSetCookie()
          .map((line) => line.split(";")[0])
          .join("; "),
      },
      body: new URLSearchParams({ csrfToken, email: EMAIL, password: FIXTURE_PASSWORD, json: "true" }),
    });
    const { url } = (await response.json()) as { url: string };
    expect(new URL(url).searchParams.get("error")).toBe(
      "Password sign-in is turned off for this portal. Sign in with single sign-on.",
    );
    expect(response.headers.getSetCookie().some((c) => c.startsWith("next-auth.session-token="))).toBe(false);
  });
});
