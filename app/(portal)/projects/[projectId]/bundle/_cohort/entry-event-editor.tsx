"use client";

import type { EventCriterion } from "@/protocol/cohort-definition";
import { EventFields } from "./event-fields";

/** The first qualifying event per person sets their index date. */
export function EntryEventEditor({
  event,
  onChange,
}: {
  event: EventCriterion;
  onChange: (next: EventCriterion) => void;
}) {
  return <EventFields typeLabel="Entry event type" event={event} path={["entry"]} onChange={onChange} />;
}
