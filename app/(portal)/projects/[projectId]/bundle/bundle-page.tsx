"use client";

import { BackLink } from "@/app/_components/ui/back-link";
import { Alert } from "@/app/_components/ui/alert";
import { Loading } from "@/app/_components/ui/loading";
import { PageHeader } from "@/app/_components/ui/page-header";
import { messageOf } from "@/app/_trpc/errors";
import { shortHash } from "../../_components/bundle-of";
import { useProject } from "../use-project";
import { BundleEditor } from "./bundle-editor";

export function BundlePage({ projectId }: { projectId: string }) {
  const project = useProject(projectId);
  if (project.isPending) return <Loading label="Loading the governance bundle…" />;
  if (project.isError) return <Alert>{messageOf(project.error)}</Alert>;
  const detail = project.data;
  return (
    <>
      <BackLink href={`/projects/${projectId}`}>{detail.project.title}</BackLink>
      <PageHeader
        title="Governance bundle"
        description={
          <>
            Everything each site is asked to allow. Currently revision {detail.revision.number} (
            <code className="text-xs">{shortHash(detail.revision.bundleHash)}</code>); saving a change makes a new
            revision.
          </>
        }
      />
      {detail.myRole === "viewer" || detail.project.status === "closed" ? (
        <Alert tone="info">
          {detail.project.status === "closed"
            ? "This project is closed; its bundle can no longer change."
            : "Viewers can read the bundle but not change it."}
        </Alert>
      ) : (
        <BundleEditor key={detail.project.id} detail={detail} />
      )}
    </>
  );
}
