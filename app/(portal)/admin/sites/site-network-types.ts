import type { RouterOutput } from "@/app/_trpc/types";

type Outputs = RouterOutput["siteNetwork"];

export type SiteMonitorRow = Outputs["monitor"][number];
export type SiteDetail = Outputs["detail"];
export type SiteStatus = SiteDetail["status"];
export type SiteHealthReport = NonNullable<SiteDetail["health"]>;
export type SiteTokenRow = SiteDetail["tokens"][number];
export type SiteTaskRow = SiteDetail["tasks"][number];
