import { asc, eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { sites } from "@/db/schema";
import { recordAudit } from "@/server/audit/audit.service";
import type { UserActor } from "@/server/auth/actor";
import { AppError, isUniqueViolation } from "@/server/errors";
import type { TSiteCreateInput, TSiteUpdateInput } from "./sites.schema";

/** The Trusts in the network as every signed-in role may see them: who takes part, nothing more. */
export async function listSiteDirectory(db: Database) {
  return (await listSites(db)).map(({ id, code, name, region }) => ({ id, code, name, region }));
}

export function listSites(db: Database) {
  return db.select().from(sites).orderBy(asc(sites.code));
}

export async function getSite(db: Database, { siteId }: { siteId: string }) {
  const [site] = await db.select().from(sites).where(eq(sites.id, siteId));
  if (!site) throw new AppError("NOT_FOUND", "No site with that id.");
  return site;
}

export async function createSite(db: Database, actor: UserActor, input: TSiteCreateInput) {
  try {
    return await db.transaction(async (tx) => {
      const [site] = await tx.insert(sites).values(input).returning();
      await recordAudit(tx, {
        actor,
        action: "site.created",
        subject: `site:${site!.code}`,
        details: { name: site!.name, region: site!.region },
      });
      return site!;
    });
  } catch (error) {
    if (isUniqueViolation(error, "sites_code_key"))
      throw AppError.field("CONFLICT", "code", "A site with this code already exists");
    throw error;
  }
}

export async function updateSite(db: Database, actor: UserActor, input: TSiteUpdateInput) {
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(sites).where(eq(sites.id, input.siteId)).for("update");
    if (!before) throw new AppError("NOT_FOUND", "No site with that id.");
    const [site] = await tx
      .update(sites)
      .set({ name: input.name, region: input.region })
      .where(eq(sites.id, input.siteId))
      .returning();
    await recordAudit(tx, {
      actor,
      action: "site.updated",
      subject: `site:${before.code}`,
      details: {
        before: { name: before.name, region: before.region },
        after: { name: input.name, region: input.region },
      },
    });
    return site!;
  });
}
