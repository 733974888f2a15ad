import { once } from "node:events";
import { finished } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { TableName } from "@/protocol/omop/tables";
import { columnSql, qualified, tableDef, type TableDef } from "./ddl";

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

  /** Drops the rows (after they were loaded), keeping the definition. */
  clear(): void {
    for (const column of this.columns) column.length = 0;
    this.rowCount = 0;
  }
}

/** COPY text format: tab-separated, \\N for NULL, backslash escapes for the characters the format reserves. */
function copyField(value: Value): string {
  if (value === null) return "\\N";
  if (typeof value === "number") return String(value);
  return /[\\\t\n\r]/.test(value)
    ? value.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r")
    : value;
}

// Each write hands PostgreSQL a few MB of rows; the stream's backpressure keeps memory bounded.
const WRITE_ROWS = 20_000;

/** Appends the buffer's rows to its table with COPY FROM STDIN (text format), the fastest bulk path. */
export async function copyBuffer(client: pg.ClientBase, schema: string, buffer: TableBuffer): Promise<void> {
  if (buffer.rowCount === 0) return;
  const { def, columns } = buffer;
  const copy = client.query(
    copyFrom(
      `COPY ${qualified(schema, def.name)} (${def.columns.map((c) => columnSql(c.name)).join(", ")}) FROM STDIN`,
    ),
  );
  const done = finished(copy);
  for (let start = 0; start < buffer.rowCount; start += WRITE_ROWS) {
    const end = Math.min(buffer.rowCount, start + WRITE_ROWS);
    let text = "";
    for (let row = start; row < end; row++) {
      for (let i = 0; i < columns.length; i++) text += (i === 0 ? "" : "\t") + copyField(columns[i]?.[row] ?? null);
      text += "\n";
    }
    if (!copy.write(text)) await Promise.race([once(copy, "drain"), done]);
  }
  copy.end();
  await done;
}
