import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { getDb } from "@/server/database/get-db";
import { AppError } from "@/server/errors";
import { sessionSigningSecret } from "@/server/lib/local-secrets";
import { clientIp } from "./client-ip";
import { getHubConfig } from "@/server/config";
import { signInWithPasskey } from "@/server/passkeys/passkey-sign-in";
import { usesSecureCookies } from "./session-cookie";
import { endSessions, recordFactorVerified, startSession } from "./sessions";
import { loadSessionViewer } from "./viewer";
import { forgetAllKept } from "@/server/database/notified-cache";
import { signInWithPassword } from "./sign-in.service";
import { signInRequestDetails } from "./request-details";
import { completeSsoSignIn, SSO_PROVIDER_ID, ssoProvider } from "./sso-provider";
import { isPasswordSignInEnabled, ssoSettings } from "./sso-settings";

// The JWT's role summary is refreshed this often, so a revoked grant or disabled account drops out of it within a minute.
const REFRESH_MS = 30_000;

/** next-auth passes an Error's message to the sign-in page verbatim: only AppError messages are meant for people. */
async function withSignInMessages<T>(signIn: () => Promise<T>): Promise<T> {
  try {
    return await signIn();
  } catch (error) {
    if (error instanceof AppError) throw new Error(error.message);
    throw error;
  }
}

function passwordProvider(ssoName: string | undefined) {
  return CredentialsProvider({
    name: "Email and password",
    credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
    async authorize(credentials, req) {
      if (!isPasswordSignInEnabled())
        throw new Error(`Password sign-in is turned off for this portal. Sign in with ${ssoName ?? "single sign-on"}.`);
      return withSignInMessages(async () => signInWithPassword(await getDb(), credentials, clientIp(req?.headers)));
    },
  });
}

// Usernameless: the browser's passkey answer (JSON) to a challenge from passkeys.signInOptions.
function passkeyProvider() {
  return CredentialsProvider({
    id: "passkey",
    name: "Passkey",
    credentials: { response: { label: "Passkey answer", type: "text" } },
    authorize: (credentials) => withSignInMessages(async () => signInWithPasskey(await getDb(), credentials)),
  });
}

export const authOptions: NextAuthOptions = {
  // Read when next-auth first needs it, never at build time. Without NEXTAUTH_SECRET (allowed
  // outside production) next-auth would derive a predictable key; this one is random per data folder.
  get secret() {
    return sessionSigningSecret();
  },
  // Stated, not left to next-auth's own guess, so getViewer reads the cookie by the same name.
  get useSecureCookies() {
    return usesSecureCookies(getHubConfig().NEXTAUTH_URL);
  },
  // The cookie lives as long as the longest session may; the session row decides when it really ends.
  session: {
    strategy: "jwt",
    get maxAge() {
      return getHubConfig().FLIP_SESSION_MAX_HOURS * 60 * 60;
    },
  },
  // next-auth's own errors (a provider that did not answer, an ID token that failed its checks) land there too.
  pages: { signIn: "/signin", error: "/signin" },
  // Read per request, never at build time: single sign-on is configured by the environment.
  get providers() {
    const sso = ssoSettings();
    return [passwordProvider(sso?.displayName), passkeyProvider(), ...(sso ? [ssoProvider(sso)] : [])];
  },
  callbacks: {
    // Single sign-on finds the FLIP account here and sets `user.id`; a refusal goes to a page that says why.
    async signIn({ user, account, profile }) {
      if (account?.provider !== SSO_PROVIDER_ID) return true;
      return completeSsoSignIn(await getDb(), ssoSettings(), user, profile);
    },
    async jwt({ token, user, account }) {
      if (user) {
        token.sub = user.id;
        const method =
          account?.provider === "credentials" ? "password" : account?.provider === "passkey" ? "passkey" : "sso";
        const db = await getDb();
        token.sid = await startSession(db, { userId: user.id, method, ...(await signInRequestDetails()) });
        // A user-verified passkey is both factors: such a session has proved its second factor at sign-in.
        if (method === "passkey") await recordFactorVerified(db, token.sid);
        token.signedInAt = Date.now();
        token.refreshedAt = 0;
      }
      if (token.sub && Date.now() - (token.refreshedAt ?? 0) > REFRESH_MS) {
        const viewer = token.sid
          ? await loadSessionViewer(await getDb(), { userId: token.sub, sessionId: token.sid })
          : null;
        token.active = !!viewer;
        token.mustChangePassword = viewer?.mustChangePassword ?? false;
        token.grants = viewer?.grants.map((g) => ({ role: g.role, siteCode: g.siteCode })) ?? [];
        token.refreshedAt = Date.now();
      }
      return token;
    },
    session({ session, token }) {
      return {
        ...session,
        user: { ...session.user, id: token.sub ?? "", grants: token.active ? (token.grants ?? []) : [] },
        signedInAt: token.signedInAt ?? 0,
        sessionId: token.sid ?? "",
        active: token.active ?? false,
      };
    },
  },
  events: {
    async signOut({ token }) {
      if (!token?.sid) return;
      const db = await getDb();
      await endSessions(db, { sessionId: token.sid, reason: "signed_out" });
      forgetAllKept(db);
    },
  },
};
