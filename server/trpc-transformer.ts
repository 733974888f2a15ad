import superjson from "superjson";
import type { SuperJSONResult } from "superjson";
import { isoTimestamp } from "./lib/iso-timestamp";

/**
 * The tRPC transformer: superjson both ways on the wire (browsers and site workers decode answers
 * with superjson), with the answers encoded by `serializeOutput`.
 */
export const trpcTransformer = {
  input: superjson,
  output: { serialize: serializeOutput, deserialize: superjson.deserialize },
};

/** Tells `encode` to give up: the value holds something only superjson's own walker encodes. */
const UNUSUAL = Symbol("unusual");

/** A path segment as superjson writes it in `meta.values` (`.` and `\` escaped). */
const escapeSegment = (key: string) =>
  key.includes(".") || key.includes("\\") ? key.replace(/\\/g, "\\\\").replace(/\./g, "\\.") : key;

/**
 * `superjson.serialize(value)`, byte for byte once JSON.stringify'd, at a fraction of its cost
 * for what procedures return: plain objects and arrays of strings, finite numbers, booleans,
 * nulls, undefined and valid dates, each object reached once. superjson's walker builds a path
 * array, an ancestors array and an identity entry for every value and tries each of its rules in
 * turn; serializing a project list or a job's page cost more CPU than reading it from the
 * database. Anything else (a Map, a bigint, NaN, -0, a class instance, an object reached twice,
 * a key superjson refuses) is handed to superjson whole, so its answer, or its error, is the one
 * given. `trpc-transformer.test.ts` checks the two agree on generated values.
 */
export function serializeOutput(value: unknown): SuperJSONResult {
  const seen = new Set<object>();
  const path: string[] = [];
  let values: Record<string, [string]> | undefined;
  let rootType: string | undefined;

  const annotate = (type: string) => {
    if (path.length === 0) rootType = type;
    else (values ??= {})[path.join(".")] = [type];
  };

  const encode = (v: unknown): unknown => {
    switch (typeof v) {
      case "string":
      case "boolean":
        return v;
      case "number":
        return Number.isFinite(v) && !Object.is(v, -0) ? v : UNUSUAL;
      case "undefined":
        annotate("undefined");
        return null;
      case "object":
        break;
      default:
        return UNUSUAL;
    }
    if (v === null) return null;
    if (seen.has(v)) return UNUSUAL;
    seen.add(v);
    if (v instanceof Date) {
      if (Number.isNaN(v.getTime())) return UNUSUAL;
      annotate("Date");
      return isoTimestamp(v);
    }
    if (Array.isArray(v)) {
      // superjson walks an array's own keys: a hole or an extra property is its to handle.
      if (Object.keys(v).length !== v.length) return UNUSUAL;
      const out: unknown[] = new Array(v.length);
      for (let i = 0; i < v.length; i++) {
        path.push(String(i));
        const item = encode(v[i]);
        path.pop();
        if (item === UNUSUAL) return UNUSUAL;
        out[i] = item;
      }
      return out;
    }
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return UNUSUAL;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v)) {
      if (key === "__proto__" || key === "constructor" || key === "prototype") return UNUSUAL;
      path.push(escapeSegment(key));
      const item = encode((v as Record<string, unknown>)[key]);
      path.pop();
      if (item === UNUSUAL) return UNUSUAL;
      out[key] = item;
    }
    return out;
  };

  const json = encode(value);
  if (json === UNUSUAL) return superjson.serialize(value);
  const annotations = rootType ? [rootType] : values;
  return annotations
    ? { json: json as SuperJSONResult["json"], meta: { values: annotations as never, v: 1 } }
    : { json: json as SuperJSONResult["json"] };
}
