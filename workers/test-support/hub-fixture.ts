import { eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { siteHealth, siteTasks, type SiteTask } from "@/db/schema";
import { makeSite } from "@/server/lib/test-support/fixtures";
import { issueSiteToken } from "@/server/site-network/site-tokens.service";
import { enqueueTask } from "@/server/tasks/tasks.service";

/** Hub-side set-up for worker tests: sites with tokens, queued tasks, and polling the task table. */
export const ADMIN = { type: "system", label: "test-admin" } as const;

export async function makeSiteWithToken(db: Database, code: string, options: { skipFirstInventory?: boolean } = {}) {
  const site = await makeSite(db, code);
  const { token } = await issueSiteToken(db, ADMIN, { siteId: site.id, graceSeconds: 0 });
  // A site the hub has already heard from gets no automatic inventory on its worker's first heartbeat.
  if (options.skipFirstInventory) await db.insert(siteHealth).values({ siteId: site.id, lastSeenAt: new Date() });
  return { site, token };
}

export async function queueInventory(
  db: Database,
  site: { id: string; code: string },
  options: { minCellCount?: number; leaseMs?: number; maxAttempts?: number } = {},
) {
  return db.transaction((tx) =>
    enqueueTask(tx, {
      siteId: site.id,
      siteCode: site.code,
      kind: "site_inventory",
      payload: options.minCellCount ? { minCellCount: options.minCellCount } : {},
      actor: ADMIN,
      leaseMs: options.leaseMs,
      maxAttempts: options.maxAttempts,
    }),
  );
}

export async function tasksOfSite(db: Database, siteId: string): Promise<SiteTask[]> {
  return db.select().from(siteTasks).where(eq(siteTasks.siteId, siteId)).orderBy(siteTasks.createdAt);
}

/** Polls until `check` returns a value (not undefined); for state that a worker process changes. */
export async function waitFor<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function waitForTask(
  db: Database,
  siteId: string,
  match: (task: SiteTask) => boolean,
  what: string,
  timeoutMs?: number,
): Promise<SiteTask> {
  return waitFor(async () => (await tasksOfSite(db, siteId)).find(match), what, timeoutMs);
}
