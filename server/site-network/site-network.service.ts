import { and, eq, inArray } from "drizzle-orm";
import type { Database } from "@/db/client";
import { siteHealth, siteTasks } from "@/db/schema";
import type { UserActor } from "@/server/auth/actor";
import { getSite } from "@/server/sites/sites.service";
import { enqueueTask, listSiteTasks } from "@/server/tasks/tasks.service";
import { getLatestInventory, siteStatusOf } from "./site-health.service";
import { listSiteTokens } from "./site-tokens.service";

/** Everything the admin's site page shows: health, inventory, tokens (never their secrets) and task history. */
export async function getSiteDetail(db: Database, { siteId }: { siteId: string }) {
  const site = await getSite(db, { siteId });
  const [[health], inventory, tokens, tasks] = await Promise.all([
    db.select().from(siteHealth).where(eq(siteHealth.siteId, siteId)),
    getLatestInventory(db, { siteId }),
    listSiteTokens(db, { siteId }),
    listSiteTasks(db, { siteId }),
  ]);
  return { site, health: health ?? null, status: siteStatusOf(health ?? null), inventory, tokens, tasks };
}

/** Asks the site for a fresh inventory; an inventory already queued or running is reused, not doubled. */
export async function requestInventory(db: Database, viewer: UserActor, { siteId }: { siteId: string }) {
  const site = await getSite(db, { siteId });
  return db.transaction(async (tx) => {
    const [pending] = await tx
      .select()
      .from(siteTasks)
      .where(
        and(
          eq(siteTasks.siteId, siteId),
          eq(siteTasks.kind, "site_inventory"),
          inArray(siteTasks.status, ["queued", "leased"]),
        ),
      )
      .for("update");
    if (pending) return pending;
    return enqueueTask(tx, {
      siteId,
      siteCode: site.code,
      kind: "site_inventory",
      payload: {},
      actor: viewer,
      requestedBy: viewer.id,
    });
  });
}
