import Link from "next/link";
import { Alert } from "@/app/_components/ui/alert";

export type SavedRevision = { number: number; isNew: boolean; siteCodes: string[] };

export function SavedNotice({ projectId, saved }: { projectId: string; saved: SavedRevision }) {
  if (!saved.isNew) return <Alert tone="info">Nothing changed: revision {saved.number} is still current.</Alert>;
  return (
    <Alert tone="success">
      Saved as revision {saved.number}.
      {saved.siteCodes.length
        ? ` ${saved.siteCodes.join(", ")} ${saved.siteCodes.length === 1 ? "is" : "are"} pending again: each site must approve revision ${saved.number} before more work reaches it.`
        : ""}{" "}
      <Link href={`/projects/${projectId}`} className="font-medium underline">
        See site approvals
      </Link>
    </Alert>
  );
}
