import { eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { siteHealth } from "@/db/schema";
import { userActor } from "@/server/audit/actor";
import type { Viewer } from "@/server/auth/permissions";
import { getSite } from "@/server/sites/sites.service";
import { enqueueTask, listSiteTasks } from "@/server/tasks/tasks.service";
import { latestInventory, siteStatusOf } from "./site-health.service";
import { listSiteTokens } from "./site-tokens.service";

/** Everything the admin's site page shows: health, inventory, tokens (never their secrets) and task history. */
export async function getSiteDetail(db: Database, siteId: string) {
  const site = await getSite(db, siteId);
  const [[health], inventory, tokens, tasks] = await Promise.all([
    db.select().from(siteHealth).where(eq(siteHealth.siteId, siteId)),
    latestInventory(db, siteId),
    listSiteTokens(db, siteId),
    listSiteTasks(db, siteId),
  ]);
  return { site, health: health ?? null, status: siteStatusOf(health ?? null), inventory, tokens, tasks };
}

export async function requestInventory(db: Database, viewer: Pick<Viewer, "id" | "email">, siteId: string) {
  const site = await getSite(db, siteId);
  return db.transaction((tx) =>
    enqueueTask(tx, { siteId, siteCode: site.code, kind: "site_inventory", payload: {}, actor: userActor(viewer), requestedBy: viewer.id }),
  );
}
