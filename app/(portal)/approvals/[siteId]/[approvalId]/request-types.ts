import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/root";

export type ApprovalRequestData = inferRouterOutputs<AppRouter>["approvals"]["request"];
export type BundleChange = NonNullable<ApprovalRequestData["previouslyApproved"]>["changes"][number];
