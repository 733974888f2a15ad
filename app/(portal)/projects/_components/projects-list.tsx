"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { useDebouncedValue } from "@/app/(portal)/admin/_components/use-debounced-value";
import { RelativeTime } from "@/app/_components/relative-time";
import { Alert } from "@/app/_components/ui/alert";
import { Badge } from "@/app/_components/ui/badge";
import { DataTable, type Column } from "@/app/_components/ui/data-table";
import { EmptyState } from "@/app/_components/ui/empty-state";
import { Loading } from "@/app/_components/ui/loading";
import { SelectField } from "@/app/_components/ui/select-field";
import { TextField } from "@/app/_components/ui/text-field";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";
import { ProjectStatusBadge } from "./status-badges";
import type { ProjectRow, ProjectStatus } from "./types";

const STATUSES: ProjectStatus[] = ["draft", "submitted", "active", "closed"];

const columns: Column<ProjectRow>[] = [
  {
    header: "Project",
    cell: (p) => (
      <span className="flex flex-wrap items-center gap-2">
        <Link href={`/projects/${p.id}`} className="font-medium text-nhs-blue underline-offset-2 hover:underline">
          {p.title}
        </Link>
        {p.newDecisions > 0 ? (
          <Badge tone="blue">
            {p.newDecisions} new {p.newDecisions === 1 ? "decision" : "decisions"}
          </Badge>
        ) : null}
      </span>
    ),
  },
  { header: "Status", cell: (p) => <ProjectStatusBadge status={p.status} /> },
  { header: "Your role", cell: (p) => <span className="capitalize">{p.role}</span> },
  { header: "Updated", cell: (p) => <RelativeTime date={p.updatedAt} /> },
];

export function ProjectsList() {
  const trpc = useTRPC();
  const [search, setSearch] = useState("");
  const [status, setStatus] = useState<ProjectStatus | "">("");
  const term = useDebouncedValue(search.trim());
  const projects = useQuery(
    trpc.projects.list.queryOptions(
      { search: term || undefined, status: status || undefined },
      { placeholderData: keepPreviousData },
    ),
  );
  const isFiltered = !!term || !!status;

  return (
    <section aria-label="My projects" className="space-y-3">
      <div className="flex justify-end">
        <div className="grid w-full gap-3 sm:w-[32rem] sm:grid-cols-[1fr_12rem]">
          <TextField
            label="Search projects"
            name="search"
            type="search"
            placeholder="Title contains…"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
          <SelectField
            label="Status"
            name="status"
            value={status}
            onChange={(e) => setStatus(e.target.value as ProjectStatus | "")}
          >
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s} className="capitalize">
                {s[0]!.toUpperCase() + s.slice(1)}
              </option>
            ))}
          </SelectField>
        </div>
      </div>
      {projects.isPending ? (
        <Loading label="Loading projects…" />
      ) : projects.isError ? (
        <Alert>{messageOf(projects.error)}</Alert>
      ) : projects.data.length === 0 ? (
        <EmptyState title={isFiltered ? "No projects match" : "No projects yet"}>
          {isFiltered
            ? "Try another search or status."
            : "Start one with “New project”: give it a title and a plain-English purpose."}
        </EmptyState>
      ) : (
        <div className={projects.isPlaceholderData ? "opacity-60" : undefined}>
          <DataTable label="My projects" columns={columns} rows={projects.data} rowKey={(p) => p.id} />
        </div>
      )}
    </section>
  );
}
