import type { ReactNode } from "react";

export type ChecklistSite = { id: string; code: string; name: string; detail?: ReactNode; isDisabled?: boolean };

/** One checkbox per site, named by its code alone so the code is what assistive tech reads first. */
export function SiteChecklist({
  legend,
  sites,
  selected,
  onChange,
  idPrefix,
}: {
  legend: string;
  sites: ChecklistSite[];
  selected: Set<string>;
  onChange: (next: Set<string>) => void;
  idPrefix: string;
}) {
  function toggle(id: string) {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    onChange(next);
  }
  return (
    <fieldset>
      <legend className="mb-2 text-sm font-medium text-slate-800">{legend}</legend>
      <ul className="grid gap-2 sm:grid-cols-2">
        {sites.map((site) => {
          const id = `${idPrefix}-${site.id}`;
          return (
            <li
              key={site.id}
              className={`flex items-start gap-3 rounded-md border px-3 py-2 ${selected.has(site.id) ? "border-nhs-blue bg-sky-50" : "border-slate-200 bg-white"}`}
            >
              <input
                id={id}
                type="checkbox"
                className="mt-1 h-4 w-4 accent-nhs-blue"
                checked={selected.has(site.id)}
                disabled={site.isDisabled}
                onChange={() => toggle(site.id)}
                aria-describedby={`${id}-detail`}
              />
              <span className="min-w-0 text-sm">
                <label htmlFor={id} className="font-semibold text-slate-900">
                  {site.code}
                </label>
                <span id={`${id}-detail`} className="block text-slate-600">
                  {site.name}
                  {site.detail ? <span className="block text-xs">{site.detail}</span> : null}
                </span>
              </span>
            </li>
          );
        })}
      </ul>
    </fieldset>
  );
}
