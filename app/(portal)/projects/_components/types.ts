import type { RouterOutput } from "@/app/_trpc/types";

export type ProjectRow = RouterOutput["projects"]["list"][number];
export type ProjectDetail = RouterOutput["projects"]["byId"];
export type ProjectStatus = ProjectRow["status"];
export type SiteApproval = ProjectDetail["sites"][number];
export type Member = ProjectDetail["members"][number];
export type Invitation = ProjectDetail["invitations"][number];
export type CohortRunResult = RouterOutput["cohorts"]["result"];
export type SiteOutcome = CohortRunResult["sites"][number];
export type Concept = RouterOutput["vocabulary"]["search"][number];
export type ConceptSummary = Omit<Concept, "mapsTo" | "matchedSynonym">;
