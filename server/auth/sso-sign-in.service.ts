import { randomBytes } from "node:crypto";
import { and, eq } from "drizzle-orm";
import type { Database, Tx } from "@/db/client";
import { ssoIdentities, users, type User } from "@/db/schema";
import { recordAudit } from "@/server/audit/audit.service";
import { metrics } from "@/server/observability/metrics";
import type { Actor } from "./actor";
import { hashPassword } from "./password";
import type { SsoRefusal } from "./sso-refusals";
import type { SsoSettings } from "./sso-settings";

/** What a validated ID token (and the provider's userinfo) says about the person. */
export type SsoIdentity = {
  issuer: string;
  subject: string;
  email?: string;
  emailVerified: boolean;
  name?: string;
};

export type SsoOutcome =
  { ok: true; user: { id: string; email: string; name: string } } | { ok: false; reason: SsoRefusal; email?: string };

const SSO_SYSTEM: Actor = { type: "system", label: "sso" };

/**
 * Finds the FLIP account for a person the OpenID provider vouched for. An identity linked before is
 * found by (issuer, subject), whatever its e-mail says now. Otherwise the VERIFIED e-mail, within the
 * allowed domains, must belong to an account an admin created; the identity is then linked to it.
 * With self-registration on, an unknown verified e-mail gets a new account without roles. Disabled
 * accounts are refused; the password limiter is not consulted, so a person locked out by someone
 * else's wrong passwords can still sign in here. Every outcome is audited.
 */
export async function signInWithSso(
  db: Database,
  settings: SsoSettings | null,
  identity: SsoIdentity,
): Promise<SsoOutcome> {
  if (!settings || !isSameIssuer(identity.issuer, settings.issuer)) return refuse(db, identity, "sso_not_configured");

  const [linked] = await db
    .select({ user: users })
    .from(ssoIdentities)
    .innerJoin(users, eq(users.id, ssoIdentities.userId))
    .where(and(eq(ssoIdentities.issuer, identity.issuer), eq(ssoIdentities.subject, identity.subject)));
  if (linked) {
    if (linked.user.disabled) return refuse(db, identity, "sso_disabled", linked.user);
    return db.transaction(async (tx) => {
      await tx
        .update(ssoIdentities)
        .set({ lastSignInAt: new Date() })
        .where(and(eq(ssoIdentities.issuer, identity.issuer), eq(ssoIdentities.subject, identity.subject)));
      return signedIn(tx, identity, linked.user);
    });
  }

  const email = identity.email?.trim().toLowerCase();
  if (!email) return refuse(db, identity, "sso_no_email");
  if (!identity.emailVerified) return refuse(db, identity, "sso_unverified_email", undefined, email);
  const domain = email.slice(email.lastIndexOf("@") + 1);
  if (!settings.allowedDomains.includes(domain))
    return refuse(db, identity, "sso_domain_not_allowed", undefined, email);

  const [user] = await db.select().from(users).where(eq(users.email, email));
  if (!user) {
    if (!settings.selfRegistration) return refuse(db, identity, "sso_no_account", undefined, email);
    return registerUser(db, identity, email);
  }
  if (user.disabled) return refuse(db, identity, "sso_disabled", user, email);
  const [other] = await db
    .select({ subject: ssoIdentities.subject })
    .from(ssoIdentities)
    .where(and(eq(ssoIdentities.issuer, identity.issuer), eq(ssoIdentities.userId, user.id)));
  if (other) return refuse(db, identity, "sso_linked_elsewhere", user, email);

  const retiredPassword = user.mustChangePassword ? await unusablePasswordHash() : undefined;
  return db.transaction(async (tx) => {
    await tx.insert(ssoIdentities).values({
      issuer: identity.issuer,
      subject: identity.subject,
      userId: user.id,
      linkedEmail: email,
    });
    // A temporary password an admin handed out is no longer needed: the provider vouches for the person now.
    if (retiredPassword)
      await tx
        .update(users)
        .set({ passwordHash: retiredPassword, mustChangePassword: false })
        .where(eq(users.id, user.id));
    await recordAudit(tx, {
      actor: user,
      action: "auth.sso_linked",
      subject: `user:${user.email}`,
      details: { issuer: identity.issuer, subject: identity.subject, temporaryPasswordRetired: !!retiredPassword },
    });
    return signedIn(tx, identity, user);
  });
}

async function registerUser(db: Database, identity: SsoIdentity, email: string): Promise<SsoOutcome> {
  const passwordHash = await unusablePasswordHash();
  return db.transaction(async (tx) => {
    const [user] = await tx
      .insert(users)
      .values({ email, name: identity.name?.trim() || email, passwordHash })
      .returning();
    await tx.insert(ssoIdentities).values({
      issuer: identity.issuer,
      subject: identity.subject,
      userId: user!.id,
      linkedEmail: email,
    });
    await recordAudit(tx, {
      actor: user!,
      action: "user.self_registered",
      subject: `user:${email}`,
      details: { issuer: identity.issuer, subject: identity.subject, name: user!.name },
    });
    return signedIn(tx, identity, user!);
  });
}

async function signedIn(tx: Tx, identity: SsoIdentity, user: User): Promise<SsoOutcome> {
  await recordAudit(tx, {
    actor: user,
    action: "auth.sso_signed_in",
    subject: `user:${user.email}`,
    details: { issuer: identity.issuer, subject: identity.subject },
  });
  return { ok: true, user: { id: user.id, email: user.email, name: user.name } };
}

async function refuse(
  db: Database,
  identity: SsoIdentity,
  reason: SsoRefusal,
  user?: User,
  email?: string,
): Promise<SsoOutcome> {
  metrics.signInFailures.inc({ reason });
  await db.transaction((tx) =>
    recordAudit(tx, {
      actor: user ?? SSO_SYSTEM,
      action: "auth.sso_refused",
      subject: user ? `user:${user.email}` : email ? `user:${email}` : `sso:${identity.issuer}#${identity.subject}`,
      details: { reason, issuer: identity.issuer, subject: identity.subject, email: email ?? identity.email ?? null },
    }),
  );
  return { ok: false, reason, email };
}

/** Some providers' issuers end in "/" (Auth0), and an admin may copy one with or without it. */
function isSameIssuer(fromToken: string, configured: string): boolean {
  return fromToken !== "" && fromToken.replace(/\/+$/, "") === configured.replace(/\/+$/, "");
}

/** A hash of 32 random bytes nobody keeps: the account has no password anyone could type. */
async function unusablePasswordHash(): Promise<string> {
  return hashPassword(randomBytes(32).toString("base64url"));
}
