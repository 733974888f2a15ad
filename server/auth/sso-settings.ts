import { getHubConfig, type HubConfig } from "@/server/config";

export type SsoSettings = {
  issuer: string;
  clientId: string;
  clientSecret: string;
  allowedDomains: string[];
  displayName: string;
  selfRegistration: boolean;
};

/** Single sign-on as this deployment configures it, or null when FLIP_OIDC_ISSUER is unset. */
export function ssoSettings(config: HubConfig = getHubConfig()): SsoSettings | null {
  const { FLIP_OIDC_ISSUER: issuer, FLIP_OIDC_CLIENT_ID: clientId, FLIP_OIDC_CLIENT_SECRET: clientSecret } = config;
  // The configuration check makes the client settings required with an issuer.
  if (!issuer || !clientId || !clientSecret) return null;
  return {
    issuer,
    clientId,
    clientSecret,
    allowedDomains: config.FLIP_OIDC_ALLOWED_DOMAINS,
    displayName: config.FLIP_OIDC_DISPLAY_NAME,
    selfRegistration: config.FLIP_OIDC_SELF_REGISTRATION,
  };
}

export function isPasswordSignInEnabled(config: HubConfig = getHubConfig()): boolean {
  return config.FLIP_PASSWORD_SIGNIN;
}
