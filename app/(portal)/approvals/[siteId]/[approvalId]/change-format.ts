import type { BundleChange } from "./request-types";

/** Turns the server's dotted bundle paths ("cohort.inclusionRules.1.group.items.0.window.endDays") into words. */

const KEY_WORDS: Record<string, string> = {
  bundleVersion: "Bundle version",
  purpose: "Purpose",
  cohort: "Cohort",
  allowedJobKinds: "Allowed job kinds",
  outputs: "Outputs that may leave the site",
  privacy: "Privacy",
  minCellCount: "minimum cell count",
  differentialPrivacy: "differential privacy required",
  minNoiseMultiplier: "minimum noise multiplier",
  maxDelta: "maximum δ",
  secureAggregation: "secure aggregation required",
  maxRounds: "Max rounds",
  version: "definition version",
  entry: "entry event",
  demographics: "demographics",
  ageAtIndex: "age at index",
  sex: "sex",
  criterion: "event",
  concepts: "concept",
  conceptId: "concept id",
  name: "name",
  includeDescendants: "includes descendants",
  window: "window",
  startDays: "from (days from index)",
  endDays: "to (days from index)",
  exclude: "must NOT have it",
  value: "value",
  min: "minimum",
  max: "maximum",
  unitConceptId: "unit concept",
  type: "kind of event",
  modality: "imaging modality",
  operator: "ALL / ANY / at least / at most",
  count: "how many must match",
  nested: "criteria relative to this event",
  sourceConcepts: "source code",
  startDate: "start date",
  endDate: "end date",
  to: "to",
  endWindow: "end window",
  useIndexEnd: "counted from the index event's end",
  eventDate: "which date of the event",
  sameVisit: "in the index event's visit",
  kind: "kind",
  models: "Models",
  task: "task",
  input: "learns from",
  outcome: "predicts",
  from: "from",
  source: "source",
  field: "field",
  encoding: "encoding",
  aggregation: "aggregation",
  windowDays: "window (days)",
  rule: "rule",
  conceptIds: "concept",
  withinDays: "within (days after index)",
  height: "height",
  width: "width",
  channels: "channels",
  horizontalFlip: "mirrored in training",
};

const LIST_ITEM_WORDS: Record<string, string> = {
  inclusionRules: "inclusion rule",
  items: "criterion",
  concepts: "concept",
  models: "model",
  features: "feature",
  conceptIds: "concept",
  sourceConcepts: "source concept",
};

const VALUE_WORDS: Record<string, string> = {
  cohort_count: "Cohort counts",
  train: "Federated training",
  evaluate: "Federated evaluation",
  cohort_counts: "Suppressed cohort counts",
  model_updates: "Model weight updates",
  metrics: "Aggregate metrics",
  binary_classification: "Binary classification",
  multiclass_classification: "Multi-class classification",
  regression: "Regression",
  AND: "ALL of",
  OR: "ANY of",
  AT_LEAST: "at least N of",
  AT_MOST: "at most N of",
};

const isIndex = (segment: string) => /^\d+$/.test(segment);

export function pathInWords(path: string): string {
  const segments = path.split(".");
  const words: string[] = [];
  segments.forEach((segment, i) => {
    const parent = segments[i - 1];
    if (isIndex(segment)) {
      const n = Number(segment) + 1;
      const listWord = parent ? LIST_ITEM_WORDS[parent] : undefined;
      if (listWord) words[words.length - 1] = `${listWord} ${n}`;
      else words.push(`entry ${n}`);
      return;
    }
    if (segment === "group") return; // A rule's top-level group adds no meaning for a reader.
    words.push(KEY_WORDS[segment] ?? segment);
  });
  const [first = path, ...rest] = words;
  return [first.charAt(0).toUpperCase() + first.slice(1), ...rest].join(" › ");
}

function daysText(n: number): string {
  if (n === 0) return "the index date";
  const d = `${Math.abs(n).toLocaleString("en-GB")} ${Math.abs(n) === 1 ? "day" : "days"}`;
  return n < 0 ? `${d} before index` : `${d} after index`;
}

/** A leaf value in words; objects (a whole added or removed part) come back as indented JSON. */
export function valueInWords(path: string, value: unknown): string {
  if (value === null || value === undefined) return "(none)";
  const key = path.split(".").at(-1) ?? "";
  if (typeof value === "number" && (key === "startDays" || key === "endDays")) return daysText(value);
  if (typeof value === "boolean") return value ? "Yes" : "No";
  if (typeof value === "number") return value.toLocaleString("en-GB");
  if (typeof value === "string") return VALUE_WORDS[value] ?? value;
  if (Array.isArray(value) && value.length === 0) return "(none)";
  const rule = value as { name?: unknown; group?: unknown; input?: unknown; outcome?: unknown };
  if (typeof rule.name === "string" && rule.group) return `Rule “${rule.name}” (in full under Cohort below)`;
  if (typeof rule.name === "string" && rule.input && rule.outcome)
    return `Model “${rule.name}” (in full under Models below)`;
  return JSON.stringify(value, null, 2);
}

function unflatten(changes: BundleChange[], prefix: string, side: "before" | "after"): unknown {
  const root: Record<string, unknown> = {};
  for (const change of changes) {
    const rest = change.path.slice(prefix.length + 1).split(".");
    let node = root;
    rest.forEach((segment, i) => {
      if (i === rest.length - 1) node[segment] = change[side];
      else node = (node[segment] ??= {}) as Record<string, unknown>;
    });
  }
  return root;
}

function valueAt(root: unknown, path: string): unknown {
  return path
    .split(".")
    .reduce<unknown>(
      (node, segment) =>
        node !== null && typeof node === "object" ? (node as Record<string, unknown>)[segment] : undefined,
      root,
    );
}

/**
 * The server lists every changed leaf. A list entry that was wholly added or removed (a new
 * inclusion rule, say) is shown as one row, so the reader sees "inclusion rule 3 added".
 */
export function groupChanges(changes: BundleChange[], current: unknown): BundleChange[] {
  const out: BundleChange[] = [];
  const done = new Set<string>();
  for (const change of changes) {
    if (done.has(change.path)) continue;
    const segments = change.path.split(".");
    let grouped: BundleChange | null = null;
    for (let i = 1; i <= segments.length && !grouped; i++) {
      if (!isIndex(segments[i - 1]!)) continue;
      const prefix = segments.slice(0, i).join(".");
      const under = changes.filter((c) => c.path === prefix || c.path.startsWith(`${prefix}.`));
      if (under.length < 2) continue;
      if (under.every((c) => c.before === null))
        grouped = { path: prefix, before: null, after: valueAt(current, prefix) ?? unflatten(under, prefix, "after") };
      else if (under.every((c) => c.after === null))
        grouped = { path: prefix, before: unflatten(under, prefix, "before"), after: null };
      if (grouped) under.forEach((c) => done.add(c.path));
    }
    out.push(grouped ?? change);
  }
  return out;
}
