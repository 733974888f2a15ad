import { updateRoute } from "@/server/worker/binary-routes";

// In production the portal server serves this path before Next.js routes it (server/http/api-fast-path.ts).
export const POST = async (request: Request, { params }: { params: Promise<{ taskId: string }> }) =>
  updateRoute(request, (await params).taskId);
