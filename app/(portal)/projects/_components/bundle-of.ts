import type { Bundle } from "@/server/projects/projects.schema";
import type { ProjectDetail } from "./types";

/** The revision's bundle, as the server validated it with ZBundle before saving. */
export function bundleOf(detail: ProjectDetail): Bundle {
  return detail.revision.bundle;
}

export function shortHash(hash: string): string {
  return hash.slice(0, 12);
}
