import type { inferRouterOutputs } from "@trpc/server";
import type { VersionMetrics } from "@/server/models/model-card";
import type { Lineage } from "@/server/models/model-versions";
import type { AppRouter } from "@/server/root";

type Outputs = inferRouterOutputs<AppRouter>;

export type ModelRow = Outputs["models"]["list"][number];
export type ModelDetail = Outputs["models"]["byId"];
export type ModelVersionRow = ModelDetail["versions"][number];
export type ModelCardData = Outputs["models"]["card"];
export type { Lineage, VersionMetrics };
