import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/root";

/**
 * What each procedure returns, as the browser receives it (superjson keeps dates as Date):
 * `RouterOutput["jobs"]["byId"]`. The one place app/ names the router's output types.
 */
export type RouterOutput = inferRouterOutputs<AppRouter>;
