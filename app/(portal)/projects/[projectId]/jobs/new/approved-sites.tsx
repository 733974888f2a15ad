import type { ProjectDetail, SiteApproval } from "../../../_components/types";
import { SiteChecklist } from "../../../_components/site-checklist";

export const isApproved = (site: SiteApproval) => site.status === "approved";

function whyUnavailable(site: SiteApproval, revision: number): string {
  if (site.status === "declined") return `Declined revision ${revision}; it receives no work`;
  return `Has not approved revision ${revision} yet; it receives no work until it does`;
}

/** Only sites that approved the current revision can be chosen; the others stay visible with the reason. */
export function ApprovedSitesField({
  detail,
  selected,
  onChange,
  errors,
}: {
  detail: ProjectDetail;
  selected: Set<string>;
  onChange: (next: Set<string>) => void;
  errors?: string[];
}) {
  const revision = detail.revision.number;
  if (detail.sites.length === 0)
    return (
      <p className="text-sm text-slate-600">
        No site has been asked to approve this project yet. Submit it for approval first.
      </p>
    );
  return (
    <div className="space-y-1">
      <SiteChecklist
        legend="Sites"
        idPrefix="job-site"
        selected={selected}
        onChange={onChange}
        sites={detail.sites.map((s) => ({
          id: s.siteId,
          code: s.code,
          name: s.name,
          isDisabled: !isApproved(s),
          detail: isApproved(s) ? `Approved revision ${revision}` : whyUnavailable(s, revision),
        }))}
      />
      {errors?.length ? (
        <p id="siteIds-error" role="alert" className="text-sm text-red-700">
          {errors.join(". ")}
        </p>
      ) : null}
    </div>
  );
}
