import { and, eq, isNull } from "drizzle-orm";
import type { Database } from "@/db/client";
import { authFactors, roleGrants, sites, users, type Role } from "@/db/schema";
import { recordAudit } from "@/server/audit/audit.service";
import { encryptFactorSecret } from "@/server/auth/factor-crypto";
import { hashPassword } from "@/server/auth/password";
import { isSecondFactorRequired } from "@/server/auth/second-factor";

export const DEMO_SITES = [
  { code: "KCH", name: "King's College Hospital", region: "London" },
  { code: "GSTT", name: "Guy's and St Thomas'", region: "London" },
  { code: "UCLH", name: "University College London Hospitals", region: "London" },
] as const;

type DemoAccount = { email: string; name: string; role: Role; siteCode?: string };

export const DEMO_ACCOUNTS: DemoAccount[] = [
  { email: "admin@demo.flip", name: "Avery Admin", role: "admin" },
  // Approver grants take two admins (server/users/grant-requests.service.ts).
  { email: "admin2@demo.flip", name: "Blake Admin", role: "admin" },
  { email: "researcher@demo.flip", name: "Riley Researcher", role: "researcher" },
  ...DEMO_SITES.map((s) => ({
    email: `approver.${s.code.toLowerCase()}@demo.flip`,
    name: `${s.code} Data Governance`,
    role: "approver" as const,
    siteCode: s.code,
  })),
];

const SYSTEM = { type: "system", label: "demo-seed" } as const;

/**
 * Idempotent: creates whatever demo sites, accounts and grants are missing and leaves existing
 * rows (and passwords people have since changed) alone. Every demo account whose role needs a
 * second factor and has none gets an authenticator app with `totpSecret`, printed with the
 * demo's credentials, so the demo (and the e2e journeys, which compute its codes) can sign in.
 */
export async function seedDemo(
  db: Database,
  password: string,
  { totpSecret }: { totpSecret: string },
): Promise<{ created: string[] }> {
  const created: string[] = [];
  const passwordHash = await hashPassword(password);
  await db.transaction(async (tx) => {
    for (const site of DEMO_SITES) {
      const [row] = await tx.insert(sites).values(site).onConflictDoNothing({ target: sites.code }).returning();
      if (row) {
        created.push(`site ${row.code}`);
        await recordAudit(tx, {
          actor: SYSTEM,
          action: "site.created",
          subject: `site:${row.code}`,
          details: { name: row.name, region: row.region },
        });
      }
    }
    for (const account of DEMO_ACCOUNTS) {
      const [inserted] = await tx
        .insert(users)
        .values({ email: account.email, name: account.name, passwordHash })
        .onConflictDoNothing({ target: users.email })
        .returning({ id: users.id });
      if (!inserted) continue;
      created.push(`user ${account.email}`);
      await recordAudit(tx, {
        actor: SYSTEM,
        action: "user.created",
        subject: `user:${account.email}`,
        details: { name: account.name },
      });
      const [site] = account.siteCode
        ? await tx.select({ id: sites.id }).from(sites).where(eq(sites.code, account.siteCode))
        : [];
      await tx.insert(roleGrants).values({ userId: inserted.id, role: account.role, siteId: site?.id ?? null });
      await recordAudit(tx, {
        actor: SYSTEM,
        action: "role.granted",
        subject: `user:${account.email}`,
        details: { role: account.role, site: account.siteCode ?? null },
      });
    }
    for (const account of DEMO_ACCOUNTS) {
      if (!isSecondFactorRequired([account])) continue;
      const [user] = await tx.select({ id: users.id }).from(users).where(eq(users.email, account.email));
      const [factor] = await tx
        .select({ id: authFactors.id })
        .from(authFactors)
        .where(eq(authFactors.userId, user!.id));
      if (factor) continue;
      await tx.insert(authFactors).values({
        userId: user!.id,
        kind: "totp",
        label: "Demo authenticator",
        totpSecretEncrypted: encryptFactorSecret(totpSecret),
        confirmedAt: new Date(),
      });
      created.push(`authenticator ${account.email}`);
    }
  });
  return { created };
}

/** True when the demo admin exists and still holds admin. @internal for the seed tests. */
export async function isSeeded(db: Database): Promise<boolean> {
  const rows = await db
    .select({ id: roleGrants.id })
    .from(roleGrants)
    .innerJoin(users, eq(users.id, roleGrants.userId))
    .where(and(eq(users.email, "admin@demo.flip"), eq(roleGrants.role, "admin"), isNull(roleGrants.siteId)));
  return rows.length > 0;
}
