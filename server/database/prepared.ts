import { fillPlaceholders, type SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type { Database } from "@/db/client";

const statements = new WeakMap<Database, Map<string, unknown>>();

/**
 * A named prepared statement for a query on every request's path, built once per database handle:
 * drizzle does not rebuild its SQL, and PostgreSQL parses and plans it once per connection. Take
 * values through `sql.placeholder(...)` only: anything else is frozen into the statement.
 */
export function prepared<T>(db: Database, name: string, prepare: (db: Database, name: string) => T): T {
  let byName = statements.get(db);
  if (!byName) statements.set(db, (byName = new Map()));
  if (!byName.has(name)) byName.set(name, prepare(db, name));
  return byName.get(name) as T;
}

const dialect = new PgDialect();

/**
 * `prepared` for a statement the query builder cannot express (a data-modifying WITH, say), written
 * with drizzle's `sql` and its values as `sql.placeholder(...)`: turned into text once per database
 * handle and sent by name, so that PostgreSQL parses it once per connection and, once its generic
 * plan proves as cheap as planning each call, stops planning it. Rows come back as PostgreSQL
 * names them, as from `db.execute`.
 */
export function preparedSql<Row extends Record<string, unknown>>(
  db: Database,
  name: string,
  query: () => SQL,
): (values: Record<string, unknown>) => Promise<Row[]> {
  return prepared(db, name, () => {
    const { sql: text, params } = dialect.sqlToQuery(query());
    return async (values: Record<string, unknown>) =>
      (await db.$client.query<Row>({ name, text, values: fillPlaceholders(params, values) })).rows;
  });
}
