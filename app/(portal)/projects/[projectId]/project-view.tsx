"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect } from "react";
import { BackLink } from "@/app/_components/ui/back-link";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { Loading } from "@/app/_components/ui/loading";
import { PageHeader } from "@/app/_components/ui/page-header";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";
import { CloseProject } from "./close-project";
import { CohortCounts } from "./cohort-counts";
import { JobsSection } from "./jobs-section";
import { MembersCard } from "./members-card";
import { ModelsSection } from "./models-section";
import { PrivacyBudgets } from "./privacy-budgets";
import { ProjectOverview } from "./project-overview";
import { SiteApprovals } from "./site-approvals";
import { useProject } from "./use-project";

export function ProjectView({ projectId }: { projectId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const project = useProject(projectId);
  const { mutate: markSeen } = useMutation(
    trpc.projects.markDecisionsSeen.mutationOptions({
      onSuccess: () =>
        Promise.all([
          queryClient.invalidateQueries(trpc.projects.list.pathFilter()),
          queryClient.invalidateQueries(trpc.projects.newDecisions.pathFilter()),
        ]),
    }),
  );
  useEffect(() => markSeen({ projectId }), [markSeen, projectId]);

  if (project.isPending) return <Loading label="Loading project…" />;
  if (project.isError) return <Alert>{messageOf(project.error)}</Alert>;
  const detail = project.data;
  const canEdit = detail.myRole !== "viewer" && detail.project.status !== "closed";

  return (
    <>
      <BackLink href="/projects">Projects</BackLink>
      <PageHeader
        title={detail.project.title}
        actions={
          canEdit ? (
            <>
              <Button asChild variant="secondary">
                <Link href={`/projects/${projectId}/bundle`}>Edit bundle</Link>
              </Button>
              <Button asChild>
                <Link href={`/projects/${projectId}/submit`}>Submit for approval</Link>
              </Button>
            </>
          ) : null
        }
      />
      <div className="grid gap-6 lg:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
        <div className="min-w-0 space-y-6">
          <ProjectOverview detail={detail} />
          <SiteApprovals sites={detail.sites} revisionNumber={detail.revision.number} />
          <CohortCounts detail={detail} />
          <ModelsSection projectId={projectId} canWrite={canEdit} />
          <JobsSection projectId={projectId} canRun={canEdit && detail.project.status === "active"} />
        </div>
        <div className="min-w-0 space-y-6">
          <MembersCard
            projectId={projectId}
            members={detail.members}
            invitations={detail.invitations}
            isOwner={detail.myRole === "owner"}
          />
          <PrivacyBudgets projectId={projectId} />
          {detail.myRole === "owner" && detail.project.status !== "closed" ? (
            <CloseProject projectId={projectId} />
          ) : null}
        </div>
      </div>
    </>
  );
}
