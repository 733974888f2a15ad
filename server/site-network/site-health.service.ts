import { and, asc, count, eq, gte, inArray, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { preparedSql } from "@/server/database/prepared";
import { siteHealth, siteHeartbeats, siteTasks, sites, type SiteHealth } from "@/db/schema";
import { recordAudit } from "@/server/audit/audit.service";
import { lapseUnlistedLeases, UNLISTED_LEASE_GRACE_SECONDS } from "@/server/tasks/lease-sweep";
import { listCancelledTaskIds } from "@/server/tasks/task-interventions";
import { enqueueTask, type SiteRef } from "@/server/tasks/tasks.service";
import {
  MAX_TASKS_IN_FLIGHT_LISTED,
  PROTOCOL_VERSION,
  type HeartbeatInput,
  type SiteInventoryResult,
} from "@/protocol/contract";
import { isTaskOfKind } from "@/protocol/tasks";

export const ONLINE_WINDOW_MS = 30_000;
const SAMPLE_RETENTION = sql`interval '2 hours'`;

export type SiteStatus = "online" | "degraded" | "offline";

/** Online: heard from in the last 30 s with every self-check passing; degraded: heard from but unwell. */
export function siteStatusOf(
  health: Pick<SiteHealth, "lastSeenAt" | "protocolError" | "selfChecks"> | null,
  now = Date.now(),
): SiteStatus {
  if (!health || now - health.lastSeenAt.getTime() > ONLINE_WINDOW_MS) return "offline";
  if (health.protocolError || health.selfChecks.some((c) => !c.ok)) return "degraded";
  return "online";
}

/**
 * Stores what the worker reported and answers it: the hub's time and which of its tasks in flight
 * were cancelled. The first time a site's worker connects, the hub asks it for a data inventory so
 * the admin sees what the site holds.
 */
export async function recordHeartbeat(db: Database, site: SiteRef, input: HeartbeatInput) {
  const values = {
    siteId: site.id,
    lastSeenAt: new Date(),
    workerVersion: input.workerVersion,
    protocolVersion: PROTOCOL_VERSION,
    protocolError: null,
    capabilities: input.capabilities,
    selfChecks: input.selfChecks,
    tasksInFlight: input.tasksInFlight.length,
    cpuPercent: input.utilisation.cpuPercent,
    memoryPercent: input.utilisation.memoryPercent,
  };
  // Every heartbeat after a site's first is one statement (its answer's cancelled tasks included):
  // one round trip and no transaction.
  const known = await recordKnownSiteHeartbeat(db, values, input.tasksInFlight);
  let cancelledTaskIds: string[];
  if (known) {
    if (known.unlisted.length > 0) await lapseUnlistedLeases(db, site, known.unlisted);
    cancelledTaskIds = known.cancelled;
  } else {
    await recordFirstHeartbeat(db, site, input, values);
    cancelledTaskIds = await listCancelledTaskIds(db, site, { taskIds: input.tasksInFlight });
  }
  return { siteCode: site.code, serverTime: new Date(), cancelledTaskIds };
}

type HealthValues = typeof siteHealth.$inferInsert & { siteId: string; cpuPercent: number; memoryPercent: number };

/**
 * The site's health row updated, the new sample stored and samples past retention expired, in one
 * statement; null (nothing written) when the site has no health row yet. The same statement finds
 * the site's leases that its worker does not hold (`unlisted`: leased over
 * UNLISTED_LEASE_GRACE_SECONDS ago and not in `tasksInFlight`), unless the list is at the
 * contract's cap, when the worker may hold more than it could list; and which of the tasks it
 * lists the hub has cancelled (`cancelled`), for the answer.
 *
 * Committed asynchronously (synchronous_commit off for this statement's own transaction): a
 * heartbeat is telemetry that the next one replaces, so it need not wait for the WAL to reach the
 * disk, which under a hundred heartbeats a second is what they would queue on. A crash can lose the
 * last fraction of a second of samples, never half of one statement.
 *
 * A prepared statement, the tasks in flight one array: every site's worker sends one every few
 * seconds, and parsing and planning the statement afresh each time cost PostgreSQL more than running it.
 */
async function recordKnownSiteHeartbeat(
  db: Database,
  values: HealthValues,
  tasksInFlight: string[],
): Promise<{ unlisted: string[]; cancelled: string[] } | null> {
  const [row] = await preparedSql<{ known: boolean; unlisted: string[]; cancelled: string[] }>(
    db,
    "flip_site_heartbeat",
    heartbeatSql,
  )({
    ...values,
    capabilities: JSON.stringify(values.capabilities),
    selfChecks: JSON.stringify(values.selfChecks),
    listed: tasksInFlight,
  });
  return row?.known === true ? { unlisted: row.unlisted, cancelled: row.cancelled } : null;
}

const heartbeatSql = () => {
  const value = (name: keyof HealthValues | "listed") => sql.placeholder(name);
  return sql`WITH health AS (
      UPDATE ${siteHealth} SET
        last_seen_at = ${value("lastSeenAt")},
        worker_version = ${value("workerVersion")},
        protocol_version = ${value("protocolVersion")},
        protocol_error = NULL,
        capabilities = ${value("capabilities")}::jsonb,
        self_checks = ${value("selfChecks")}::jsonb,
        tasks_in_flight = ${value("tasksInFlight")},
        cpu_percent = ${value("cpuPercent")},
        memory_percent = ${value("memoryPercent")}
      WHERE site_id = ${value("siteId")} AND set_config('synchronous_commit', 'off', true) IS NOT NULL
      RETURNING site_id),
    sample AS (
      INSERT INTO ${siteHeartbeats} (site_id, cpu_percent, memory_percent)
      SELECT site_id, ${value("cpuPercent")}, ${value("memoryPercent")} FROM health),
    expired AS (
      DELETE FROM ${siteHeartbeats}
      WHERE site_id IN (SELECT site_id FROM health) AND at < now() - ${SAMPLE_RETENTION})
    SELECT EXISTS (SELECT 1 FROM health) AS known,
      CASE WHEN cardinality(${value("listed")}::uuid[]) < ${MAX_TASKS_IN_FLIGHT_LISTED}
        THEN ARRAY(SELECT ${siteTasks.id} FROM ${siteTasks}
          WHERE ${siteTasks.siteId} IN (SELECT site_id FROM health) AND ${siteTasks.status} = 'leased'
            AND ${siteTasks.leasedAt} < now() - make_interval(secs => ${UNLISTED_LEASE_GRACE_SECONDS})
            AND NOT (${siteTasks.id} = ANY(${value("listed")}::uuid[])))
        ELSE ARRAY[]::uuid[] END AS unlisted,
      ARRAY(SELECT ${siteTasks.id} FROM ${siteTasks}
        WHERE ${siteTasks.siteId} = ${value("siteId")} AND ${siteTasks.status} = 'cancelled'
          AND ${siteTasks.id} = ANY(${value("listed")}::uuid[])) AS cancelled`;
};

/** A site's first heartbeat (or its first since its health row went): announced once, with an inventory queued. */
async function recordFirstHeartbeat(db: Database, site: SiteRef, input: HeartbeatInput, values: HealthValues) {
  await db.transaction(async (tx) => {
    const [row] = await tx
      .insert(siteHealth)
      .values(values)
      .onConflictDoUpdate({ target: siteHealth.siteId, set: { ...values, siteId: undefined } })
      .returning({ isFirst: sql<boolean>`(xmax = 0)` });
    // The new sample and the expiry of old ones in one statement: one round trip per heartbeat, not two.
    await tx.execute(sql`WITH sample AS (
        INSERT INTO ${siteHeartbeats} (site_id, cpu_percent, memory_percent)
        VALUES (${site.id}, ${input.utilisation.cpuPercent}, ${input.utilisation.memoryPercent})
      )
      DELETE FROM ${siteHeartbeats} WHERE site_id = ${site.id} AND at < now() - ${SAMPLE_RETENTION}`);
    if (row?.isFirst) {
      const actor = { type: "site", id: site.id, label: site.code } as const;
      await recordAudit(tx, {
        actor,
        action: "site.first_connected",
        subject: `site:${site.code}`,
        details: { workerVersion: input.workerVersion },
      });
      await enqueueTask(tx, {
        siteId: site.id,
        siteCode: site.code,
        kind: "site_inventory",
        payload: {},
        actor: { type: "system", label: "hub" },
      });
    }
  });
}

/** Remembers that a worker spoke the wrong protocol, so the site shows as degraded with the reason. */
export async function recordProtocolMismatch(db: Database, site: SiteRef, message: string) {
  await db
    .insert(siteHealth)
    .values({ siteId: site.id, lastSeenAt: new Date(), protocolError: message })
    .onConflictDoUpdate({ target: siteHealth.siteId, set: { lastSeenAt: new Date(), protocolError: message } });
}

type TaskCounts = { queued: number; leased: number; failed: number };

async function taskCountsBySite(db: Database, siteIds: string[]): Promise<Map<string, TaskCounts>> {
  const counts = new Map<string, TaskCounts>(siteIds.map((id) => [id, { queued: 0, leased: 0, failed: 0 }]));
  if (siteIds.length === 0) return counts;
  const rows = await db
    .select({ siteId: siteTasks.siteId, status: siteTasks.status, n: count() })
    .from(siteTasks)
    .where(and(inArray(siteTasks.siteId, siteIds), inArray(siteTasks.status, ["queued", "leased", "failed"])))
    .groupBy(siteTasks.siteId, siteTasks.status);
  for (const r of rows) {
    const c = counts.get(r.siteId);
    if (c) c[r.status as keyof TaskCounts] = r.n;
  }
  return counts;
}

async function utilisationBySite(db: Database, siteIds: string[]) {
  const series = new Map<string, { at: Date; cpu: number; memory: number }[]>(siteIds.map((id) => [id, []]));
  if (siteIds.length === 0) return series;
  // One point per minute over the last hour keeps the payload small whatever the heartbeat rate.
  const rows = await db
    .select({
      siteId: siteHeartbeats.siteId,
      at: sql<Date>`date_trunc('minute', ${siteHeartbeats.at})`.mapWith((v: string | Date) => new Date(v)),
      cpu: sql<number>`avg(${siteHeartbeats.cpuPercent})`.mapWith(Number),
      memory: sql<number>`avg(${siteHeartbeats.memoryPercent})`.mapWith(Number),
    })
    .from(siteHeartbeats)
    .where(and(inArray(siteHeartbeats.siteId, siteIds), gte(siteHeartbeats.at, sql`now() - interval '1 hour'`)))
    .groupBy(siteHeartbeats.siteId, sql`2`)
    .orderBy(asc(sql`2`));
  for (const r of rows) series.get(r.siteId)?.push({ at: r.at, cpu: r.cpu, memory: r.memory });
  return series;
}

/** The admin's live view of the network: one row per site. */
export async function listSiteMonitor(db: Database) {
  const rows = await db
    .select({ site: sites, health: siteHealth })
    .from(sites)
    .leftJoin(siteHealth, eq(siteHealth.siteId, sites.id))
    .orderBy(asc(sites.code));
  const ids = rows.map((r) => r.site.id);
  const [counts, utilisation] = await Promise.all([taskCountsBySite(db, ids), utilisationBySite(db, ids)]);
  const now = Date.now();
  return rows.map(({ site, health }) => ({
    ...site,
    status: siteStatusOf(health, now),
    health,
    tasks: counts.get(site.id)!,
    utilisation: utilisation.get(site.id)!,
  }));
}

/** The newest inventory the site returned (suppressed counts only), or null before the first. */
export async function getLatestInventory(
  db: Database,
  { siteId }: { siteId: string },
): Promise<{ result: SiteInventoryResult; receivedAt: Date } | null> {
  const [row] = await db
    .select({ kind: siteTasks.kind, result: siteTasks.result, receivedAt: siteTasks.finishedAt })
    .from(siteTasks)
    .where(and(eq(siteTasks.siteId, siteId), eq(siteTasks.kind, "site_inventory"), eq(siteTasks.status, "done")))
    .orderBy(sql`${siteTasks.finishedAt} DESC`)
    .limit(1);
  return row && isTaskOfKind(row, "site_inventory") && row.result && row.receivedAt
    ? { result: row.result, receivedAt: row.receivedAt }
    : null;
}
