"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/app/_trpc/client";

export function useProject(projectId: string) {
  const trpc = useTRPC();
  return useQuery(trpc.projects.byId.queryOptions({ projectId }));
}
