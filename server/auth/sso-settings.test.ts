import { describe, expect, it } from "vitest";
import { ConfigError, parseHubConfig } from "@/server/config";
import { signInErrorMessage } from "./sso-refusals";
import { isPasswordSignInEnabled, ssoSettings } from "./sso-settings";

const SSO = {
  FLIP_OIDC_ISSUER: "https://login.microsoftonline.com/tenant/v2.0",
  FLIP_OIDC_CLIENT_ID: "flip-portal",
  FLIP_OIDC_CLIENT_SECRET: "client-secret",
  FLIP_OIDC_ALLOWED_DOMAINS: "NHS.net, nhs.uk",
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    parseHubConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("the configuration was accepted");
}

describe("single sign-on settings", () => {
  it("are off unless an issuer is set, and passwords are on by default", () => {
    const config = parseHubConfig({});
    expect(ssoSettings(config)).toBeNull();
    expect(isPasswordSignInEnabled(config)).toBe(true);
  });

  it("read the provider, lower-cased domains, display name and switches", () => {
    const config = parseHubConfig({
      ...SSO,
      FLIP_OIDC_DISPLAY_NAME: "NHSmail",
      FLIP_OIDC_SELF_REGISTRATION: "true",
      FLIP_PASSWORD_SIGNIN: "false",
    });
    expect(ssoSettings(config)).toEqual({
      issuer: SSO.FLIP_OIDC_ISSUER,
      clientId: "flip-portal",
      clientSecret: "client-secret",
      allowedDomains: ["nhs.net", "nhs.uk"],
      displayName: "NHSmail",
      selfRegistration: true,
    });
    expect(isPasswordSignInEnabled(config)).toBe(false);
  });

  it("refuse an issuer without its client and domains, naming each missing variable", () => {
    expect(problemsOf({ FLIP_OIDC_ISSUER: SSO.FLIP_OIDC_ISSUER })).toEqual([
      "FLIP_OIDC_CLIENT_ID must be set when FLIP_OIDC_ISSUER is (single sign-on needs it)",
      "FLIP_OIDC_CLIENT_SECRET must be set when FLIP_OIDC_ISSUER is (single sign-on needs it)",
      "FLIP_OIDC_ALLOWED_DOMAINS must be set when FLIP_OIDC_ISSUER is (single sign-on needs it)",
    ]);
  });

  it("refuse switching passwords off without single sign-on, since nobody could sign in", () => {
    expect(problemsOf({ FLIP_PASSWORD_SIGNIN: "false" })).toEqual([
      "FLIP_PASSWORD_SIGNIN=false needs single sign-on (FLIP_OIDC_ISSUER and its settings): nobody could sign in",
    ]);
  });

  it("refuse a malformed domain, switch or issuer", () => {
    expect(problemsOf({ ...SSO, FLIP_OIDC_ALLOWED_DOMAINS: "nhs.net, @nhs.uk" })).toEqual([
      'FLIP_OIDC_ALLOWED_DOMAINS must be e-mail domains, comma-separated (like "nhs.net, nhs.uk"); not a domain: "@nhs.uk"',
    ]);
    expect(problemsOf({ ...SSO, FLIP_OIDC_SELF_REGISTRATION: "yes" })).toEqual([
      'FLIP_OIDC_SELF_REGISTRATION must be "true" or "false" (got "yes")',
    ]);
    expect(problemsOf({ ...SSO, FLIP_OIDC_ISSUER: "login.example" })).toEqual([
      'FLIP_OIDC_ISSUER must be a URL like https://login.microsoftonline.com/<tenant>/v2.0 (got "login.example")',
    ]);
  });
});

describe("the sign-in page's refusal messages", () => {
  it("name the e-mail and what to do", () => {
    expect(signInErrorMessage("sso_no_account", "alice@x.nhs.uk", "NHSmail")).toBe(
      "No FLIP account uses alice@x.nhs.uk. Ask a platform admin to create one.",
    );
    expect(signInErrorMessage("sso_not_configured", undefined, null)).toBe(
      "SSO sign-in is not configured on this portal. Sign in with your email and password, or ask a platform admin.",
    );
    expect(signInErrorMessage("OAuthCallback", undefined, "NHSmail")).toBe(
      "NHSmail's answer could not be verified, so you were not signed in. Try again; if it keeps happening, tell a platform admin.",
    );
    expect(signInErrorMessage("OAuthCallback", undefined, null)).toBe(
      "SSO sign-in is not configured on this portal. Sign in with your email and password, or ask a platform admin.",
    );
    expect(signInErrorMessage("Configuration", undefined, null)).toBe("Sign-in failed. Try again.");
    expect(signInErrorMessage(undefined, undefined, "NHSmail")).toBeNull();
  });

  it("never repeat words a crafted link puts in the e-mail parameter", () => {
    const message = signInErrorMessage("sso_no_account", "call 0800 000 000 to verify your account", "NHSmail");
    expect(message).toBe("No FLIP account uses your e-mail address. Ask a platform admin to create one.");
  });
});
