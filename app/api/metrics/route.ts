import { getDb } from "@/server/database/get-db";
import { metricsResponse } from "@/server/observability/metrics";
import { observeRoute } from "@/server/observability/routes";

/** Prometheus scrape endpoint, behind FLIP_METRICS_TOKEN (404 when it is not configured). */
export const GET = observeRoute("/api/metrics", (request: Request) => metricsResponse(request, getDb));
