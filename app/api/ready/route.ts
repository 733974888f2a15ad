import { getDb } from "@/server/database/get-db";
import { readinessResponse } from "@/server/observability/readiness";

/** Readiness: database reachable, migrations current, background work running; 503 names what failed. */
export function GET() {
  return readinessResponse(getDb);
}
