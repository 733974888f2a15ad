import { handleTrpcRequest } from "@/server/http/trpc-handler";

// In production the portal server answers tRPC before Next.js routes it (server/http/api-fast-path.ts);
// this route serves the same handler under `next dev`.
export { handleTrpcRequest as GET, handleTrpcRequest as POST };
