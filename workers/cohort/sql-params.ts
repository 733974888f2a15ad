import type { TableName } from "@/protocol/omop/tables";
import type { ModalityCode } from "@/protocol/omop/modality";
import type { CdmVersion } from "../cdm/event-sources";

/**
 * The compiler's only way to put a value into SQL: every value becomes a numbered placeholder
 * with an explicit cast (so PostgreSQL never guesses a type from a string), and the cast itself
 * can only be one of these literals. Identifiers come from `table`, which quotes the site's schema.
 */
type SqlType = "int" | "bigint" | "numeric" | "date" | "bigint[]" | "text[]";

export type SqlQuery = { text: string; values: unknown[] };

export type CompileOptions = {
  /** Schema-qualified, quoted name of an OMOP table, e.g. `SiteDb.table`. */
  table: (name: TableName) => string;
  /** Concept ids of image modalities, resolved at the site with the shared modality mapping. */
  modalityConceptIds: Partial<Record<ModalityCode, readonly number[]>>;
  /** The site's CDM version decides a few column names (../cdm/event-sources.ts); default 5.4. */
  cdmVersion?: CdmVersion;
  /** Concept sets already resolved at the site, by key (../cohort/concept-sets.ts); others compile to CTEs. */
  resolvedConceptSets?: ReadonlyMap<string, readonly number[]>;
};

export class SqlBuilder {
  readonly values: unknown[] = [];
  /** Concept-set CTEs (name and body) that criteria register as they are compiled, in order of use. */
  readonly conceptSets: [string, string][] = [];

  constructor(readonly options: CompileOptions) {}

  bind(value: number | string | readonly number[] | readonly string[], type: SqlType): string {
    this.values.push(Array.isArray(value) ? [...value] : value);
    return `$${this.values.length}::${type}`;
  }

  addConceptSet(body: string): string {
    const name = `concept_set_${this.conceptSets.length + 1}`;
    this.conceptSets.push([name, body]);
    return name;
  }

  table(name: TableName): string {
    return this.options.table(name);
  }
}
