import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/root";

type Outputs = inferRouterOutputs<AppRouter>;

export type ProjectRow = Outputs["projects"]["list"][number];
export type ProjectDetail = Outputs["projects"]["byId"];
export type ProjectStatus = ProjectRow["status"];
export type SiteApproval = ProjectDetail["sites"][number];
export type Member = ProjectDetail["members"][number];
export type CohortRunResult = Outputs["cohorts"]["result"];
export type SiteOutcome = CohortRunResult["sites"][number];
export type Concept = Outputs["vocabulary"]["search"][number];
