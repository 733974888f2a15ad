import type { z } from "zod";
import {
  COHORT_DEFINITION_VERSION,
  COHORT_LIMITS,
  ZCohortDefinition,
  type CohortDefinition,
  type CohortDefinitionInput,
  type CriteriaGroup,
  type ZConceptSet,
} from "../cohort-definition";
import { importCriterion, importGroup, isEmptyGroup, type ImportContext } from "./import-criteria";
import { CirceRefusal, Reader, type CirceIssue } from "./reader";

/**
 * Imports a cohort definition exported from ATLAS (Circe JSON). The result is either a definition
 * that means exactly what the Circe expression means for who is counted, with notes on what does
 * not change who is counted (cohort exit, era collapsing, censoring), or the list of elements the
 * portal cannot express, each with its JSON path and why. Nothing is dropped unseen.
 */
export type CirceImport =
  { ok: true; definition: CohortDefinition; notes: CirceIssue[] } | { ok: false; errors: CirceIssue[] };

type ConceptSet = z.input<typeof ZConceptSet>;
type Limit = "first" | "last" | "all";

export function importCirce(input: string | unknown): CirceImport {
  let json: unknown = input;
  if (typeof input === "string") {
    try {
      json = JSON.parse(input);
    } catch (error) {
      return { ok: false, errors: [{ path: "(root)", message: `not valid JSON: ${(error as Error).message}` }] };
    }
  }
  const notes: CirceIssue[] = [];
  let draft: CohortDefinitionInput;
  try {
    draft = importExpression(Reader.of("", json), notes);
  } catch (error) {
    if (error instanceof CirceRefusal) return { ok: false, errors: [error.issue] };
    throw error;
  }
  const parsed = ZCohortDefinition.safeParse(draft);
  if (!parsed.success)
    return {
      ok: false,
      errors: parsed.error.issues.map((issue) => ({
        path: `(portal definition) ${issue.path.join(".") || "(root)"}`,
        message: issue.message,
      })),
    };
  return { ok: true, definition: parsed.data, notes };
}

function importExpression(root: Reader, notes: CirceIssue[]): CohortDefinitionInput {
  const ctx: ImportContext = {
    conceptSets: importConceptSets(root),
    notes,
    maxWindowDays: COHORT_LIMITS.maxWindowDays,
  };
  const primary = root.object("PrimaryCriteria");
  if (!primary) throw new CirceRefusal({ path: "PrimaryCriteria", message: "a cohort needs entry events" });
  const correlated: CriteriaGroup[] = [];
  const criteria = primary.array("CriteriaList");
  if (criteria.length === 0)
    throw new CirceRefusal({ path: primary.at("CriteriaList"), message: "a cohort needs at least one entry event" });
  const entryLimit = limitOf(primary.object("PrimaryCriteriaLimit"));
  const entries = criteria.map(({ path, value }) =>
    importCriterion(path, value, ctx, (group) => {
      // Circe filters entry events by their nested criteria BEFORE the entry limit. With a single
      // entry event and every event kept, the portal's qualifying criteria (after the limit) mean
      // the same, and the builder shows them; otherwise they stay nested in the entry event.
      if (criteria.length > 1 || entryLimit !== "all") return false;
      const imported = importGroup(group, ctx);
      if (imported) correlated.push(imported);
      return true;
    }),
  );
  const window = primary.object("ObservationWindow");
  const observationWindow = { priorDays: window?.number("PriorDays") ?? 0, postDays: window?.number("PostDays") ?? 0 };
  window?.refuseRest("the observation window");
  primary.refuseRest("PrimaryCriteria");

  const additional = root.object("AdditionalCriteria");
  const additionalGroup = additional && !isEmptyGroup(additional) ? importGroup(additional, ctx) : undefined;
  if (additional && !additionalGroup) additional.ignore("Type", "Count");
  const qualifying = [...correlated, ...(additionalGroup ? [additionalGroup] : [])];
  const qualifiedLimit = limitOf(root.object("QualifiedLimit"));
  const inclusionRules = root.array("InclusionRules").map(({ path, value }) => {
    const rule = Reader.of(path, value);
    const name = (rule.string("name") ?? "").trim().slice(0, 120) || "Unnamed rule";
    rule.ignore("description");
    const expression = rule.object("expression");
    const group = expression ? importGroup(expression, ctx) : undefined;
    if (!group)
      throw new CirceRefusal({
        path: rule.at("expression"),
        message: "an inclusion rule with no criteria is not supported",
      });
    rule.refuseRest("an inclusion rule");
    return { name, group };
  });

  const definition: CohortDefinitionInput = {
    version: COHORT_DEFINITION_VERSION,
    entry: entries[0]!,
    ...(entries.length > 1 ? { extraEntries: entries.slice(1) } : {}),
    observationWindow,
    entryLimit,
    ...(qualifying.length === 1
      ? { qualifyingCriteria: qualifying[0] }
      : qualifying.length > 1
        ? { qualifyingCriteria: { kind: "group", operator: "AND", items: qualifying } }
        : {}),
    // Circe applies the qualified limit only when the expression has AdditionalCriteria (even empty ones).
    qualifiedLimit: additional ? qualifiedLimit : "all",
    expressionLimit: limitOf(root.object("ExpressionLimit")),
    inclusionRules,
  };
  noteExit(root, notes);
  root.ignore("cdmVersionRange", "Title", "title", "id", "name", "description");
  root.refuseRest("the cohort expression");
  return definition;
}

function importConceptSets(root: Reader): Map<number, ConceptSet> {
  const sets = new Map<number, ConceptSet>();
  for (const { path, value } of root.array("ConceptSets")) {
    const set = Reader.of(path, value);
    const id = set.number("id");
    if (id === undefined) throw new CirceRefusal({ path: set.at("id"), message: "a concept set needs an id" });
    set.ignore("name");
    const expression = set.object("expression");
    const items = (expression?.array("items") ?? []).map(({ path: itemPath, value: item }) => {
      const r = Reader.of(itemPath, item);
      const concept = r.object("concept");
      const conceptId = concept?.number("CONCEPT_ID");
      if (conceptId === undefined || !Number.isInteger(conceptId) || conceptId <= 0)
        throw new CirceRefusal({ path: r.at("concept.CONCEPT_ID"), message: "must be a concept id" });
      const name = concept!.string("CONCEPT_NAME");
      // The rest of a concept's fields describe it; the site resolves the id against its own vocabulary.
      const ref = {
        conceptId,
        ...(name ? { name: name.slice(0, 255) } : {}),
        includeDescendants: r.boolean("includeDescendants") ?? false,
        isExcluded: r.boolean("isExcluded") ?? false,
        includeMapped: r.boolean("includeMapped") ?? false,
      };
      r.refuseRest("a concept set item");
      return ref;
    });
    expression?.refuseRest("a concept set expression");
    set.refuseRest("a concept set");
    sets.set(id, items);
  }
  return sets;
}

function limitOf(limit: Reader | undefined): Limit {
  const type = (limit?.string("Type") ?? "First").toLowerCase();
  limit?.refuseRest("a limit");
  if (type === "first" || type === "last" || type === "all") return type;
  throw new CirceRefusal({ path: limit!.at("Type"), message: "must be First, Last or All" });
}

/** How a cohort era ends does not change who enters it: accepted, and said so. */
function noteExit(root: Reader, notes: CirceIssue[]): void {
  const explain: Record<string, string> = {
    EndStrategy: "the cohort exit date does not change who is counted; the portal counts persons at entry",
    CensoringCriteria: "censoring ends a person's cohort era early but never removes them; the portal does not keep it",
    CollapseSettings: "collapsing eras changes how many eras a person has, not who is counted",
  };
  const censorWindow = root.object("CensorWindow");
  censorWindow?.refuseRest("the censor window (cohort dates clipped to a calendar window can remove persons)");
  for (const [key, message] of Object.entries(explain)) {
    const value = root.take(key);
    const isDefault =
      value === undefined ||
      (Array.isArray(value) && value.length === 0) ||
      (key === "CollapseSettings" && (value as { EraPad?: number }).EraPad === 0) ||
      (typeof value === "object" && value !== null && Object.keys(value).length === 0);
    if (!isDefault) notes.push({ path: key, message });
  }
}
