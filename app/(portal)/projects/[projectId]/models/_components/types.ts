import type { VersionMetrics } from "@/server/models/model-card";
import type { Lineage } from "@/server/models/model-versions";
import type { RouterOutput } from "@/app/_trpc/types";

export type ModelRow = RouterOutput["models"]["list"][number];
export type ModelDetail = RouterOutput["models"]["byId"];
export type ModelVersionRow = ModelDetail["versions"][number];
export type ModelCardData = RouterOutput["models"]["card"];
export type { Lineage, VersionMetrics };
