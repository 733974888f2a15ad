import { DataTable, type Column } from "@/app/_components/ui/data-table";
import type { ModelCardData } from "../../_components/types";
import { Section } from "./card-sections";

type Privacy = NonNullable<ModelCardData["privacy"]>;
type SiteSpend = Privacy["sites"][number];

const columns: Column<SiteSpend>[] = [
  { header: "Site", cell: (s) => <span className="font-semibold">{s.siteCode}</span> },
  { header: "ε spent on this project", cell: (s) => s.epsilonSpent.toFixed(2) },
  { header: "δ", cell: (s) => String(s.delta) },
  { header: "Site budget (ε)", cell: (s) => String(s.maxEpsilon) },
];

/** The guarantee the weights carry: DP settings, secure aggregation, and ε spent at each site. */
export function PrivacySection({ privacy }: { privacy: ModelCardData["privacy"] }) {
  if (!privacy)
    return (
      <Section title="Privacy">
        <p className="text-slate-600">Not trained by a federated job: no privacy guarantee applies to its weights.</p>
      </Section>
    );
  const dp = privacy.differentialPrivacy;
  return (
    <Section title="Privacy">
      {dp ? (
        <>
          <p>
            Differential privacy at each site (DP-FedAvg): updates clipped to L2 norm {dp.clipNorm}, Gaussian noise
            multiplier {dp.noiseMultiplier}, δ = {dp.delta}.
            {dp.exampleLevel
              ? ` Example-level DP-SGD: per-example clipping ${dp.exampleLevel.clipNorm}, noise multiplier ${dp.exampleLevel.noiseMultiplier}.`
              : ""}
          </p>
          {privacy.sites.length ? (
            <DataTable
              label="Privacy spent per site"
              columns={columns}
              rows={privacy.sites}
              rowKey={(s) => s.siteCode}
            />
          ) : (
            <p className="text-slate-600">No site has reported its spend for this version yet.</p>
          )}
        </>
      ) : (
        <p>No differential privacy: the updates carry no formal guarantee beyond clipping.</p>
      )}
      <p>
        Secure aggregation: {privacy.secureAggregation ? "on, the hub saw only masked updates and their sum" : "off"}.
      </p>
    </Section>
  );
}
