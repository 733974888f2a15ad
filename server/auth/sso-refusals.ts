/**
 * Why a single sign-on was refused, and what the person is told. The reason travels in the sign-in
 * page's address (`/signin?error=sso_no_account&email=…`); the e-mail is shown only when it looks
 * like one, so a crafted link cannot put other words in the portal's mouth.
 */
export const SSO_REFUSALS = [
  "sso_not_configured",
  "sso_no_email",
  "sso_unverified_email",
  "sso_domain_not_allowed",
  "sso_no_account",
  "sso_disabled",
  "sso_linked_elsewhere",
] as const;

export type SsoRefusal = (typeof SSO_REFUSALS)[number];

const SSO_REFUSAL_NOT_CONFIGURED =
  "SSO sign-in is not configured on this portal. Sign in with your email and password, or ask a platform admin.";

const LOOKS_LIKE_EMAIL = /^[^\s@<>"]{1,64}@[a-z0-9.-]{1,253}$/i;

function isRefusal(code: string): code is SsoRefusal {
  return (SSO_REFUSALS as readonly string[]).includes(code);
}

/** The address the person is sent to when a sign-in is refused. */
export function refusalUrl(reason: SsoRefusal, email?: string): string {
  const params = new URLSearchParams({ error: reason });
  if (email) params.set("email", email);
  return `/signin?${params.toString()}`;
}

/**
 * The sentence the sign-in page shows for an `error` in its address: one of ours, or one of
 * next-auth's codes for a flow that failed before the account was looked at. Null for no error.
 */
export function signInErrorMessage(
  code: string | undefined,
  rawEmail: string | undefined,
  provider: string | null,
): string | null {
  if (!code) return null;
  const idp = provider ?? "single sign-on";
  const email = rawEmail && LOOKS_LIKE_EMAIL.test(rawEmail) ? rawEmail : undefined;
  const yourEmail = email ?? "your e-mail address";
  if (isRefusal(code)) {
    switch (code) {
      case "sso_not_configured":
        return SSO_REFUSAL_NOT_CONFIGURED;
      case "sso_no_email":
        return `${idp} did not say which e-mail address you use, so no FLIP account can be found for you. Ask your IT service desk to release your e-mail address to FLIP.`;
      case "sso_unverified_email":
        return `${idp} has not verified ${yourEmail}, so FLIP cannot use it to find your account. Verify it with your IT service desk, then try again.`;
      case "sso_domain_not_allowed":
        return `${yourEmail} is not in a domain allowed to sign in to this portal with ${idp}. Sign in with your work account.`;
      case "sso_no_account":
        return `No FLIP account uses ${yourEmail}. Ask a platform admin to create one.`;
      case "sso_disabled":
        return "This account is disabled. Ask a platform admin to enable it.";
      case "sso_linked_elsewhere":
        return `The FLIP account for ${yourEmail} is already linked to a different ${idp} identity. Ask a platform admin to check it.`;
    }
  }
  const isSsoFlow = ["OAuthSignin", "OAuthCallback", "Callback", "OAuthCreateAccount"].includes(code);
  if (isSsoFlow && !provider) return SSO_REFUSAL_NOT_CONFIGURED;
  switch (code) {
    case "OAuthSignin":
      return `Sign-in with ${idp} could not start: the identity provider did not answer. Try again in a minute; if it keeps happening, tell a platform admin.`;
    case "OAuthCallback":
    case "Callback":
    case "OAuthCreateAccount":
      return `${idp}'s answer could not be verified, so you were not signed in. Try again; if it keeps happening, tell a platform admin.`;
    default:
      return "Sign-in failed. Try again.";
  }
}
