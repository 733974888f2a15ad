import { useId, type ReactNode } from "react";

/** A titled figure around a chart; the caption names it for assistive tech and the note explains caveats. */
export function ChartFrame({
  title,
  description,
  note,
  children,
}: {
  title: string;
  description: string;
  note?: ReactNode;
  children: (ids: { titleId: string; descriptionId: string }) => ReactNode;
}) {
  const titleId = useId();
  const descriptionId = useId();
  return (
    <figure
      aria-labelledby={titleId}
      aria-describedby={descriptionId}
      className="min-w-0 rounded-lg border border-slate-200 bg-white p-4 shadow-sm"
    >
      <figcaption className="mb-2">
        <span id={titleId} className="block text-sm font-semibold text-slate-900">
          {title}
        </span>
        <span id={descriptionId} className="block text-xs text-slate-600">
          {description}
        </span>
      </figcaption>
      {children({ titleId, descriptionId })}
      {note ? <p className="mt-2 text-xs text-slate-500">{note}</p> : null}
    </figure>
  );
}
