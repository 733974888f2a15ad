import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair } from "jose";
import Provider, { type KoaContextWithOIDC } from "oidc-provider";

/** A person the test provider knows; they sign in at its login page with `login` and any password. */
export type TestIdpAccount = { login: string; sub: string; email?: string; emailVerified?: boolean; name?: string };

export type TestOidcProvider = { issuer: string; close: () => Promise<void> };

type Options = {
  port?: number;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  accounts: readonly TestIdpAccount[];
};

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function loginPage(action: string, error?: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test IdP sign-in</title></head><body>
<main><h1>Test IdP</h1>${error ? `<p role="alert">${escapeHtml(error)}</p>` : ""}
<form method="post" action="${escapeHtml(action)}">
<label>Username <input name="login" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Continue</button></form></main></body></html>`;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

/**
 * A real, certified OpenID provider (the `oidc-provider` package) on loopback, for tests: one
 * confidential client that must use PKCE, RS256 ID tokens, e-mail claims released through the
 * userinfo endpoint as the standard prescribes for the code flow, and its own plain login page.
 * Consent is implied, as an organisation's provider does for an application its admins registered.
 */
export async function startTestOidcProvider(options: Options): Promise<TestOidcProvider> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const accounts = new Map(options.accounts.map((a) => [a.login, a]));

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: options.clientId,
        client_secret: options.clientSecret,
        redirect_uris: [options.redirectUri],
        grant_types: ["authorization_code"],
        response_types: ["code"],
      },
    ],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: "test-key", alg: "RS256", use: "sig" }] },
    cookies: { keys: ["flip-test-idp-cookie-key"] },
    pkce: { required: () => true },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    findAccount: (_ctx, id) => {
      const account = [...accounts.values()].find((a) => a.sub === id);
      if (!account) return undefined;
      return {
        accountId: id,
        claims: () => ({
          sub: account.sub,
          ...(account.email === undefined
            ? {}
            : { email: account.email, email_verified: account.emailVerified ?? true }),
          name: account.name,
        }),
      };
    },
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      const { client, session } = ctx.oidc;
      if (!client || !session?.accountId) return undefined;
      const grantId = session.grantIdFor(client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope("openid email profile");
      await grant.save();
      return grant;
    },
  });

  const callback = provider.callback();
  async function interaction(req: IncomingMessage, res: ServerResponse) {
    const { uid } = await provider.interactionDetails(req, res);
    const action = `/interaction/${uid}`;
    if (req.method !== "POST") return send(res, 200, loginPage(action));
    const form = await readForm(req);
    const account = accounts.get(form.get("login") ?? "");
    if (!account || !form.get("password")) return send(res, 200, loginPage(action, "Unknown username or password."));
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: account.sub } },
      { mergeWithLastSubmission: false },
    );
  }
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith("/interaction/")) {
      interaction(req, res).catch((error: unknown) => send(res, 400, escapeHtml(String(error))));
      return;
    }
    void callback(req, res);
  });

  return {
    issuer,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(res: ServerResponse, status: number, html: string) {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8" });
  res.end(html);
}
