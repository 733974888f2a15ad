import type { RouterOutput } from "@/app/_trpc/types";

export type ApprovalRequestData = RouterOutput["approvals"]["request"];
export type BundleChange = NonNullable<ApprovalRequestData["previouslyApproved"]>["changes"][number];
