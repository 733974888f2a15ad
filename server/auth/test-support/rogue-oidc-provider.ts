import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";

/** What the provider gets wrong in the ID token it issues next. */
export type RogueFault =
  "none" | "wrong-audience" | "wrong-issuer" | "expired" | "wrong-nonce" | "foreign-key" | "no-nonce";

export type RogueOidcProvider = {
  issuer: string;
  /** Sets the fault for the tokens issued from now on. */
  misbehave: (fault: RogueFault) => void;
  close: () => Promise<void>;
};

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/**
 * A deliberately misbehaving OpenID provider for the ID-token checks that a certified provider will
 * never fail: it publishes a normal discovery document and JWKS, approves every authorisation request
 * at once, and signs (with jose) an ID token that is correct except for the chosen fault. With
 * fault "none" its tokens are valid, so a test can show the same flow succeeds when nothing is wrong.
 */
export async function startRogueOidcProvider(options: { clientId: string; email: string }): Promise<RogueOidcProvider> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const stranger = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "rogue-key", alg: "RS256", use: "sig" };
  const codes = new Map<string, { nonce: string | null }>();
  let fault: RogueFault = "none";

  async function idToken(nonce: string | null): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      email: options.email,
      email_verified: true,
      ...(fault === "no-nonce" ? {} : { nonce: fault === "wrong-nonce" ? "not-the-nonce-you-sent" : nonce }),
    };
    return new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid: "rogue-key" })
      .setIssuer(fault === "wrong-issuer" ? "http://127.0.0.1:1/another-issuer" : issuer)
      .setAudience(fault === "wrong-audience" ? "some-other-client" : options.clientId)
      .setSubject("rogue-subject")
      .setIssuedAt(fault === "expired" ? now - 7200 : now)
      .setExpirationTime(fault === "expired" ? now - 3600 : now + 300)
      .sign(fault === "foreign-key" ? stranger.privateKey : privateKey);
  }

  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", issuer);
    void (async () => {
      switch (url.pathname) {
        case "/.well-known/openid-configuration":
          return json(res, 200, {
            issuer,
            authorization_endpoint: `${issuer}/authorize`,
            token_endpoint: `${issuer}/token`,
            jwks_uri: `${issuer}/jwks`,
            response_types_supported: ["code"],
            subject_types_supported: ["public"],
            id_token_signing_alg_values_supported: ["RS256"],
            code_challenge_methods_supported: ["S256"],
          });
        case "/jwks":
          return json(res, 200, { keys: [jwk] });
        case "/authorize": {
          const code = `code-${codes.size + 1}`;
          codes.set(code, { nonce: url.searchParams.get("nonce") });
          const back = new URL(url.searchParams.get("redirect_uri") ?? "");
          back.searchParams.set("code", code);
          back.searchParams.set("state", url.searchParams.get("state") ?? "");
          res.writeHead(302, { location: back.href });
          return res.end();
        }
        case "/token": {
          const grant = codes.get((await readForm(req)).get("code") ?? "");
          if (!grant) return json(res, 400, { error: "invalid_grant" });
          return json(res, 200, {
            access_token: "rogue-access-token",
            token_type: "Bearer",
            expires_in: 300,
            id_token: await idToken(grant.nonce),
          });
        }
        default:
          res.writeHead(404).end();
      }
    })();
  });

  return {
    issuer,
    misbehave: (next) => (fault = next),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
