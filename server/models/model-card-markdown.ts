import { describePreprocessing } from "@/protocol/image-preprocessing";
import { privacyMarkdown } from "./model-card-privacy";
import type { ModelCard } from "./model-card";

const METRICS = ["loss", "accuracy", "auc", "sensitivity", "specificity"] as const;
const fmt = (x: number | null | undefined) => (x === null || x === undefined ? "n/a" : x.toFixed(3));
const date = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString().slice(0, 10) : "n/a");

/**
 * Text someone typed (titles, purpose, names, limitations), made inert: HTML's specials become
 * entities, Markdown's inline punctuation is backslash-escaped and so is whatever would open a
 * block at the start of a line, so a renderer shows the text as typed and never as a table, image,
 * link, heading or tag. `inline` also folds line breaks into spaces (headings and table cells).
 */
function text(raw: string | null | undefined, { inline = true } = {}): string {
  const lines = (raw ?? "").split(/\r\n?|\n/).map((line) =>
    line
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/[\\`*_[\]|~]/g, "\\$&")
      .replace(/^(\s*)([#=+-])/, "$1\\$2")
      .replace(/^(\s*\d+)([.)])/, "$1\\$2"),
  );
  return inline ? lines.map((l) => l.trim()).join(" ") : lines.join("\n");
}
const cell = (raw: string | number | null | undefined) => text(raw === null || raw === undefined ? "" : String(raw));

function describeInput(card: ModelCard): string {
  const input = card.model.input;
  if (input.kind === "image")
    return `${input.modality} images, ${input.height} x ${input.width} x ${input.channels}, ${text(describePreprocessing(input.preprocessing))}`;
  return `Tabular: ${input.features.map((f) => `${text(f.name)} (${f.from.source}, ${f.encoding})`).join(", ")}`;
}

/** The model card as Markdown, for export into a paper's supplement or a Trust's governance file. */
export function renderModelCardMarkdown(card: ModelCard): string {
  const lines: string[] = [];
  const push = (...more: string[]) => lines.push(...more);
  push(`# Model card: ${text(card.model.name)} v${card.version.number}`, "");
  push(
    `Project: ${text(card.project.title)}${card.project.ethicsReference ? ` (ethics ${text(card.project.ethicsReference)})` : ""}  `,
  );
  push(
    `Task: ${card.model.task.replace(/_/g, " ")}; ${card.model.parameterCount.toLocaleString("en-GB")} parameters  `,
  );
  push(
    `Weights: SHA-256 \`${card.version.weightsSha256}\`${card.version.aliases.length ? `; aliases: ${card.version.aliases.join(", ")}` : ""}`,
    "",
  );
  push("## Intended use", "", text(card.project.purpose, { inline: false }), "");
  push(`Predicts **${text(card.model.outcome.name)}** from ${describeInput(card)}.`, "");
  push("## Data", "");
  if (card.data.cohortCounts.length) {
    push("| Site | Training examples | Cohort size | Counted |", "| --- | --- | --- | --- |");
    for (const c of card.data.cohortCounts) {
      const cohort =
        c.total === null ? "not counted" : c.total === "suppressed" ? `suppressed (< ${c.threshold})` : c.total;
      push(`| ${cell(c.site)} | ${c.trainingExamples ?? "did not take part"} | ${cohort} | ${date(c.countedAt)} |`);
    }
    push("", `Counts below ${card.data.minCellCount} are suppressed at the site.`, "");
  } else {
    push("No federated training data: this version was not trained by a job.", "");
  }
  push("## Training", "");
  if (card.training) {
    const t = card.training;
    push(
      `Federated job ${t.jobId.slice(0, 8)}, round ${t.round} of ${t.roundsInJob ?? "?"} (${date(t.startedAt)} to ${date(t.finishedAt)}).  `,
    );
    push(
      `Strategy: \`${JSON.stringify(t.strategy)}\`  `,
      `Hyperparameters: \`${JSON.stringify(t.hyperparameters)}\`  `,
    );
    push(
      `Sites in this round: ${t.sites.map((s) => `${s.code} (${s.examples} examples)`).join(", ")}; expected ${t.expectedSites.join(", ")}.`,
      "",
    );
  } else {
    push(
      `Not trained by FLIP: ${card.origin?.kind === "import" ? "imported TF.js weights" : "freshly initialised weights"}.`,
      "",
    );
  }
  push("## Privacy", "", ...privacyMarkdown(card.privacy));
  push("## Evaluation", "");
  const metrics = card.version.metrics;
  if (metrics && metrics.perSite.length) {
    push(
      `Source: ${metrics.source}.`,
      "",
      `| Site | Examples | ${METRICS.join(" | ")} |`,
      `| --- | --- | ${METRICS.map(() => "---").join(" | ")} |`,
    );
    for (const s of metrics.perSite)
      push(`| ${cell(s.siteCode)} | ${s.examples} | ${METRICS.map((m) => fmt(s.metrics[m])).join(" | ")} |`);
    if (metrics.validation)
      push(
        `| **Pooled** | ${metrics.validation.examples ?? ""} | ${METRICS.map((m) => fmt(metrics.validation![m])).join(" | ")} |`,
      );
    push(
      "",
      "Sites release metrics rounded to 2 places, and only when their positives and negatives each reach the threshold. Pooled accuracy, sensitivity and specificity (at a 0.5 threshold) come from the sites' summed confusion matrices, pooled AUC from their summed score histograms; loss is weighted by examples. For an uncommon outcome a model can rank cases well (AUC) yet call every case negative at 0.5, which shows as sensitivity 0.",
      "",
    );
    const counts = metrics.validation?.counts;
    if (counts) {
      const range = (i: [number, number] | null) => (i ? `${fmt(i[0])} to ${fmt(i[1])}` : "n/a");
      push(
        `Pooled over ${counts.sitesPooled.join(", ")}${counts.sitesLeftOut.length ? ` (left out, counts withheld: ${counts.sitesLeftOut.join(", ")})` : ""}. ` +
          `AUC from ${counts.bins} score bins: ties within a bin leave it between ${range(counts.aucBinInterval)}; ` +
          `allowing each rounded cell its rounding and each suppressed cell up to its threshold − 1 persons, between ${range(counts.bounds.auc)}. ` +
          `On the same terms sensitivity is between ${range(counts.bounds.sensitivity)} and specificity between ${range(counts.bounds.specificity)}.`,
        "",
        "Calibration (pooled observed positive fraction per score bin):",
        "",
        "| Score bin (mid) | Examples | Observed positive fraction |",
        "| --- | --- | --- |",
        ...counts.calibration.map((b) => `| ${b.midScore.toFixed(3)} | ${b.examples} | ${fmt(b.observed)} |`),
        "",
      );
    }
  } else {
    push("Not evaluated yet.", "");
  }
  push(
    "## Approvals",
    "",
    `Governance bundle revision ${card.approvals.revisionNumber}, SHA-256 \`${card.approvals.bundleHash}\`.`,
    "",
  );
  push("| Site | Decision | By | On |", "| --- | --- | --- | --- |");
  for (const a of card.approvals.decisions)
    push(`| ${cell(a.site)} | ${a.status} | ${cell(a.decidedBy ?? "")} | ${date(a.decidedAt)} |`);
  push(
    "",
    "## Limitations",
    "",
    text(card.model.limitations, { inline: false }) || "None recorded by the researcher.",
    "",
  );
  return lines.join("\n");
}
