/**
 * The eight files of an Athena vocabulary download: their tab-delimited columns, how each value is
 * checked, and the table it goes to. Athena writes no quoting (a name may hold a literal `"`), dates
 * as YYYYMMDD, and an empty field for NULL.
 */

type ColumnType = { kind: "int" } | { kind: "date" } | { kind: "text"; max: number };
type Column = { name: string; type: ColumnType; isNullable?: boolean };

export type AthenaFile = { file: string; table: string; columns: Column[] };

const int = (name: string, isNullable = false): Column => ({ name, type: { kind: "int" }, isNullable });
const date = (name: string): Column => ({ name, type: { kind: "date" } });
const text = (name: string, max: number, isNullable = false): Column => ({
  name,
  type: { kind: "text", max },
  isNullable,
});

/** In load order: small reference files first, so a malformed download fails fast. */
export const ATHENA_FILES: AthenaFile[] = [
  {
    file: "VOCABULARY.csv",
    table: "vocabulary",
    columns: [
      text("vocabulary_id", 20),
      text("vocabulary_name", 255),
      text("vocabulary_reference", 255, true),
      text("vocabulary_version", 255, true),
      int("vocabulary_concept_id"),
    ],
  },
  {
    file: "DOMAIN.csv",
    table: "domain",
    columns: [text("domain_id", 20), text("domain_name", 255), int("domain_concept_id")],
  },
  {
    file: "CONCEPT_CLASS.csv",
    table: "concept_class",
    columns: [text("concept_class_id", 20), text("concept_class_name", 255), int("concept_class_concept_id")],
  },
  {
    file: "RELATIONSHIP.csv",
    table: "relationship",
    columns: [
      text("relationship_id", 20),
      text("relationship_name", 255),
      text("is_hierarchical", 1),
      text("defines_ancestry", 1),
      text("reverse_relationship_id", 20),
      int("relationship_concept_id"),
    ],
  },
  {
    file: "CONCEPT.csv",
    table: "concept",
    columns: [
      int("concept_id"),
      text("concept_name", 255),
      text("domain_id", 20),
      text("vocabulary_id", 20),
      text("concept_class_id", 20),
      text("standard_concept", 1, true),
      text("concept_code", 50),
      date("valid_start_date"),
      date("valid_end_date"),
      text("invalid_reason", 1, true),
    ],
  },
  {
    file: "CONCEPT_SYNONYM.csv",
    table: "concept_synonym",
    columns: [int("concept_id"), text("concept_synonym_name", 1000), int("language_concept_id")],
  },
  {
    file: "CONCEPT_RELATIONSHIP.csv",
    table: "concept_relationship",
    columns: [
      int("concept_id_1"),
      int("concept_id_2"),
      text("relationship_id", 20),
      date("valid_start_date"),
      date("valid_end_date"),
      text("invalid_reason", 1, true),
    ],
  },
  {
    file: "CONCEPT_ANCESTOR.csv",
    table: "concept_ancestor",
    columns: [
      int("ancestor_concept_id"),
      int("descendant_concept_id"),
      int("min_levels_of_separation"),
      int("max_levels_of_separation"),
    ],
  },
];

/** A problem in one file, at one line (1 = the header) and, when it is one value, one column. */
export class AthenaFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: string | undefined,
    readonly problem: string,
  ) {
    super(`${file}, line ${line}${column ? `, column ${column}` : ""}: ${problem}`);
    this.name = "AthenaFileError";
  }
}

/** Checks the header line against the columns Athena writes, in order (case-insensitive). */
export function checkHeader(spec: AthenaFile, line: string) {
  const found = stripCarriageReturn(line).split("\t");
  const expected = spec.columns.map((c) => c.name);
  for (let i = 0; i < expected.length; i++) {
    if (found[i]?.trim().toLowerCase() !== expected[i])
      throw new AthenaFileError(
        spec.file,
        1,
        expected[i],
        `the header should be the tab-separated columns ${expected.join(", ")}; found "${found[i] ?? ""}" in position ${i + 1}${found.length === 1 ? " (is the file tab-delimited?)" : ""}`,
      );
  }
  if (found.length > expected.length)
    throw new AthenaFileError(
      spec.file,
      1,
      undefined,
      `unexpected extra column "${found[expected.length]}" in the header`,
    );
}

const INT_MAX = 2_147_483_647;

/** Converts one data line to a line of PostgreSQL's COPY text format, or throws naming line and column. */
export function toCopyLine(spec: AthenaFile, line: string, lineNumber: number): string {
  const fields = stripCarriageReturn(line).split("\t");
  if (fields.length !== spec.columns.length)
    throw new AthenaFileError(
      spec.file,
      lineNumber,
      undefined,
      `expected ${spec.columns.length} tab-separated values, found ${fields.length}`,
    );
  const out: string[] = new Array(fields.length);
  for (let i = 0; i < fields.length; i++) {
    const column = spec.columns[i]!;
    const value = fields[i]!;
    if (value === "") {
      if (!column.isNullable) throw new AthenaFileError(spec.file, lineNumber, column.name, "the value is missing");
      out[i] = "\\N";
      continue;
    }
    out[i] = convert(spec.file, lineNumber, column, value);
  }
  return out.join("\t") + "\n";
}

function convert(file: string, lineNumber: number, column: Column, value: string): string {
  const fail = (problem: string) => new AthenaFileError(file, lineNumber, column.name, problem);
  switch (column.type.kind) {
    case "int": {
      if (!/^-?\d{1,10}$/.test(value) || Math.abs(Number(value)) > INT_MAX)
        throw fail(`expected a whole number, found "${clip(value)}"`);
      return value;
    }
    case "date": {
      const iso = athenaDate(value);
      if (!iso) throw fail(`expected a date as YYYYMMDD (Athena's format), found "${clip(value)}"`);
      return iso;
    }
    case "text": {
      if (value.length > column.type.max)
        throw fail(`the value has ${value.length} characters; at most ${column.type.max} are allowed`);
      return value.replace(/\\/g, "\\\\");
    }
  }
}

function athenaDate(value: string): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d] = m;
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (date.getUTCMonth() !== Number(mo) - 1 || date.getUTCDate() !== Number(d)) return undefined;
  return `${y}-${mo}-${d}`;
}

function stripCarriageReturn(line: string) {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}

function clip(value: string) {
  return value.length > 40 ? `${value.slice(0, 40)}…` : value;
}
