import type { Bundle } from "@/server/projects/projects.schema";
import { groupChanges, pathInWords, valueInWords } from "./change-format";
import type { ApprovalRequestData } from "./request-types";

function Value({ path, value, tone }: { path: string; value: unknown; tone: "before" | "after" }) {
  const text = valueInWords(path, value);
  const colour = tone === "before" ? "text-red-800" : "text-green-800";
  if (text.includes("\n"))
    return (
      <pre
        className={`max-h-64 overflow-auto rounded bg-slate-50 p-2 font-mono text-xs break-words whitespace-pre-wrap ${colour}`}
      >
        {text}
      </pre>
    );
  return (
    <span className={`break-words whitespace-pre-line ${value === null ? "text-slate-500 italic" : colour}`}>
      {text}
    </span>
  );
}

/** For a re-submission: what changed since this site last approved, field by field. */
export function BundleChanges({
  previous,
  revisionNumber,
  bundle,
}: {
  previous: NonNullable<ApprovalRequestData["previouslyApproved"]>;
  revisionNumber: number;
  bundle: Bundle;
}) {
  const rows = groupChanges(previous.changes, bundle);
  return (
    <section
      aria-labelledby="changes-heading"
      className="rounded-lg border border-amber-300 bg-white p-4 shadow-sm sm:p-5"
    >
      <h2 id="changes-heading" className="text-base font-semibold text-slate-900">
        Changes since your approval
      </h2>
      <p className="mt-1 text-sm text-slate-600">
        Your site approved revision {previous.number} (
        <code className="font-mono text-xs">{previous.bundleHash.slice(0, 12)}</code>). Revision {revisionNumber}{" "}
        differs in {rows.length === 1 ? "1 place" : `${rows.length} places`}:
      </p>
      {rows.length === 0 ? (
        <p className="mt-3 text-sm text-slate-700">No field differs; only the revision number changed.</p>
      ) : (
        <table aria-labelledby="changes-heading" className="mt-3 block w-full text-left text-sm md:table">
          <thead className="hidden border-b border-slate-200 text-xs tracking-wide text-slate-600 uppercase md:table-header-group">
            <tr>
              <th scope="col" className="py-2 pr-4 font-semibold">
                Field
              </th>
              <th scope="col" className="py-2 pr-4 font-semibold">
                Approved (revision {previous.number})
              </th>
              <th scope="col" className="py-2 font-semibold">
                Now (revision {revisionNumber})
              </th>
            </tr>
          </thead>
          <tbody className="block divide-y divide-slate-200 md:table-row-group">
            {rows.map((row) => (
              <tr key={row.path} className="block py-2 md:table-row">
                <th
                  scope="row"
                  className="block pb-1 font-medium text-slate-900 md:table-cell md:py-2 md:pr-4 md:align-top"
                >
                  {pathInWords(row.path)}
                </th>
                <td className="flex gap-2 md:table-cell md:py-2 md:pr-4 md:align-top">
                  <span className="w-16 shrink-0 text-xs text-slate-500 md:hidden">Before</span>
                  <Value path={row.path} value={row.before} tone="before" />
                </td>
                <td className="flex gap-2 md:table-cell md:py-2 md:align-top">
                  <span className="w-16 shrink-0 text-xs text-slate-500 md:hidden">After</span>
                  <Value path={row.path} value={row.after} tone="after" />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
