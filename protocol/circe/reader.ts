/**
 * Walking untrusted Circe JSON with the path of every element, so that every refusal names the
 * element (`PrimaryCriteria.CriteriaList[0].ConditionOccurrence.ConditionType`) and nothing is
 * dropped unseen: a reader lists the keys it did not consume that carry a value.
 */
export type CirceIssue = { path: string; message: string };

export class CirceRefusal extends Error {
  constructor(readonly issue: CirceIssue) {
    super(`${issue.path}: ${issue.message}`);
  }
}

export function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === "object") return Object.values(value as object).every(isEmpty);
  return false;
}

export class Reader {
  private readonly seen = new Set<string>();

  constructor(
    readonly path: string,
    private readonly value: Record<string, unknown>,
  ) {}

  static of(path: string, value: unknown): Reader {
    if (typeof value !== "object" || value === null || Array.isArray(value))
      throw new CirceRefusal({ path: path || "(root)", message: "must be a JSON object" });
    return new Reader(path, value as Record<string, unknown>);
  }

  at(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  /** The value of `key`, marked as handled; undefined when missing or null. */
  take(key: string): unknown {
    this.seen.add(key);
    const value = this.value[key];
    return value === null ? undefined : value;
  }

  object(key: string): Reader | undefined {
    const value = this.take(key);
    return value === undefined ? undefined : Reader.of(this.at(key), value);
  }

  array(key: string): { path: string; value: unknown }[] {
    const value = this.take(key);
    if (value === undefined) return [];
    if (!Array.isArray(value)) throw new CirceRefusal({ path: this.at(key), message: "must be a list" });
    return value.map((item, i) => ({ path: `${this.at(key)}[${i}]`, value: item }));
  }

  /** How many items a list holds, without consuming it; 0 when it is not a list. */
  lengthOf(key: string): number {
    const value = this.value[key];
    return Array.isArray(value) ? value.length : 0;
  }

  number(key: string): number | undefined {
    const value = this.take(key);
    if (value === undefined) return undefined;
    if (typeof value !== "number" || !Number.isFinite(value))
      throw new CirceRefusal({ path: this.at(key), message: "must be a number" });
    return value;
  }

  boolean(key: string): boolean | undefined {
    const value = this.take(key);
    if (value === undefined) return undefined;
    if (typeof value !== "boolean") throw new CirceRefusal({ path: this.at(key), message: "must be true or false" });
    return value;
  }

  string(key: string): string | undefined {
    const value = this.take(key);
    if (value === undefined) return undefined;
    if (typeof value !== "string") throw new CirceRefusal({ path: this.at(key), message: "must be text" });
    return value;
  }

  /** Accepts keys that do not change who is in the cohort (labels, metadata). */
  ignore(...keys: string[]): void {
    for (const key of keys) this.seen.add(key);
  }

  /** Refuses the first key that carries a value the caller did not handle. */
  refuseRest(what: string): void {
    for (const [key, value] of Object.entries(this.value)) {
      if (this.seen.has(key) || isEmpty(value)) continue;
      throw new CirceRefusal({ path: this.at(key), message: `${key} in ${what} is not supported by the portal` });
    }
  }
}
