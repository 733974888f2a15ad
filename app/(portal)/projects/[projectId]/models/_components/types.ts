import type { VersionMetrics } from "@/protocol/registry";
import type { RouterOutput } from "@/app/_trpc/types";

export type ModelRow = RouterOutput["models"]["list"][number];
export type ModelDetail = RouterOutput["models"]["byId"];
export type ModelVersionRow = ModelDetail["versions"][number];
export type ModelCardData = RouterOutput["models"]["card"];
export type { VersionMetrics };
