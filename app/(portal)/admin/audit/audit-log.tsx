"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { EmptyState } from "@/app/_components/ui/empty-state";
import { Loading } from "@/app/_components/ui/loading";
import { Pagination } from "@/app/_components/ui/pagination";
import { SelectField } from "@/app/_components/ui/select-field";
import { TextField } from "@/app/_components/ui/text-field";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";
import { useDebouncedValue } from "../_components/use-debounced-value";
import { AuditTable } from "./audit-table";

const PAGE_SIZE = 25;

export function AuditLog() {
  const trpc = useTRPC();
  const [actor, setActor] = useState("");
  const [action, setAction] = useState("");
  const [page, setPage] = useState(1);
  const actorTerm = useDebouncedValue(actor.trim());
  const actions = useQuery(trpc.audit.actions.queryOptions());
  const events = useQuery(
    trpc.audit.list.queryOptions(
      { actor: actorTerm || undefined, action: action || undefined, page, pageSize: PAGE_SIZE },
      { placeholderData: keepPreviousData },
    ),
  );
  const isFiltered = !!(actorTerm || action);

  return (
    <section aria-labelledby="audit-events-title" className="space-y-3">
      <h2 id="audit-events-title" className="sr-only">
        Events
      </h2>
      <div className="grid gap-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm sm:grid-cols-[1fr_1fr_auto] sm:items-start">
        <TextField
          label="Actor"
          name="actor"
          type="search"
          placeholder="e.g. admin@demo.flip"
          value={actor}
          onChange={(e) => {
            setActor(e.target.value);
            setPage(1);
          }}
        />
        <SelectField
          label="Action"
          name="action"
          value={action}
          errors={actions.isError ? [messageOf(actions.error)] : undefined}
          onChange={(e) => {
            setAction(e.target.value);
            setPage(1);
          }}
        >
          <option value="">All actions</option>
          {actions.data?.map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </SelectField>
        <Button
          variant="secondary"
          className="sm:mt-6"
          disabled={!actor && !action}
          onClick={() => {
            setActor("");
            setAction("");
            setPage(1);
          }}
        >
          Clear filters
        </Button>
      </div>
      {events.isPending ? (
        <Loading label="Loading audit events…" />
      ) : events.isError ? (
        <Alert>{messageOf(events.error)}</Alert>
      ) : events.data.events.length === 0 ? (
        <EmptyState title={isFiltered ? "No events match these filters" : "No audit events yet"}>
          {isFiltered
            ? "Try a different actor or action, or clear the filters."
            : "Governed actions appear here as soon as they happen."}
        </EmptyState>
      ) : (
        <div className={events.isPlaceholderData ? "opacity-60" : undefined}>
          <AuditTable events={events.data.events} />
          <Pagination page={page} pageSize={PAGE_SIZE} total={events.data.total} noun="events" onPageChange={setPage} />
        </div>
      )}
    </section>
  );
}
