import type { Profile, User } from "next-auth";
import type { OAuthConfig } from "next-auth/providers/oauth";
import type { Database } from "@/db/client";
import { refusalUrl } from "./sso-refusals";
import { signInWithSso, type SsoIdentity } from "./sso-sign-in.service";
import type { SsoSettings } from "./sso-settings";

export const SSO_PROVIDER_ID = "oidc";

type OidcClaims = Profile & { iss?: unknown; sub?: unknown; email?: unknown; email_verified?: unknown; name?: unknown };

/**
 * The OpenID Connect provider for next-auth: discovery from the issuer's well-known document,
 * authorisation code flow with PKCE, state and nonce, and an ID token that openid-client checks
 * (signature from the provider's JWKS, issuer, audience, expiry, nonce) before anything here runs.
 * Claims come from the ID token; a provider that keeps e-mail for its userinfo endpoint (several do,
 * as the standard suggests for the code flow) is asked there, for the same subject.
 */
export function ssoProvider(settings: SsoSettings): OAuthConfig<OidcClaims> {
  return {
    id: SSO_PROVIDER_ID,
    name: settings.displayName,
    type: "oauth",
    wellKnown: `${settings.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`,
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    idToken: true,
    checks: ["pkce", "state", "nonce"],
    authorization: { params: { scope: "openid email profile" } },
    userinfo: {
      async request({ tokens, client }) {
        // next-auth types these as plain parameters; at run time they are openid-client's TokenSet.
        const tokenSet = tokens as Extract<Parameters<typeof client.userinfo>[0], { claims: unknown }>;
        const claims = tokenSet.claims() as OidcClaims;
        if (claims.email !== undefined && claims.email_verified !== undefined) return claims;
        if (!client.issuer.metadata.userinfo_endpoint) return claims;
        // openid-client refuses a userinfo answer about another subject than the ID token's.
        const userinfo = (await client.userinfo(tokenSet)) as OidcClaims;
        return {
          ...userinfo,
          ...claims,
          email: claims.email ?? userinfo.email,
          email_verified: claims.email_verified ?? userinfo.email_verified,
        };
      },
    },
    profile(claims) {
      const identity = ssoIdentityOf(claims);
      return { id: identity.subject, email: identity.email ?? null, name: identity.name ?? null };
    },
  };
}

/** The claims the account matching reads; `email_verified` counts only when it is literally true. */
export function ssoIdentityOf(claims: OidcClaims): SsoIdentity {
  return {
    issuer: typeof claims.iss === "string" ? claims.iss : "",
    subject: typeof claims.sub === "string" ? claims.sub : "",
    email: typeof claims.email === "string" ? claims.email : undefined,
    // Some providers send the string "true".
    emailVerified: claims.email_verified === true || claims.email_verified === "true",
    name: typeof claims.name === "string" ? claims.name : undefined,
  };
}

/**
 * next-auth's signIn callback for single sign-on: true with `user` now naming the FLIP account (next-auth
 * hands this same object to the jwt callback, which keeps `user.id`), or the refusal page's address.
 */
export async function completeSsoSignIn(
  db: Database,
  settings: SsoSettings | null,
  user: User,
  claims: OidcClaims | undefined,
): Promise<true | string> {
  const outcome = await signInWithSso(db, settings, ssoIdentityOf(claims ?? {}));
  if (!outcome.ok) return refusalUrl(outcome.reason, outcome.email);
  Object.assign(user, outcome.user);
  return true;
}
