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
