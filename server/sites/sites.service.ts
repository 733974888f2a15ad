import { asc, eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { sites } from "@/db/schema";
import { userActor } from "@/server/audit/actor";
import { recordAudit } from "@/server/audit/audit.service";
import type { Viewer } from "@/server/auth/permissions";
import { AppError, isUniqueViolation } from "@/server/errors";
import type { TSiteCreateInput, TSiteUpdateInput } from "./sites.schema";

type Actor = Pick<Viewer, "id" | "email">;

export function listSites(db: Database) {
  return db.select().from(sites).orderBy(asc(sites.code));
}

export async function getSite(db: Database, siteId: string) {
  const [site] = await db.select().from(sites).where(eq(sites.id, siteId));
  if (!site) throw new AppError("NOT_FOUND", "No site with that id.");
  return site;
}

export async function createSite(db: Database, actor: Actor, input: TSiteCreateInput) {
  try {
    return await db.transaction(async (tx) => {
      const [site] = await tx.insert(sites).values(input).returning();
      await recordAudit(tx, {
        actor: userActor(actor),
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

export async function updateSite(db: Database, actor: Actor, input: TSiteUpdateInput) {
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(sites).where(eq(sites.id, input.siteId)).for("update");
    if (!before) throw new AppError("NOT_FOUND", "No site with that id.");
    const [site] = await tx
      .update(sites)
      .set({ name: input.name, region: input.region })
      .where(eq(sites.id, input.siteId))
      .returning();
    await recordAudit(tx, {
      actor: userActor(actor),
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
