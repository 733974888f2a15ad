import { decode } from "next-auth/jwt";
import { authOptions } from "@/server/auth/auth-options";

/**
 * A cookie-keeping HTTP client that plays the browser in a single sign-on: it presses "Sign in with …"
 * at the hub's next-auth endpoints, follows redirects between hub and provider (one cookie jar per
 * origin, as a browser keeps them), answers the provider's login page, and stops where the hub finally
 * sends it: the callbackUrl, or the sign-in page with a refusal.
 */
export class SsoBrowser {
  private readonly jars = new Map<string, Map<string, string>>();

  constructor(private readonly portalUrl: string) {}

  private jar(url: URL) {
    let jar = this.jars.get(url.origin);
    if (!jar) this.jars.set(url.origin, (jar = new Map()));
    return jar;
  }

  private async request(url: URL, form?: Record<string, string>): Promise<Response> {
    const jar = this.jar(url);
    const response = await fetch(url, {
      method: form ? "POST" : "GET",
      headers: {
        cookie: [...jar].map(([k, v]) => `${k}=${v}`).join("; "),
        ...(form ? { "content-type": "application/x-www-form-urlencoded" } : {}),
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
      redirect: "manual",
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";");
      const name = pair.slice(0, pair.indexOf("=")).trim();
      const value = pair.slice(pair.indexOf("=") + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === "";
      if (expired) jar.delete(name);
      else jar.set(name, value);
    }
    return response;
  }

  /** Presses "Sign in with …": where next-auth sends the browser (the provider's authorisation endpoint). */
  async startSignIn(callbackUrl = "/"): Promise<URL> {
    const csrf = (await (await this.request(new URL("/api/auth/csrf", this.portalUrl))).json()) as {
      csrfToken: string;
    };
    const started = await this.request(new URL("/api/auth/signin/oidc", this.portalUrl), {
      csrfToken: csrf.csrfToken,
      callbackUrl,
      json: "true",
    });
    const { url } = (await started.json()) as { url: string };
    return new URL(url);
  }

  /**
   * Follows redirects from `start`, signing in as `login` if a login page appears, until the browser
   * reaches a hub page outside /api/auth; `tamper` may rewrite the address the provider sends back.
   */
  async follow(start: URL, login: string, tamper: (callback: URL) => URL = (u) => u): Promise<URL> {
    let url = start;
    let form: Record<string, string> | undefined;
    let tampered = false;
    for (let hop = 0; hop < 12; hop++) {
      const isPortal = url.origin === new URL(this.portalUrl).origin;
      if (isPortal && !url.pathname.startsWith("/api/auth/")) return url;
      if (isPortal && url.pathname.startsWith("/api/auth/callback/") && !tampered) {
        tampered = true;
        url = tamper(url);
        continue;
      }
      const response = await this.request(url, form);
      form = undefined;
      const location = response.headers.get("location");
      if (location) {
        url = new URL(location, url);
        continue;
      }
      const page = await response.text();
      if (!page.includes('name="login"'))
        throw new Error(`${url.href} answered ${response.status}: ${page.slice(0, 300)}`);
      form = { login, password: "any-password" };
    }
    throw new Error("too many redirects");
  }

  /** The FLIP user id in the hub's session cookie, or null when the browser has no session. */
  async sessionUserId(): Promise<string | null> {
    const token = this.jar(new URL(this.portalUrl)).get("next-auth.session-token");
    if (!token) return null;
    const jwt = await decode({ token, secret: authOptions.secret! });
    return jwt?.sub ?? null;
  }
}
