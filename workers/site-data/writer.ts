import type pg from "pg";
import type { TableName } from "@/protocol/omop/tables";
import { qualified, tableDef, type TableDef } from "./ddl";

/** Column-oriented row buffers and the bulk loader that sends them to PostgreSQL. */

export type Value = number | string | null;

export class TableBuffer {
  readonly def: TableDef;
  readonly columns: Value[][];
  private readonly index: Map<string, number>;
  rowCount = 0;

  constructor(name: TableName) {
    this.def = tableDef(name);
    this.columns = this.def.columns.map(() => []);
    this.index = new Map(this.def.columns.map((c, i) => [c.name, i]));
  }

  /** Adds one row; omitted columns are NULL, unknown or missing NOT NULL columns throw (typos fail fast). */
  push(values: Readonly<Record<string, Value | undefined>>): void {
    for (const key of Object.keys(values)) {
      if (!this.index.has(key)) throw new Error(`${this.def.name} has no column ${key}`);
    }
    this.def.columns.forEach((column, i) => {
      const value = values[column.name] ?? null;
      if (value === null && column.notNull) throw new Error(`${this.def.name}.${column.name} is required`);
      (this.columns[i] as Value[]).push(value);
    });
    this.rowCount++;
  }
}

// One array parameter per column (INSERT ... SELECT FROM unnest) sidesteps the 65535-parameter limit of
// multi-row VALUES and lets PostgreSQL parse each chunk once. 20k rows keeps each message a few MB.
const CHUNK_ROWS = 20_000;

export async function insertBuffer(client: pg.ClientBase, schema: string, buffer: TableBuffer): Promise<void> {
  const { def } = buffer;
  for (let start = 0; start < buffer.rowCount; start += CHUNK_ROWS) {
    // Columns that are NULL throughout the chunk are left out: they default to NULL and cost nothing to send.
    const used = def.columns
      .map((column, i) => ({ column, values: (buffer.columns[i] as Value[]).slice(start, start + CHUNK_ROWS) }))
      .filter(({ values }) => values.some((v) => v !== null));
    const columnList = used.map(({ column }) => column.name).join(", ");
    const unnestArgs = used.map(({ column }, i) => `$${i + 1}::${column.type}[]`).join(", ");
    await client.query(
      `INSERT INTO ${qualified(schema, def.name)} (${columnList}) SELECT * FROM unnest(${unnestArgs})`,
      used.map(({ values }) => values),
    );
  }
}
