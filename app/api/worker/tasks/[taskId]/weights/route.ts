import { weightsRoute } from "@/server/worker/binary-routes";

// In production the portal server serves this path before Next.js routes it (server/http/api-fast-path.ts).
export const GET = async (request: Request, { params }: { params: Promise<{ taskId: string }> }) =>
  weightsRoute(request, (await params).taskId);
