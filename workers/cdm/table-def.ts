/**
 * A CDM table as data: the same definition drives CREATE TABLE, the generator's typed bulk load and
 * the check against the OHDSI specification, so a column can never be created one way and loaded another.
 */
export type Column = { name: string; type: string; notNull: boolean };
export type TableDef = { name: string; columns: readonly Column[]; primaryKey?: string; indexes?: readonly string[] };

/** "name type" or "name type!" (trailing ! = NOT NULL), comma-separated, keeps the long column lists readable. */
export function table(name: string, spec: string, extra: Omit<TableDef, "name" | "columns"> = {}): TableDef {
  const columns = spec
    .trim()
    .split(/\s*,\s*/)
    .map((entry) => {
      const [columnName, rawType] = entry.split(/\s+(.+)/) as [string, string];
      const notNull = rawType.endsWith("!");
      return { name: columnName, type: notNull ? rawType.slice(0, -1) : rawType, notNull };
    });
  return { name, columns, ...extra };
}
