"use client";

import { MODALITIES, type EventCriterion } from "@/protocol/cohort-definition";
import { ConceptSetPicker } from "./concept-set-picker";
import { EVENT_TYPES, emptyEvent, idFor, type EventType, type Path } from "./cohort-draft";
import { DemographicsEditor } from "./demographics-editor";
import { MeasurementValueEditor } from "./measurement-value-editor";

const MODALITY_LABELS: Record<(typeof MODALITIES)[number], string> = {
  CT: "CT (computed tomography)",
  MR: "MR (magnetic resonance)",
  XR: "XR (plain X-ray)",
  US: "US (ultrasound)",
};
const selectClass =
  "w-full rounded-md border border-slate-300 bg-white px-2.5 py-1.5 text-sm shadow-sm focus:outline-none focus:ring-2 focus:ring-nhs-blue";

/** What kind of event, and which one: a concept set, an imaging modality, or a measurement with a value range. */
export function EventFields({
  event,
  onChange,
  path,
  typeLabel,
}: {
  event: EventCriterion;
  onChange: (next: EventCriterion) => void;
  path: Path;
  typeLabel: string;
}) {
  const typeId = idFor(path, "type");
  const domain = EVENT_TYPES.find((t) => t.value === event.type)?.domain;
  return (
    <div className="space-y-3">
      <div className="flex flex-col gap-1 sm:max-w-xs">
        <label htmlFor={typeId} className="text-xs font-medium text-slate-700">
          {typeLabel}
        </label>
        <select
          id={typeId}
          className={selectClass}
          value={event.type}
          onChange={(e) => onChange(emptyEvent(e.target.value as EventType))}
        >
          {EVENT_TYPES.map((t) => (
            <option key={t.value} value={t.value}>
              {t.label}
            </option>
          ))}
        </select>
      </div>
      {event.type === "imaging" ? (
        <div className="flex flex-col gap-1 sm:max-w-xs">
          <label htmlFor={idFor(path, "modality")} className="text-xs font-medium text-slate-700">
            Imaging modality
          </label>
          <select
            id={idFor(path, "modality")}
            className={selectClass}
            value={event.modality}
            onChange={(e) => onChange({ type: "imaging", modality: e.target.value as (typeof MODALITIES)[number] })}
          >
            {MODALITIES.map((m) => (
              <option key={m} value={m}>
                {MODALITY_LABELS[m]}
              </option>
            ))}
          </select>
        </div>
      ) : domain ? (
        <>
          <label className="flex items-center gap-2 text-sm text-slate-700">
            <input
              type="checkbox"
              checked={!event.concepts}
              onChange={(e) => {
                const { concepts: _old, ...rest } = event;
                onChange(e.target.checked ? rest : { ...rest, concepts: [] });
              }}
            />
            Any {EVENT_TYPES.find((t) => t.value === event.type)?.label.toLowerCase()} (no concept set)
          </label>
          {event.concepts ? (
            <ConceptSetPicker
              domain={domain}
              path={path}
              concepts={event.concepts}
              onChange={(concepts) => onChange({ ...event, concepts })}
            />
          ) : null}
        </>
      ) : null}
      {event.type === "measurement" ? (
        <MeasurementValueEditor
          value={event.value}
          path={[...path, "value"]}
          onChange={(value) => onChange({ ...event, value })}
        />
      ) : null}
      {event.type !== "imaging" ? <PersonAtEvent event={event} onChange={onChange} path={path} /> : null}
    </div>
  );
}

type PersonEvent = Exclude<EventCriterion, { type: "imaging" }>;

/** ATLAS's Age and Gender on a criterion: who the event happened to, at the time of the event. */
function PersonAtEvent({
  event,
  onChange,
  path,
}: {
  event: PersonEvent;
  onChange: (next: EventCriterion) => void;
  path: Path;
}) {
  const { age, sex, ...rest } = event;
  return (
    <details open={age !== undefined || sex !== undefined} className="rounded-md border border-slate-200 px-3 py-2">
      <summary className="cursor-pointer text-xs font-semibold text-slate-700">Age and sex at this event</summary>
      <div className="pt-2">
        <DemographicsEditor
          value={{ ...(age ? { ageAtIndex: age } : {}), ...(sex ? { sex } : {}) }}
          onChange={(next) =>
            onChange({
              ...rest,
              ...(next.ageAtIndex ? { age: next.ageAtIndex } : {}),
              ...(next.sex ? { sex: next.sex } : {}),
            } as EventCriterion)
          }
          path={path}
          ageKey="age"
          ageLabel="Age at the event (years)"
        />
      </div>
    </details>
  );
}
