import { timingSafeEqual, createHash } from "node:crypto";
import { count, eq } from "drizzle-orm";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Database } from "@/db/client";
import { siteHealth, sites, siteTasks, taskStatusEnum } from "@/db/schema";
import { TASK_KINDS } from "@/protocol/contract";
import { getHubConfig, type HubConfig } from "@/server/config";
import { siteStatusOf, type SiteStatus } from "@/server/site-network/site-health.service";
import { errorFields, getLogger } from "./logger";

/**
 * Every Prometheus metric the hub exports, in one registry, served at /api/metrics
 * (ops/grafana/flip-hub.json charts them). Counters and histograms are updated where things
 * happen; queue, site and heartbeat gauges are read from the database at scrape time, so every
 * portal process reports the whole network.
 */

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    trpcDuration: new Histogram({
      name: "flip_trpc_request_duration_seconds",
      help: "tRPC call latency by procedure, type and result code (OK or the tRPC error code)",
      labelNames: ["procedure", "type", "code"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    routeDuration: new Histogram({
      name: "flip_http_request_duration_seconds",
      help: "Latency of the non-tRPC route handlers by route, method and HTTP status",
      labelNames: ["route", "method", "status"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    tasks: new Gauge({
      name: "flip_tasks",
      help: "Site tasks in the database by kind and state",
      labelNames: ["kind", "state"] as const,
      registers,
    }),
    sites: new Gauge({
      name: "flip_sites",
      help: "Sites by status (online, degraded, offline), as the admin monitor derives it",
      labelNames: ["status"] as const,
      registers,
    }),
    heartbeatAge: new Gauge({
      name: "flip_site_heartbeat_age_seconds",
      help: "Seconds since each site's last heartbeat (sites never heard from are absent)",
      labelNames: ["site"] as const,
      registers,
    }),
    roundDuration: new Histogram({
      name: "flip_round_duration_seconds",
      help: "Federated training rounds, from dispatch to close, by outcome (closed or failed)",
      labelNames: ["outcome"] as const,
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200],
      registers,
    }),
    updateBytes: new Histogram({
      name: "flip_update_bytes",
      help: "Size of the model updates sites upload and the hub accepts",
      buckets: [1e4, 1e5, 1e6, 4e6, 1.6e7, 6.4e7, 2.56e8],
      registers,
    }),
    aggregationDuration: new Histogram({
      name: "flip_aggregation_duration_seconds",
      help: "Time to aggregate a round: the sites' summed updates and the strategy's step",
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    signInFailures: new Counter({
      name: "flip_sign_in_failures_total",
      help: "Refused sign-ins by reason (wrong_credentials, rate_limited, disabled, passkey_refused)",
      labelNames: ["reason"] as const,
      registers,
    }),
    apiCallsWaiting: new Gauge({
      name: "flip_api_calls_waiting",
      help: "Browser API calls waiting in this portal process for one of its FLIP_API_CONCURRENCY slots",
      registers,
    }),
    apiCallsRefused: new Counter({
      name: "flip_api_calls_refused_total",
      help: "Browser requests answered 503, by reason: line_full (FLIP_API_QUEUE_MAX were already waiting), caller_full (FLIP_API_QUEUE_MAX_PER_CALLER of the same caller were), waited_too_long (30 s in line)",
      labelNames: ["reason"] as const,
      registers,
    }),
    scrapeErrors: new Counter({
      name: "flip_metrics_database_errors_total",
      help: "Scrapes whose database-derived gauges could not be read",
      registers,
    }),
  };
}

// On globalThis: Next.js may load this module in several bundles (instrumentation.ts, each route),
// and they must all count into the registry /api/metrics serves.
const globalForMetrics = globalThis as unknown as { flipMetrics?: ReturnType<typeof createMetrics> };
export const metrics = (globalForMetrics.flipMetrics ??= createMetrics());

/** Reads the queue, the sites' status and their heartbeat age into the gauges. */
async function collectDatabaseGauges(db: Database): Promise<void> {
  const [taskRows, siteRows] = await Promise.all([
    db
      .select({ kind: siteTasks.kind, state: siteTasks.status, n: count() })
      .from(siteTasks)
      .groupBy(siteTasks.kind, siteTasks.status),
    db
      .select({ code: sites.code, health: siteHealth })
      .from(sites)
      .leftJoin(siteHealth, eq(siteHealth.siteId, sites.id)),
  ]);
  metrics.tasks.reset();
  for (const kind of TASK_KINDS) for (const state of taskStatusEnum.enumValues) metrics.tasks.set({ kind, state }, 0);
  for (const r of taskRows) metrics.tasks.set({ kind: r.kind, state: r.state }, r.n);

  const now = Date.now();
  const byStatus: Record<SiteStatus, number> = { online: 0, degraded: 0, offline: 0 };
  metrics.heartbeatAge.reset();
  for (const { code, health } of siteRows) {
    byStatus[siteStatusOf(health, now)]++;
    if (health) metrics.heartbeatAge.set({ site: code }, Math.max(0, (now - health.lastSeenAt.getTime()) / 1000));
  }
  for (const [status, n] of Object.entries(byStatus)) metrics.sites.set({ status }, n);
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * GET /api/metrics. Without FLIP_METRICS_TOKEN the endpoint does not exist (404); with it, a
 * request without `Authorization: Bearer <token>` gets 401 and nothing else.
 */
export async function metricsResponse(
  request: Request,
  getDatabase: () => Promise<Database>,
  config: Pick<HubConfig, "FLIP_METRICS_TOKEN"> = getHubConfig(),
): Promise<Response> {
  const token = config.FLIP_METRICS_TOKEN;
  if (!token) return Response.json({ error: { code: "NOT_FOUND", message: "Not found." } }, { status: 404 });
  const given = /^Bearer (.+)$/.exec(request.headers.get("authorization") ?? "")?.[1] ?? "";
  if (!sameSecret(given, token))
    return Response.json(
      { error: { code: "UNAUTHORIZED", message: "Send the metrics token as a bearer token." } },
      { status: 401, headers: { "www-authenticate": 'Bearer realm="flip-metrics"' } },
    );
  try {
    await collectDatabaseGauges(await getDatabase());
  } catch (error) {
    // The process metrics are still worth serving; the counter says the database ones are stale.
    metrics.scrapeErrors.inc();
    getLogger().error({ err: errorFields(error) }, "metrics: database gauges not read");
  }
  return new Response(await metrics.registry.metrics(), {
    headers: { "content-type": metrics.registry.contentType, "cache-control": "no-store" },
  });
}
