import type { Metadata } from "next";
import { PageHeader } from "@/app/_components/ui/page-header";
import { NewProjectForm } from "./_components/new-project-form";
import { MyInvitations } from "./_components/my-invitations";
import { ProjectsList } from "./_components/projects-list";

export const metadata: Metadata = { title: "Projects" };

export default function ProjectsPage() {
  return (
    <>
      <PageHeader
        title="Projects"
        description="Your research projects, the cohorts they count and each site's governance decision."
        actions={<NewProjectForm />}
      />
      <MyInvitations />
      <ProjectsList />
    </>
  );
}
