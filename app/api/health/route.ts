import { livenessResponse } from "@/server/observability/readiness";

/** Liveness (the portal server answers it before Next: `server/http/api-fast-path.ts`). */
export function GET() {
  return livenessResponse();
}
