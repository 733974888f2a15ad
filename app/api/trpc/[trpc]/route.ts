import { withoutCompressionWhenSmall } from "@/server/http/sized-response";
import { handleTrpcRequest } from "@/server/http/trpc-handler";

// In production the portal server answers tRPC before Next.js routes it (server/http/api-fast-path.ts,
// which compresses by size itself); this route serves the same handler under `next dev`.
const handler = async (request: Request) => withoutCompressionWhenSmall(await handleTrpcRequest(request));

export { handler as GET, handler as POST };
